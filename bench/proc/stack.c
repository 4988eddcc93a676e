/* ward-bench-proc-stack (`ward bench proc-stack`): how long `ward stack PID`
 * takes, stopping the process (the default) and live (--live), next to
 * `eu-stack -s -p PID` (function names and source lines, as ward gives
 * them) on the same process: this program run as a target of 4 threads with
 * debug info, each blocked in a system call in a function of its own. Wall
 * time of the whole command, medians over runs, the three interleaved in
 * each run. First it checks that ward names the same functions as eu-stack
 * for every thread (inlined frames aside: eu-stack shows them with -i only).
 *
 *   ward bench proc-stack [--runs N] [--quick] [--json]
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/target.h"
#include "../ipc/stats.h"
#include "args.h"
#include "progress.h"

#define MAX_RUNS 101
#define LIMIT 0.7

extern char **environ;

enum tool { T_WARD_STOP, T_WARD_LIVE, T_EU_STACK_S, T_COUNT };
static const char *const tool_names[T_COUNT] = {"ward-stack", "ward-stack-live", "eu-stack-s"};

/* ---- the target ---- */

static int block_pipe[2];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline, noipa)) static void target_read(void)
{
        char c;
        while (read(block_pipe[0], &c, 1) != 0) {
        }
}

__attribute__((noinline, noipa)) static void target_sleep(void)
{
        for (;;) {
                struct timespec ts = {3600, 0};
                nanosleep(&ts, NULL);
        }
}

__attribute__((noinline, noipa)) static void target_lock(void)
{
        pthread_mutex_lock(&held);
        pthread_mutex_unlock(&held);
}

__attribute__((noinline, noipa)) static void target_pause(void)
{
        for (;;) {
                pause();
        }
}

static void *reader_main(void *arg)
{
        target_read();
        return arg;
}

static void *sleeper_main(void *arg)
{
        target_sleep();
        return arg;
}

static void *locker_main(void *arg)
{
        target_lock();
        return arg;
}

static void target_main(void)
{
        pthread_t t;
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0); /* eu-stack attaches */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (pipe(block_pipe) < 0) {
                _exit(1);
        }
        pthread_mutex_lock(&held);
        if (pthread_create(&t, NULL, reader_main, NULL) != 0 ||
            pthread_create(&t, NULL, sleeper_main, NULL) != 0 ||
            pthread_create(&t, NULL, locker_main, NULL) != 0) {
                _exit(1);
        }
        struct timespec settle = {0, 200 * 1000 * 1000}; /* the threads reach their calls */
        nanosleep(&settle, NULL);
        if (write(1, "ready\n", 6) != 6) {
                _exit(1);
        }
        target_pause();
}

/* ---- running the tools ---- */

/* run: argv with stdout to out[0..size) (NULL: /dev/null); wall ms, or -1
 * when it could not run or failed */
