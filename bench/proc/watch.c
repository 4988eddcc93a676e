/* ward-bench-proc-watch: how long after a process exits does ward_watch say
 * so, next to a bare pidfd + poll() waiting for the same exit (the floor:
 * what any program can do for a process it holds).
 *
 * Each exit is watched twice at once: a thread runs a ward_loop with a
 * ward_watch (back-end forced: connector, pidfd, proc), another blocks in
 * poll() on the child's pidfd. The child writes ward_now_ns() into shared
 * memory and exits; each side notes ward_now_ns() when it hears. Medians of
 * each run, then the median over runs; the ratio is ward_watch's over the
 * pidfd's of the same exits. No timing is asserted anywhere: the numbers are
 * for people to read (`ward bench proc-watch`).
 *
 * usage: ward bench proc-watch [--runs N] [--exits N] [--json] [--quick] */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/loop.h>
#include <ward/watch.h>

#include "../ipc/stats.h"
#include "args.h"
#include "progress.h"

#define MAX_RUNS 50
#define MAX_EXITS 10000
#define TARGET_LIMIT 1.5

enum { B_CONNECTOR, B_PIDFD, B_PROC, B_COUNT };

static const char *const backend_names[B_COUNT] = {"connector", "pidfd", "proc"};
static const enum ward_watch_backend backends[B_COUNT] = {
    WARD_WATCH_BACKEND_CONNECTOR, WARD_WATCH_BACKEND_PIDFD, WARD_WATCH_BACKEND_PROC};

/* one exit, seen from both sides */
struct shot {
        int pid, pidfd;
        volatile uint64_t *exit_ns; /* shared with the child */
        uint64_t watch_ns, pidfd_ns;
};

struct watcher {
        ward_loop *loop;
        ward_watch *w;
        enum ward_watch_backend backend;
        int failed;
        struct shot *shot;
        sem_t ready, added, heard;
        pthread_t thread;
};

struct poller {
        struct shot *shot;
        int quit;
        sem_t go, armed, heard;
        pthread_t thread;
};

static void on_event(const struct ward_watch_event *ev, void *arg)
{
        struct watcher *wt = arg;
        struct shot *s = wt->shot;
        if (ev->kind == WARD_WATCH_EXIT && s && ev->pid == s->pid) {
                s->watch_ns = ward_now_ns();
                sem_post(&wt->heard);
        }
}

static void add_pid(void *arg)
{
        struct watcher *wt = arg;
        if (ward_watch_add_pid(wt->w, wt->shot->pid) < 0) {
                wt->failed = 1;
        }
        sem_post(&wt->added);
}

static void *watcher_main(void *arg)
{
        struct watcher *wt = arg;
        int self = getpid();
        /* exits of the processes added (each child, by add_pid): the pidfd
         * back-end then needs no rescans, the proc one rescans every 100 ms */
        struct ward_watch_options o = {.size = sizeof(o),
                                       .backend = wt->backend,
                                       .kinds = WARD_WATCH_EXIT,
                                       .flags = WARD_WATCH_NO_DESCENDANTS,
                                       .pids = &self,
                                       .n_pids = 1};
        if (ward_loop_new(&wt->loop) < 0 ||
            ward_watch_new(wt->loop, &o, on_event, wt, &wt->w) < 0) {
                wt->failed = 1;
                sem_post(&wt->ready);
                return NULL;
        }
        sem_post(&wt->ready);
        ward_loop_run(wt->loop);
        ward_watch_free(wt->w);
        return NULL;
}

static void *poller_main(void *arg)
{
        struct poller *p = arg;
        for (;;) {
                sem_wait(&p->go);
                if (p->quit) {
                        return NULL;
                }
                struct pollfd pf = {.fd = p->shot->pidfd, .events = POLLIN};
                sem_post(&p->armed);
                while (poll(&pf, 1, -1) < 0 && errno == EINTR) {
                }
                p->shot->pidfd_ns = ward_now_ns();
                sem_post(&p->heard);
        }
}

