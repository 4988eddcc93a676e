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
#include "ops.h"
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

static int parse_args(int argc, char **argv, struct bench *b)
{
        b->runs = 7;
        b->ops = 2000000;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        b->json = 1;
                } else if (strcmp(argv[i], "--quick") == 0) {
                        b->runs = 1;
                        b->ops = 200000;
                } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
                        b->runs = atoi(argv[++i]);
                } else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
                        b->ops = atol(argv[++i]);
                } else {
                        return -1;
                }
        }
        return b->runs >= 1 && b->runs <= MAX_RUNS && b->ops >= 1000 ? 0 : -1;
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
                                double ns = worker(b, (enum variant)v, (enum lock_case)c);
                                b->ok[v][c] = ns > 0;
                                b->ns[v][c][r] = ns;
                        }
                }
        }
        for (int s = 0; s < S_COUNT && target > 0; s++) {
                if (b->scan_ok[s]) {
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
        if (!b || parse_args(argc, argv, b) < 0) {
                fprintf(stderr,
                        "usage: ward bench locks [--runs N] [--ops N] [--json] [--quick]\n");
                return 2;
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
