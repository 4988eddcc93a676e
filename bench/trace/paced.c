/* Paced producers (see paced.h). Each run of ward is a child process that
 * starts tracing with the defaults (but for what paced_config changes),
 * traces at the rate and stops; the parent then counts the records in the
 * files, so "kept" is what a reader gets. LTTng runs its helper program in a
 * recording session of its own, in the default channel configuration, and
 * reads back with babeltrace2. */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/trace.h>

#include "inspect/trace/tfile.h"
#include "pace.h"
#include "paced.h"
#include "trace/layout.h"

const char *const paced_names[P_COUNT] = {"ward", "lttng"};

struct producer {
        double rate;
        uint64_t duration_ns;
        pthread_barrier_t *start;
        long emitted;
        uint64_t ns;
};

static void *produce(void *arg)
{
        struct producer *w = arg;
        const char *s = "abc";
        struct pace p;
        long i = 0;
        pthread_barrier_wait(w->start);
        pace_start(&p, w->rate, w->duration_ns);
        for (long n; (n = pace_next(&p)) > 0;) {
                for (long k = 0; k < n; k++, i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", (int)i, s);
                        __asm__ volatile("" ::: "memory"); /* s may change: no batching */
                }
        }
        w->ns = pace_now() - p.t0;
        w->emitted = i;
        return NULL;
}

/* ward_child: the run inside the child; the result goes to fd. */
static void ward_child(int threads, double rate, uint64_t duration_ns,
                       const struct paced_config *cfg, const char *dir, int fd)
{
        struct ward_trace_options o = {.size = sizeof(o),
                                       .level = WARD_TRACE_INFO,
                                       .dir = dir,
                                       .name = "paced",
                                       .buffer_size = cfg->buffer_size,
                                       .flush_interval_ns = cfg->flush_interval_ns,
                                       /* rotation is retention, not loss: no
                                        * file of the run rotates away */
                                       .rotate_bytes = 1ull << 40};
        struct paced_result r = {.ok = ward_trace_start(&o) == 0};
        struct producer w[8];
        pthread_t t[8];
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        for (int i = 0; r.ok && i < threads; i++) {
                w[i] = (struct producer){
                    .rate = rate / threads, .duration_ns = duration_ns, .start = &start};
                pthread_create(&t[i], NULL, produce, &w[i]);
        }
        for (int i = 0; r.ok && i < threads; i++) {
                pthread_join(t[i], NULL);
                r.emitted += (uint64_t)w[i].emitted;
                r.seconds = (double)w[i].ns / 1e9 > r.seconds ? (double)w[i].ns / 1e9 : r.seconds;
        }
        ward_trace_stop();
        r.lost = ward_trace_dropped();
        if (write(fd, &r, sizeof(r)) != sizeof(r)) {
                _exit(1);
        }
        _exit(0);
}

/* count_file: the events a reader gets from one file, and the events its
 * LOST records name. */
static int count_file(const char *path, uint64_t *events, uint64_t *lost)
{
        struct ward__trace_tfile *f;
        struct ward__trace_fev ev;
        char err[512];
        if (ward__trace_tfile_open(path, &f, err, sizeof(err)) < 0) {
                return -1;
        }
        int r;
        while ((r = ward__trace_tfile_next(f, &ev, err, sizeof(err))) > 0) {
                if (ev.kind == WARD__TRACE_REC_EVENT) {
                        (*events)++;
                } else {
                        uint64_t n;
                        memcpy(&n, ev.rec + 16, 8); /* the reader checked its size */
                        *lost += n;
                }
        }
        ward__trace_tfile_close(f);
        return r;
}

/* count_and_remove: every paced.trace.* file of dir, then the files. */
static int count_and_remove(const char *dir, uint64_t *events, uint64_t *lost)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[4200];
        int r = d ? 0 : -1;
        while (d && (e = readdir(d))) {
                if (strncmp(e->d_name, "paced.trace.", 12) == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        r |= count_file(path, events, lost);
                        unlink(path);
                }
        }
        if (d) {
                closedir(d);
        }
        return r;
}