/* one_exit: a child that exits when told, heard by both sides. 0 or -1. */
static int one_exit(struct watcher *wt, struct poller *p, struct shot *s)
{
        int go[2];
        if (pipe2(go, O_CLOEXEC) < 0) {
                return -1;
        }
        *s->exit_ns = 0;
        pid_t pid = fork();
        if (pid < 0) {
                return -1;
        }
        if (pid == 0) {
                char c;
                if (read(go[0], &c, 1) != 1) {
                        _exit(1);
                }
                *s->exit_ns = ward_now_ns();
                _exit(0);
        }
        close(go[0]);
        s->pid = pid;
        s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        s->watch_ns = s->pidfd_ns = 0;
        wt->shot = s;
        p->shot = s;
        ward_loop_post(wt->loop, add_pid, wt);
        sem_wait(&wt->added);
        sem_post(&p->go);
        sem_wait(&p->armed);
        /* both sides on their way to sleep: let them get there, so neither
         * hears the exit merely by arriving late */
        struct timespec settle = {0, 1000000};
        nanosleep(&settle, NULL);
        int r = wt->failed || s->pidfd < 0 || write(go[1], "x", 1) != 1 ? -1 : 0;
        close(go[1]);
        if (r == 0) {
                sem_wait(&wt->heard);
                sem_wait(&p->heard);
        } else if (s->pidfd >= 0) {
                kill(pid, SIGKILL);
                sem_wait(&p->heard);
        }
        waitpid(pid, NULL, 0);
        if (s->pidfd >= 0) {
                close(s->pidfd);
        }
        return r;
}

struct result {
        int ok;
        double watch_us[MAX_RUNS], pidfd_us[MAX_RUNS], ratio[MAX_RUNS];
};

/* run_backend: n exits watched with backend b; the medians of this run */
static int run_backend(int b, int n, volatile uint64_t *exit_ns, double *watch_us, double *pidfd_us)
{
        struct watcher wt = {.backend = backends[b]};
        struct poller p = {0};
        uint64_t *lw = calloc((size_t)n, sizeof(uint64_t)),
                 *lp = calloc((size_t)n, sizeof(uint64_t));
        int got = 0;
        sem_init(&wt.ready, 0, 0);
        sem_init(&wt.added, 0, 0);
        sem_init(&wt.heard, 0, 0);
        sem_init(&p.go, 0, 0);
        sem_init(&p.armed, 0, 0);
        sem_init(&p.heard, 0, 0);
        pthread_create(&wt.thread, NULL, watcher_main, &wt);
        pthread_create(&p.thread, NULL, poller_main, &p);
        sem_wait(&wt.ready);
        for (int i = 0; lw && lp && !wt.failed && i < n; i++) {
                struct shot s = {.exit_ns = exit_ns};
                if (one_exit(&wt, &p, &s) < 0 || !*exit_ns) {
                        break;
                }
                lw[got] = s.watch_ns > *exit_ns ? s.watch_ns - *exit_ns : 0;
                lp[got] = s.pidfd_ns > *exit_ns ? s.pidfd_ns - *exit_ns : 0;
                got++;
        }
        p.quit = 1;
        sem_post(&p.go);
        pthread_join(p.thread, NULL);
        if (wt.loop) {
                ward_loop_stop(wt.loop);
        }
        pthread_join(wt.thread, NULL);
        ward_loop_free(wt.loop);
        if (got == n) {
                *watch_us = stats_median_u64(lw, (size_t)n) / 1e3;
                *pidfd_us = stats_median_u64(lp, (size_t)n) / 1e3;
        }
        free(lw);
        free(lp);
        return got == n ? 0 : -1;
}

static double median_of(const double *v, int n)
{
        double c[MAX_RUNS];
        memcpy(c, v, sizeof(double) * (size_t)n);
        return stats_median_double(c, (size_t)n);
}

static void print_json(const struct result *res, int runs)
{
        const char *sep = "";
        double base[B_COUNT * MAX_RUNS];
        int nb = 0;
        printf("{\"rows\":[");
        for (int b = 0; b < B_COUNT; b++) {
                if (!res[b].ok) {
                        continue;
                }
                memcpy(base + nb, res[b].pidfd_us, sizeof(double) * (size_t)runs);
                nb += runs;
                printf("%s{\"observer\":\"ward-watch\",\"backend\":\"%s\",\"us_median\":%.2f}", sep,
                       backend_names[b], median_of(res[b].watch_us, runs));
                sep = ",";
        }
        if (nb) {
                printf("%s{\"observer\":\"pidfd-poll\",\"backend\":\"-\",\"us_median\":%.2f}", sep,
                       stats_median_double(base, (size_t)nb));
        }
        printf("],\"targets\":[");
        sep = "";
        for (int b = 0; b < B_PROC; b++) {
                if (res[b].ok) {
                        printf("%s{\"name\":\"ward_watch %s / pidfd+poll\",\"ratio\":%.3f,"
                               "\"limit\":%.1f}",
                               sep, backend_names[b], median_of(res[b].ratio, runs), TARGET_LIMIT);
                        sep = ",";
                }
        }
        printf("]}\n");
}