static double run(char *const argv[], char *out, size_t size)
{
        int p[2] = {-1, -1};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (out && pipe(p) == 0) {
                posix_spawn_file_actions_adddup2(&fa, p[1], 1);
                posix_spawn_file_actions_addclose(&fa, p[0]);
        } else {
                posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        }
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t child;
        int status = -1;
        double t0 = bench_now_ms();
        int r = posix_spawnp(&child, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (p[1] >= 0) {
                close(p[1]);
        }
        size_t n = 0;
        ssize_t k;
        while (r == 0 && p[0] >= 0 && n + 1 < size && (k = read(p[0], out + n, size - 1 - n)) > 0) {
                n += (size_t)k;
        }
        if (out) {
                out[n] = '\0';
        }
        if (p[0] >= 0) {
                close(p[0]);
        }
        if (r != 0 || waitpid(child, &status, 0) != child) {
                return -1;
        }
        double ms = bench_now_ms() - t0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

static double run_tool(enum tool t, const char *ward, pid_t pid, char *out, size_t size)
{
        char p[16];
        snprintf(p, sizeof(p), "%d", (int)pid);
        char *argv[T_COUNT][6] = {
            {(char *)ward, "stack", p, out ? "--json" : NULL, NULL},
            {(char *)ward, "stack", "--live", p, out ? "--json" : NULL, NULL},
            {"eu-stack", "-s", "-p", p, NULL},
        };
        return run(argv[t], out, size);
}

/* ---- comparing the functions named ---- */

#define MAX_THREADS 16
#define MAX_NAMES 48

struct stacks {
        int tid[MAX_THREADS];
        char f[MAX_THREADS][MAX_NAMES][128];
        size_t n[MAX_THREADS], threads;
};

static size_t thread_slot(struct stacks *s, int tid)
{
        for (size_t i = 0; i < s->threads; i++) {
                if (s->tid[i] == tid) {
                        return i;
                }
        }
        if (s->threads == MAX_THREADS) {
                return MAX_THREADS;
        }
        s->tid[s->threads] = tid;
        s->n[s->threads] = 0;
        return s->threads++;
}

static void parse_eu(const char *text, struct stacks *s)
{
        size_t cur = MAX_THREADS;
        memset(s, 0, sizeof(*s));
        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                int tid;
                unsigned long long pc;
                char name[128];
                if (sscanf(l, "TID %d:", &tid) == 1) {
                        cur = thread_slot(s, tid);
                } else if (cur < MAX_THREADS && s->n[cur] < MAX_NAMES &&
                           sscanf(l, "#%*d 0x%llx %127s", &pc, name) == 2) {
                        snprintf(s->f[cur][s->n[cur]++], 128, "%s", name);
                }
        }
}

static void parse_ward(const char *json, struct stacks *s)
{
        size_t cur = MAX_THREADS;
        memset(s, 0, sizeof(*s));
        for (const char *p = json; (p = strchr(p, '{')); p++) {
                int tid;
                if (sscanf(p, "{\"tid\":%d", &tid) == 1) {
                        cur = thread_slot(s, tid);
                        continue;
                }
                const char *fn =
                    strncmp(p, "{\"pc\":", 6) == 0 ? strstr(p, "\"function\":\"") : NULL;
                const char *inl = fn ? strstr(fn, "\"inlined\":") : NULL;
                if (!inl || cur >= MAX_THREADS || s->n[cur] >= MAX_NAMES ||
                    strncmp(inl + 10, "true", 4) == 0) {
                        continue;
                }
                fn += 12;
                snprintf(s->f[cur][s->n[cur]++], 128, "%.*s", (int)strcspn(fn, "\""), fn);
        }
}

/* same_functions: does every thread of ward's list the functions eu-stack
 * lists, in order? Differences are printed. */
static int same_functions(const struct stacks *eu, const struct stacks *w, const char *mode)
{
        int same = eu->threads == w->threads && eu->threads == 4;
        for (size_t i = 0; i < w->threads; i++) {
                size_t j = 0;
                while (j < eu->threads && eu->tid[j] != w->tid[i]) {
                        j++;
                }
                int ok = j < eu->threads && eu->n[j] == w->n[i] && w->n[i] > 0;
                for (size_t k = 0; ok && k < w->n[i]; k++) {
                        ok = strcmp(eu->f[j][k], w->f[i][k]) == 0;
                }
                if (!ok) {
                        fprintf(stderr, "%s: thread %d: ward and eu-stack name other functions\n",
                                mode, w->tid[i]);
                }
                same &= ok;
        }
        return same;
}

/* ---- the benchmark ---- */

struct bench {
        int runs, json;
        char self[PATH_MAX], ward[PATH_MAX];
        double ms[T_COUNT][MAX_RUNS];
        int ok[T_COUNT];
        int same_stop, same_live;
};

static double median_of(const double *runs, int n)
{
        double v[MAX_RUNS];
        memcpy(v, runs, sizeof(double) * (size_t)n);
        return stats_median_double(v, (size_t)n);
}

static void compare(struct bench *b, pid_t pid)
{
        static char eu_out[1 << 16], w_out[1 << 17];
        static struct stacks eu, w;
        if (run_tool(T_EU_STACK_S, b->ward, pid, eu_out, sizeof(eu_out)) < 0) {
                return;
        }
        parse_eu(eu_out, &eu);
        if (run_tool(T_WARD_STOP, b->ward, pid, w_out, sizeof(w_out)) >= 0) {
                parse_ward(w_out, &w);
                b->same_stop = same_functions(&eu, &w, "stop");
        }
        if (run_tool(T_WARD_LIVE, b->ward, pid, w_out, sizeof(w_out)) >= 0) {
                parse_ward(w_out, &w);
                b->same_live = same_functions(&eu, &w, "live");
        }
}

static void print_json(const struct bench *b)
{
        const char *sep = "";
        printf("{\"rows\":[");
        for (int t = 0; t < T_COUNT; t++) {
                if (b->ok[t]) {
                        printf("%s{\"name\":\"%s\",\"ms_median\":%.2f,\"runs\":%d}", sep,
                               tool_names[t], median_of(b->ms[t], b->runs), b->runs);
                        sep = ",";
                }
        }
        printf("],\"same_functions\":{\"stop\":%s,\"live\":%s},\"targets\":[",
               b->same_stop ? "true" : "false", b->same_live ? "true" : "false");
        sep = "";
        for (int t = T_WARD_STOP; t <= T_WARD_LIVE && b->ok[T_EU_STACK_S]; t++) {
                if (b->ok[t]) {
                        printf("%s{\"name\":\"%s / eu-stack-s\",\"ratio\":%.3f,\"limit\":%.1f}",
                               sep, tool_names[t],
                               median_of(b->ms[t], b->runs) /
                                   median_of(b->ms[T_EU_STACK_S], b->runs),
                               LIMIT);
                        sep = ",";
                }
        }
        printf("]}\n");
}

static void print_table(const struct bench *b)
{
        printf("ward bench proc-stack: a 4-thread process with debug info, wall time of the "
               "whole command, median of %d runs\n\n",
               b->runs);
        for (int t = 0; t < T_COUNT; t++) {
                if (b->ok[t]) {
                        printf("  %-18s %8.2f ms\n", tool_names[t], median_of(b->ms[t], b->runs));
                } else {
                        printf("  %-18s %8s (could not run)\n", tool_names[t], "-");
                }
        }
        printf("\nsame functions as eu-stack: stop %s, live %s\n", b->same_stop ? "yes" : "NO",
               b->same_live ? "yes" : "NO");
        printf("\ntargets (ratios of medians in this run):\n");
        for (int t = T_WARD_STOP; t <= T_WARD_LIVE && b->ok[T_EU_STACK_S]; t++) {
                if (b->ok[t]) {
                        double ratio =
                            median_of(b->ms[t], b->runs) / median_of(b->ms[T_EU_STACK_S], b->runs);
                        printf("  %-30s %6.2fx  (target <= %.1fx)  %s\n", tool_names[t], ratio,
                               LIMIT, ratio <= LIMIT ? "met" : "NOT met");
                }
        }
}

enum { OPT_RUNS = 1, OPT_JSON, OPT_QUICK };

static const struct cli_command stack_cmd = {
    .name = "bench proc-stack",
    .synopsis = "[--runs=N] [--json] [--quick]",
    .summary = "ward stack, stopping and live, against eu-stack on a 4-thread process.",
    .description = "The whole command each time (ward stack PID, ward stack --live PID,\n"
                   "eu-stack -s -p PID) on a target with debug info; the frames they name are\n"
                   "compared first. Medians over runs; target: ward <= 0.7x eu-stack -s.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "runs (default 11; 1 with --quick)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "one run (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench proc-stack --runs 21",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, struct bench *b)
{
        struct bench_count_option counts[] = {{"runs", 1, MAX_RUNS, 11, 1, 0}, {0}};
        int rc = bench_parse(&stack_cmd, argc, argv, counts, &b->json, NULL);
        b->runs = (int)counts[0].value;
        return rc;
}

int main(int argc, char **argv)
{
        if (argc == 2 && strcmp(argv[1], "--target") == 0) {
                target_main();
        }
        struct bench *b = calloc(1, sizeof(*b));
        if (!b) {
                return 1;
        }
        int rc = parse_args(argc, argv, b);
        if (rc >= 0) {
                free(b);
                return rc;
        }
        ssize_t n = readlink("/proc/self/exe", b->self, sizeof(b->self) - 1);
        b->self[n > 0 ? n : 0] = '\0';
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", b->self);
        snprintf(b->ward, sizeof(b->ward), "%s/ward", dirname(dir));
        pid_t target = bench_target_start(b->self);
        if (target < 0) {
                fprintf(stderr, "ward bench proc-stack: the target did not start\n");
                free(b);
                return 1;
        }
        compare(b, target);
        for (int t = 0; t < T_COUNT; t++) {
                b->ok[t] = 1;
        }
        for (int r = 0; r < b->runs; r++) {
                for (int t = 0; t < T_COUNT; t++) {
                        if (b->ok[t]) {
                                bench_progress("ward bench proc-stack", tool_names[t],
                                               (unsigned)r + 1, (unsigned)b->runs);
                                b->ms[t][r] = run_tool((enum tool)t, b->ward, target, NULL, 0);
                                b->ok[t] = b->ms[t][r] > 0;
                        }
                }
        }
        bench_progress_done();
        kill(target, SIGKILL);
        waitpid(target, NULL, 0);
        if (b->json) {
                print_json(b);
        } else {
                print_table(b);
        }
        int failed = !b->ok[T_WARD_STOP] || !b->ok[T_WARD_LIVE];
        free(b);
        return failed ? 1 : 0;
}
