/* The measured methods: see methods.h. Each thread times its own loop of
 * ("value %d name %s", i, "abc") events; the loops are what an application
 * would write, with nothing hoisted that a real call site could not hoist. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/trace.h>

#include "methods.h"

const char *const method_names[M_COUNT] = {"floor",   "ward",     "ward-disabled",
                                           "fprintf", "snprintf", "lttng-tracef"};

struct worker {
        enum method m;
        long events;
        const char *tmpdir;
        int index;
        pthread_barrier_t *start;
        double ns;
};

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The floor: what any tracer must at least do, into a preallocated,
 * pre-touched array: the timestamp, a pointer, the int, the 3-byte string. */
struct floor_rec {
        uint64_t tsc;
        const char *fmt;
        int32_t i;
        uint16_t len;
        char s[3];
};

static void loop_floor(struct worker *w)
{
        struct floor_rec *a = calloc((size_t)w->events, sizeof(*a));
        memset(a, 1, (size_t)w->events * sizeof(*a)); /* touched: no page faults timed */
        static const char *const fmt = "value %d name %s";
        const char *s = "abc";
        pthread_barrier_wait(w->start);
        uint64_t t0 = now_ns();
        for (long i = 0; i < w->events; i++) {
                a[i].tsc = __builtin_ia32_rdtsc();
                a[i].fmt = fmt;
                a[i].i = (int32_t)i;
                a[i].len = (uint16_t)strlen(s);
                memcpy(a[i].s, s, 3);
                __asm__ volatile("" ::: "memory"); /* s may change: no batching */
        }
        w->ns = (double)(now_ns() - t0) / (double)w->events;
        free(a);
}

/* The ring the ward methods trace into: big enough that the flusher never
 * lets it fill, 1M events of 32 bytes fit in 64 MiB. */
#define WARD_RING (64u << 20)

/* warm_ward: write the ring through once, half at a time with a flush after
 * each half (so nothing is dropped), so that the timed loop starts at the
 * ring's start with its pages resident: ward faults a ring in as it is used,
 * and the floor's array is pre-touched too. */
static void warm_ward(void)
{
        const char *s = "abc";
        for (int half = 0; half < 2; half++) {
                for (long i = 0; i < WARD_RING / 2 / 32; i++) { /* 32-byte events */
                        WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", (int)i, s);
                }
                while (ward_trace_flush() == -EBUSY) {
                }
        }
}

static void loop_ward(struct worker *w)
{
        const char *s = "abc";
        WARD_TRACE(WARD_TRACE_ERROR, "warm-up"); /* the thread's buffer is set up here */
        if (w->m == M_WARD) {
                warm_ward();
        }
        pthread_barrier_wait(w->start);
        uint64_t t0 = now_ns();
        for (long i = 0; i < w->events; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", (int)i, s);
                __asm__ volatile("" ::: "memory");
        }
        w->ns = (double)(now_ns() - t0) / (double)w->events;
}

static void loop_fprintf(struct worker *w)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/fprintf.%d", w->tmpdir, w->index);
        FILE *f = fopen(path, "w");
        static char buf[2][1 << 16];
        setvbuf(f, buf[w->index & 1], _IOFBF, sizeof(buf[0]));
        const char *s = "abc";
        pthread_barrier_wait(w->start);
        uint64_t t0 = now_ns();
        for (long i = 0; i < w->events; i++) {
                fprintf(f, "%llu : value %d name %s\n", (unsigned long long)__builtin_ia32_rdtsc(),
                        (int)i, s);
        }
        w->ns = (double)(now_ns() - t0) / (double)w->events;
        fclose(f);
        unlink(path);
}

static void loop_snprintf(struct worker *w)
{
        char buf[128];
        const char *s = "abc";
        pthread_barrier_wait(w->start);
        uint64_t t0 = now_ns();
        for (long i = 0; i < w->events; i++) {
                snprintf(buf, sizeof(buf), "value %d name %s", (int)i, s);
                __asm__ volatile("" : : "r"(buf) : "memory");
        }
        w->ns = (double)(now_ns() - t0) / (double)w->events;
}

static void *run_worker(void *arg)
{
        struct worker *w = arg;
        switch (w->m) {
        case M_FLOOR:
                loop_floor(w);
                break;
        case M_WARD:
        case M_WARD_DISABLED:
                loop_ward(w);
                break;
        case M_FPRINTF:
                loop_fprintf(w);
                break;
        default:
                loop_snprintf(w);
        }
        return NULL;
}