static void print_table(const struct result *res, int runs, int exits)
{
        printf("ward bench proc-watch: exit -> event, median of %d run%s of %d exits (proc: %d), "
               "microseconds\n\n",
               runs, runs == 1 ? "" : "s", exits, exits / 10 > 5 ? exits / 10 : 5);
        printf("%-24s %14s %14s %8s\n", "observer", "ward_watch", "pidfd+poll", "ratio");
        for (int b = 0; b < B_COUNT; b++) {
                if (!res[b].ok) {
                        printf("ward_watch %-13s %14s (could not run: %s)\n", backend_names[b], "-",
                               b == B_CONNECTOR ? "needs CAP_NET_ADMIN" : "failed");
                        continue;
                }
                printf("ward_watch %-13s %14.1f %14.1f %7.2fx\n", backend_names[b],
                       median_of(res[b].watch_us, runs), median_of(res[b].pidfd_us, runs),
                       median_of(res[b].ratio, runs));
        }
        printf("\n(proc rescans every 100 ms: shown for scale, no target)\n");
        printf("\ntargets (ratios of medians of the same exits):\n");
        for (int b = 0; b < B_PROC; b++) {
                if (res[b].ok) {
                        double r = median_of(res[b].ratio, runs);
                        printf("  ward_watch %-9s / pidfd+poll %6.2fx  (target <= %.1fx)  %s\n",
                               backend_names[b], r, TARGET_LIMIT,
                               r <= TARGET_LIMIT ? "met" : "NOT met");
                }
        }
}

enum { OPT_RUNS = 1, OPT_EXITS, OPT_JSON, OPT_QUICK };

static const struct cli_command watch_cmd = {
    .name = "bench proc-watch",
    .synopsis = "[--runs=N] [--exits=N] [--json] [--quick]",
    .summary = "Exit-to-event latency of ward_watch next to a bare pidfd and poll().",
    .description = "The same exits are seen by ward_watch (connector, pidfd and proc back-ends)\n"
                   "and by a bare pidfd + poll(); back-ends interleaved in each run, medians over\n"
                   "runs. The connector needs CAP_NET_ADMIN; proc rescans every 100 ms and is\n"
                   "shown for scale. Target: ward_watch <= 1.5x pidfd+poll.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "runs, 1 to 50 (default 5; 1 with --quick)"},
            {OPT_EXITS, "exits", 0, "N",
             "exits per run, 1 to 10000 (default 200; 30 with --quick)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "one short run (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench proc-watch --exits 1000",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, int *runs, int *exits, int *json)
{
        struct bench_count_option counts[] = {
            {"runs", 1, MAX_RUNS, 5, 1, 0},
            {"exits", 1, MAX_EXITS, 200, 30, 0},
            {0},
        };
        int rc = bench_parse(&watch_cmd, argc, argv, counts, json, NULL);
        *runs = (int)counts[0].value;
        *exits = (int)counts[1].value;
        return rc;
}

int main(int argc, char **argv)
{
        int runs = 5, exits = 200, json = 0;
        int rc = parse_args(argc, argv, &runs, &exits, &json);
        if (rc >= 0) {
                return rc;
        }
        volatile uint64_t *exit_ns =
            mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (exit_ns == MAP_FAILED) {
                perror("mmap");
                return 1;
        }
        static struct result res[B_COUNT];
        for (int b = 0; b < B_COUNT; b++) {
                res[b].ok = 1;
        }
        for (int r = 0; r < runs; r++) { /* back-ends interleaved: noise hits them alike */
                for (int b = 0; b < B_COUNT; b++) {
                        int n = b == B_PROC ? (exits / 10 > 5 ? exits / 10 : 5) : exits;
                        bench_progress("ward bench proc-watch", backend_names[b], (unsigned)r + 1,
                                       (unsigned)runs);
                        if (res[b].ok && run_backend(b, n, exit_ns, &res[b].watch_us[r],
                                                     &res[b].pidfd_us[r]) < 0) {
                                res[b].ok = 0;
                        }
                        if (res[b].ok) {
                                res[b].ratio[r] = res[b].pidfd_us[r] > 0
                                                      ? res[b].watch_us[r] / res[b].pidfd_us[r]
                                                      : 0;
                        }
                }
        }
        bench_progress_done();
        if (json) {
                print_json(res, runs);
        } else {
                print_table(res, runs, exits);
        }
        return 0;
}