static struct paced_result ward_run(int threads, double rate, uint64_t duration_ns,
                                    const struct paced_config *cfg, const char *tmpdir)
{
        struct paced_result r = {0};
        int fds[2];
        if (pipe(fds) < 0) {
                return r;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[0]);
                ward_child(threads, rate, duration_ns, cfg, tmpdir, fds[1]);
        }
        close(fds[1]);
        if (pid < 0 || read(fds[0], &r, sizeof(r)) != sizeof(r)) {
                r.ok = 0;
        }
        close(fds[0]);
        if (pid > 0) {
                waitpid(pid, NULL, 0);
        }
        uint64_t lost_in_files = 0;
        if (count_and_remove(tmpdir, &r.kept, &lost_in_files) < 0) {
                r.ok = 0;
        }
        r.exact = r.kept + r.lost == r.emitted && lost_in_files == r.lost;
        return r;
}

/* number_after: the number that follows key in text, or -1. */
static long long number_after(const char *text, const char *key)
{
        const char *p = strstr(text, key);
        return p ? atoll(p + strlen(key)) : -1;
}

/* lttng_run: the helper in a session named for this process and run (other
 * benchmarks may use the same session daemon), its channel's discarded
 * count, and the events babeltrace2 reads back. */
static struct paced_result lttng_run(int threads, double rate, uint64_t duration_ns,
                                     const char *tmpdir, const char *bindir)
{
        static int n;
        struct paced_result r = {0};
        char cmd[16384], out[8192], s[64];
        snprintf(s, sizeof(s), "ward-bench-paced-%d-%d", (int)getpid(), n++);
        snprintf(cmd, sizeof(cmd),
                 "test -x %s/ward-bench-trace-lttng && command -v lttng >/dev/null && "
                 "command -v babeltrace2 >/dev/null && "
                 "{ pgrep -x lttng-sessiond >/dev/null || lttng-sessiond --daemonize "
                 ">/dev/null 2>&1; } && lttng create %s --output=%s/%s >/dev/null && "
                 "lttng enable-event -s %s -u 'lttng_ust_tracef:*' >/dev/null && "
                 "lttng start %s >/dev/null && %s/ward-bench-trace-lttng pace %d %.0f %llu; "
                 "rc=$?; lttng stop %s >/dev/null 2>&1; lttng list %s | grep 'Discarded events'; "
                 "babeltrace2 %s/%s -c sink.utils.counter -p step=+0 | grep 'Event messages'; "
                 "lttng destroy %s >/dev/null 2>&1; rm -rf %s/%s; exit $rc",
                 bindir, s, tmpdir, s, s, s, bindir, threads, rate,
                 (unsigned long long)(duration_ns / 1000000u), s, s, tmpdir, s, s, tmpdir, s);
        FILE *p = popen(cmd, "r");
        size_t len = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
        out[len] = '\0';
        int st = p ? pclose(p) : -1;
        long long emitted = number_after(out, "emitted ");
        long long lost = number_after(out, "Discarded events:");
        const char *kept = strstr(out, "Event messages");
        const char *secs = strstr(out, "seconds ");
        if (st != 0 || emitted < 0 || lost < 0 || !kept || !secs) {
                return r;
        }
        while (kept > out && (kept[-1] == ' ' || (kept[-1] >= '0' && kept[-1] <= '9'))) {
                kept--;
        }
        r = (struct paced_result){.emitted = (uint64_t)emitted,
                                  .kept = (uint64_t)atoll(kept),
                                  .lost = (uint64_t)lost,
                                  .seconds = atof(secs + 8),
                                  .ok = 1};
        if (lost == LLONG_MAX) { /* lttng list printed 2^64 - 1: it does not know */
                r.lost = PACED_UNKNOWN;
        }
        r.exact = r.lost != PACED_UNKNOWN && r.kept + r.lost == r.emitted;
        return r;
}

struct paced_result paced_run(enum paced_method m, int threads, double rate, uint64_t duration_ns,
                              const struct paced_config *cfg, const char *tmpdir,
                              const char *bindir)
{
        if (m == P_LTTNG) {
                return lttng_run(threads, rate, duration_ns, tmpdir, bindir);
        }
        return ward_run(threads, rate, duration_ns, cfg, tmpdir);
}
