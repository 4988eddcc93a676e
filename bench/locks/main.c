/* ward-bench-locks (`ward bench locks`): what instrumented locks cost next to
 * plain pthread mutexes -- uncontended, contended by two threads, nested
 * A->B -- for pthread, ward (statistics), ward-order (statistics and
 * lock-order checking) and preload (the pthread code under
 * libward-locks.so), each measurement in a fresh process, all interleaved in
 * each run; and how long `ward locks` takes on a 100-thread process with 50
 * threads blocked, next to eu-stack on the same process. Medians over runs.
 *
 *   ward bench locks [--runs N] [--ops N] [--json] [--quick]
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/target.h"
#include "../ipc/stats.h"
#include "args.h"
#include "ops.h"
#include "progress.h"
#include "scan.h"

#define MAX_RUNS 64

struct bench {
        int runs, json;
        long ops;
        char self[PATH_MAX], bindir[PATH_MAX];
        double ns[V_COUNT][C_COUNT][MAX_RUNS];
        int ok[V_COUNT][C_COUNT];
        double ms[S_COUNT][MAX_RUNS];
        int scan_ok[S_COUNT];
};

enum { OPT_RUNS = 1, OPT_OPS, OPT_JSON, OPT_QUICK };

static const struct cli_command locks_cmd = {
    .name = "bench locks",
    .synopsis = "[--runs=N] [--ops=N] [--json] [--quick]",
    .summary = "Instrumented locks against pthread; ward locks against eu-stack.",
    .description = "Rows: pthread, ward (statistics), ward-order (statistics and lock-order\n"
                   "checking) and preload (pthread code under libward-locks.so), uncontended,\n"
                   "contended by two threads and nested A->B, each in a fresh process; then how\n"
                   "long ward locks takes on a 100-thread process with 50 threads blocked, next\n"
                   "to eu-stack on the same process. Interleaved in each run; medians over runs.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "runs, 1 to 64 (default 7; 1 with --quick)"},
            {OPT_OPS, "ops", 0, "N",
             "lock and unlock pairs per measurement, at least 1000 (default 2000000)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "one run of 200000 operations (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench locks --runs 3 --ops 500000",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, struct bench *b)
{
        struct bench_count_option counts[] = {
            {"runs", 1, MAX_RUNS, 7, 1, 0},
            {"ops", 1000, 1000000000, 2000000, 200000, 0},
            {0},
        };
        int rc = bench_parse(&locks_cmd, argc, argv, counts, &b->json, NULL);
        b->runs = (int)counts[0].value;
        b->ops = counts[1].value;
        return rc;
}

/* worker: one measurement in a fresh process (preload: under the shim) */
static double worker(const struct bench *b, enum variant v, enum lock_case c)
{
        int p[2];
        char arg_v[8], arg_c[8], arg_n[24], buf[64] = "";
        snprintf(arg_v, sizeof(arg_v), "%d", (int)v);
        snprintf(arg_c, sizeof(arg_c), "%d", (int)c);
        snprintf(arg_n, sizeof(arg_n), "%ld", b->ops);
        if (pipe(p) < 0) {
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                if (v == V_PRELOAD) {
                        setenv("LD_PRELOAD", WARD_LOCKS_PRELOAD, 1);
                }
                execl(b->self, b->self, "--worker", arg_v, arg_c, arg_n, (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        ssize_t n = pid > 0 ? read(p[0], buf, sizeof(buf) - 1) : -1;
        close(p[0]);
        int status = 1;
        if (pid > 0) {
                waitpid(pid, &status, 0);
        }
        buf[n > 0 ? n : 0] = '\0';
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 && n > 0 ? atof(buf) : -1;
}

static double median_of(const double *runs, int n)
{
        double v[MAX_RUNS];
        memcpy(v, runs, sizeof(double) * (size_t)n);
        return stats_median_double(v, (size_t)n);
}

static void print_json(const struct bench *b)
{
        const char *sep = "";
        printf("{\"rows\":[");
        for (int c = 0; c < C_COUNT; c++) {
                for (int v = 0; v < V_COUNT; v++) {
                        if (b->ok[v][c]) {
                                printf("%s{\"variant\":\"%s\",\"case\":\"%s\",\"ns_per_op_median\":"
                                       "%.2f}",
                                       sep, variant_names[v], case_names[c],
                                       median_of(b->ns[v][c], b->runs));
                                sep = ",";
                        }
                }
        }
        for (int s = 0; s < S_COUNT; s++) {
                if (b->scan_ok[s]) {
                        printf("%s{\"variant\":\"%s\",\"case\":\"scan100\",\"ms_median\":%.2f}",
                               sep, scanner_names[s], median_of(b->ms[s], b->runs));
                        sep = ",";
                }
        }
        printf("]}\n");
}

static void check(const char *what, double ratio, double limit)
{
        printf("  %-40s %6.2fx  (target <= %.2gx)  %s\n", what, ratio, limit,
               ratio <= limit ? "met" : "NOT met");
}

static void print_table(const struct bench *b)
{
        double med[V_COUNT][C_COUNT];
        printf("ward bench locks: %ld operations, median of %d runs, ns per lock+unlock\n\n",
               b->ops, b->runs);
        printf("%-12s", "variant");
        for (int c = 0; c < C_COUNT; c++) {
                printf(" %12s", case_names[c]);
        }
        printf("\n");
        for (int v = 0; v < V_COUNT; v++) {
                printf("%-12s", variant_names[v]);
                for (int c = 0; c < C_COUNT; c++) {
                        med[v][c] = b->ok[v][c] ? median_of(b->ns[v][c], b->runs) : 0;
                        if (b->ok[v][c]) {
                                printf(" %12.2f", med[v][c]);
                        } else {
                                printf(" %12s", "-");
                        }
                }
                printf("\n");
        }
        printf("\nscan100 (100 threads, 50 blocked), ms per run:\n");
        for (int s = 0; s < S_COUNT; s++) {
                if (b->scan_ok[s]) {
                        printf("  %-20s %10.2f\n", scanner_names[s], median_of(b->ms[s], b->runs));
                } else {
                        printf("  %-20s %10s (could not run)\n", scanner_names[s], "-");
                }
        }
        printf("\ntargets (ratios of medians in this run):\n");
        double base = med[V_PTHREAD][C_UNCONTENDED];
        if (base > 0) {
                check("ward / pthread, uncontended", med[V_WARD][C_UNCONTENDED] / base, 1.1);
                check("ward-order / pthread, uncontended", med[V_WARD_ORDER][C_UNCONTENDED] / base,
                      1.3);
                check("preload / pthread, uncontended", med[V_PRELOAD][C_UNCONTENDED] / base, 1.5);
        }
        if (b->scan_ok[S_EU_STACK] && b->scan_ok[S_WARD_SCAN]) {
                check("ward-locks-scan / eu-stack",
                      median_of(b->ms[S_WARD_SCAN], b->runs) /
                          median_of(b->ms[S_EU_STACK], b->runs),
                      0.1);
        }
        if (b->scan_ok[S_EU_STACK_S] && b->scan_ok[S_WARD_STACKS]) {
                check("ward-locks-stacks / eu-stack-s",
                      median_of(b->ms[S_WARD_STACKS], b->runs) /
                          median_of(b->ms[S_EU_STACK_S], b->runs),
                      1.0);
        }
}

/* one_run: every variant and case, then every scanner, interleaved */
static void one_run(struct bench *b, int r, pid_t target)
{
        for (int c = 0; c < C_COUNT; c++) {
                for (int v = 0; v < V_COUNT; v++) {
                        if (b->ok[v][c]) {
                                char row[64];
                                snprintf(row, sizeof(row), "%s, %s", variant_names[v],
                                         case_names[c]);
                                bench_progress("ward bench locks", row, (unsigned)r + 1,
                                               (unsigned)b->runs);
                                double ns = worker(b, (enum variant)v, (enum lock_case)c);
                                b->ok[v][c] = ns > 0;
                                b->ns[v][c][r] = ns;
                        }
                }
        }
        for (int s = 0; s < S_COUNT && target > 0; s++) {
                if (b->scan_ok[s]) {
                        bench_progress("ward bench locks", scanner_names[s], (unsigned)r + 1,
                                       (unsigned)b->runs);
                        double ms = scan_time((enum scanner)s, b->bindir, target);
                        b->scan_ok[s] = ms > 0;
                        b->ms[s][r] = ms;
                }
        }
}

int main(int argc, char **argv)
{
        if (argc == 5 && strcmp(argv[1], "--worker") == 0) {
                double ns = ops_run((enum variant)atoi(argv[2]), (enum lock_case)atoi(argv[3]),
                                    atol(argv[4]));
                printf("%.3f\n", ns);
                return ns > 0 ? 0 : 1;
        }
        if (argc == 2 && strcmp(argv[1], "--target") == 0) {
                scan_target_main();
        }
        struct bench *b = calloc(1, sizeof(*b));
        if (!b) {
                fprintf(stderr, "ward bench locks: out of memory\n");
                return 1;
        }
        int rc = parse_args(argc, argv, b);
        if (rc >= 0) {
                free(b);
                return rc;
        }
        ssize_t n = readlink("/proc/self/exe", b->self, sizeof(b->self) - 1);
        b->self[n > 0 ? n : 0] = '\0';
        snprintf(b->bindir, sizeof(b->bindir), "%s", b->self);
        dirname(b->bindir);
        for (int v = 0; v < V_COUNT; v++) {
                for (int c = 0; c < C_COUNT; c++) {
                        b->ok[v][c] = 1;
                }
        }
        for (int s = 0; s < S_COUNT; s++) {
                b->scan_ok[s] = 1;
        }
        pid_t target = bench_target_start(b->self);
        for (int r = 0; r < b->runs; r++) {
                one_run(b, r, target);
        }
        bench_progress_done();
        if (target > 0) {
                kill(target, SIGKILL);
                waitpid(target, NULL, 0);
        } else {
                memset(b->scan_ok, 0, sizeof(b->scan_ok));
        }
        if (b->json) {
                print_json(b);
        } else {
                print_table(b);
        }
        int failed = !b->ok[V_PTHREAD][C_UNCONTENDED] || !b->ok[V_WARD][C_UNCONTENDED];
        free(b);
        return failed ? 1 : 0;
}