/* child: the measurement inside the child process; writes the result to fd. */
static void child(enum method m, int threads, long events, const char *tmpdir, int fd)
{
        struct result r = {.ok = 1};
        if (m == M_WARD || m == M_WARD_DISABLED) {
                struct ward_trace_options o = {.size = sizeof(o),
                                               .level =
                                                   m == M_WARD ? WARD_TRACE_INFO : WARD_TRACE_ERROR,
                                               .dir = tmpdir,
                                               .name = "bench",
                                               .buffer_size = WARD_RING};
                r.ok = ward_trace_start(&o) == 0;
        }
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        struct worker w[8];
        pthread_t t[8];
        for (int i = 0; i < threads; i++) {
                w[i] = (struct worker){
                    .m = m, .events = events, .tmpdir = tmpdir, .index = i, .start = &start};
                pthread_create(&t[i], NULL, run_worker, &w[i]);
        }
        double sum = 0;
        for (int i = 0; i < threads; i++) {
                pthread_join(t[i], NULL);
                sum += w[i].ns;
        }
        r.ns_per_event = sum / threads;
        if (m == M_WARD || m == M_WARD_DISABLED) {
                r.lost = ward_trace_dropped();
                ward_trace_stop();
        }
        if (write(fd, &r, sizeof(r)) != sizeof(r)) {
                _exit(1);
        }
        _exit(0);
}

/* lttng: the helper executable, with a session around it. */
static struct result measure_lttng(int threads, long events, const char *tmpdir, const char *bindir)
{
        struct result r = {0};
        char cmd[8192], out[256], s[64];
        static int n;
        /* a session of our own, named with -s everywhere: other benchmarks
         * may use the same session daemon and the same "current session" */
        snprintf(s, sizeof(s), "ward-bench-%d-%d", (int)getpid(), n++);
        snprintf(cmd, sizeof(cmd),
                 "test -x %s/ward-bench-trace-lttng && command -v lttng >/dev/null && "
                 "{ pgrep -x lttng-sessiond >/dev/null || lttng-sessiond --daemonize "
                 ">/dev/null 2>&1; } && lttng create %s --output=%s/%s >/dev/null && "
                 "lttng enable-event -s %s -u 'lttng_ust_tracef:*' >/dev/null && "
                 "lttng start %s >/dev/null && %s/ward-bench-trace-lttng %d %ld; rc=$?; "
                 "lttng stop %s >/dev/null 2>&1; lttng destroy %s >/dev/null 2>&1; "
                 "rm -rf %s/%s; exit $rc",
                 bindir, s, tmpdir, s, s, s, bindir, threads, events, s, s, tmpdir, s);
        FILE *p = popen(cmd, "r");
        if (p && fgets(out, sizeof(out), p) && sscanf(out, "%lf", &r.ns_per_event) == 1) {
                r.ok = 1;
        }
        if (p) {
                pclose(p);
        }
        return r;
}

/* timed: events per second of a shell command over events events; 0 when it
 * fails */
static double timed(const char *cmd, long events)
{
        uint64_t t0 = now_ns();
        int r = system(cmd);
        double secs = (double)(now_ns() - t0) / 1e9;
        return r == 0 && secs > 0 ? (double)events / secs : 0;
}

struct merge_result measure_merge(long events, const char *tmpdir, const char *bindir)
{
        struct merge_result res = {0};
        char dir[4200], cmd[17000];
        snprintf(dir, sizeof(dir), "%s/merge", tmpdir);
        pid_t pid = fork();
        if (pid == 0) {
                struct ward_trace_options o = {
                    .size = sizeof(o), .dir = dir, .name = "bench", .buffer_size = 64u << 20};
                if (ward_trace_start(&o) < 0) {
                        _exit(1);
                }
                for (long i = 0; i < events; i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", (int)i, "abc");
                }
                ward_trace_stop();
                _exit(ward_trace_dropped() == 0 ? 0 : 1);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
                return res;
        }
        /* both write text to a file of the same directory (the page cache) */
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge -o %s/merge.txt %s", bindir, tmpdir, dir);
        res.ward = timed(cmd, events);
        snprintf(cmd, sizeof(cmd),
                 "command -v babeltrace2 >/dev/null && %s/ward trace merge --ctf %s/ctf %s", bindir,
                 tmpdir, dir);
        if (system(cmd) == 0) {
                snprintf(cmd, sizeof(cmd), "babeltrace2 %s/ctf > %s/merge.txt", tmpdir, tmpdir);
                res.babeltrace2 = timed(cmd, events);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf %s %s/ctf %s/merge.txt", dir, tmpdir, tmpdir);
        if (system(cmd) != 0) {
                res.ward = 0;
        }
        return res;
}

struct result measure(enum method m, int threads, long events, const char *tmpdir,
                      const char *bindir)
{
        struct result r = {0};
        int fds[2];
        if (m == M_LTTNG) {
                return measure_lttng(threads, events, tmpdir, bindir);
        }
        if (pipe(fds) < 0) {
                return r;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[0]);
                child(m, threads, events, tmpdir, fds[1]);
        }
        close(fds[1]);
        if (pid < 0 || read(fds[0], &r, sizeof(r)) != sizeof(r)) {
                r.ok = 0;
        }
        close(fds[0]);
        if (pid > 0) {
                waitpid(pid, NULL, 0);
        }
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -f %s/bench.trace.*", tmpdir);
        if (system(cmd) != 0) {
                r.ok = 0;
        }
        return r;
}
