/* ward-bench-proc (`ward bench proc`): the process tools next to the tools
 * people use for the same job, in one run, medians over runs:
 *   ps      `ward ps` over N processes (the benchmark starts them) next to
 *           procps' ps and a python3 psutil loop reading the same fields;
 *           target: ward ps <= 0.5x ps.
 *   stack   `ward stack` (stopping and live) next to eu-stack -s on a
 *           4-thread target (ward-bench-proc-stack); targets <= 0.7x.
 *   watch   exit -> event latency of ward_watch next to a bare pidfd + poll
 *           (ward-bench-proc-watch); targets <= 1.5x.
 *
 *   ward bench proc [--runs N] [--procs N] [--json] [--quick]
 *
 * --json prints {"rows":[...],"targets":[{"name","ratio","limit"}]}, every
 * target read as ratio <= limit. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/stats.h"
#include "args.h"
#include "parts.h"
#include "progress.h"
#include "ps.h"

#define MAX_RUNS 64
#define MAX_PROCS 4000

struct bench {
        int runs, procs, json, quick;
        char bindir[PATH_MAX];
        struct parts_json parts;
        char ward[PATH_MAX + 16];
        double ps[PS_ROWS][MAX_RUNS];
};

enum { OPT_RUNS = 1, OPT_PROCS, OPT_JSON, OPT_QUICK };

static const struct cli_command proc_cmd = {
    .name = "bench proc",
    .synopsis = "[--runs=N] [--procs=N] [--json] [--quick]",
    .summary = "The process tools next to the tools people use for the same job.",
    .description = "ps: ward ps over N processes (the benchmark starts them) next to procps' ps\n"
                   "and a python3 psutil loop reading the same fields (target: ward ps <= 0.5x\n"
                   "ps). Then ward bench proc-stack (ward stack next to eu-stack) and ward bench\n"
                   "proc-watch (ward_watch next to a bare pidfd). Medians over runs.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "runs, 1 to 64 (default 7; 1 with --quick)"},
            {OPT_PROCS, "procs", 0, "N",
             "processes ward ps lists, 1 to 4000 (default 1000; 100 with --quick)"},
            {OPT_JSON, "json", 0, NULL,
             "one JSON object on stdout: rows, and targets read as ratio <= limit"},
            {OPT_QUICK, "quick", 0, NULL, "one short run (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench proc --procs 2000 --json",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, struct bench *b)
{
        struct bench_count_option counts[] = {
            {"runs", 1, MAX_RUNS, 7, 1, 0},
            {"procs", 1, MAX_PROCS, 1000, 100, 0},
            {0},
        };
        int rc = bench_parse(&proc_cmd, argc, argv, counts, &b->json, &b->quick);
        b->runs = (int)counts[0].value;
        b->procs = (int)counts[1].value;
        return rc;
}

/* median: of the runs that measured (-1 when none did) */
static double median(const double *v, int n)
{
        double ok[MAX_RUNS];
        int k = 0;
        for (int i = 0; i < n; i++) {
                if (v[i] >= 0) {
                        ok[k++] = v[i];
                }
        }
        return k ? stats_median_double(ok, (size_t)k) : -1;
}

static void report(const struct bench *b)
{
        static const char *const names[PS_ROWS] = {"ward-ps", "procps-ps", "psutil-loop"};
        double m[PS_ROWS];
        for (int r = 0; r < PS_ROWS; r++) {
                m[r] = median(b->ps[r], b->runs);
        }
        double ratio = m[PS_WARD] > 0 && m[PS_PROCPS] > 0 ? m[PS_WARD] / m[PS_PROCPS] : -1;
        if (b->json) {
                printf("{\"procs\":%d,\"runs\":%d,\"rows\":[", b->procs, b->runs);
                for (int r = 0; r < PS_ROWS; r++) {
                        printf("%s{\"name\":\"%s\",\"ms\":%.3f}", r ? "," : "", names[r], m[r]);
                }
                printf("%s],\"targets\":[{\"name\":\"ward-ps/procps-ps\",\"ratio\":%.3f,"
                       "\"limit\":0.5}%s]}\n",
                       b->parts.rows, ratio, b->parts.targets);
                return;
        }
        printf("ward bench proc: %d processes, median of %d runs (ms, whole command)\n", b->procs,
               b->runs);
        for (int r = 0; r < PS_ROWS; r++) {
                printf("  %-14s %9.2f%s\n", names[r], m[r],
                       r == PS_PSUTIL ? "  (the loop alone, inside python3)" : "");
        }
        printf("targets (ratios of medians in this run):\n");
        printf("  ward-ps / procps-ps   %.2fx  (target <= 0.5x)  %s\n", ratio,
               ratio >= 0 && ratio <= 0.5 ? "met" : "NOT met");
}

int main(int argc, char **argv)
{
        static struct bench b;
        int rc = parse_args(argc, argv, &b);
        if (rc >= 0) {
                return rc;
        }
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
                return 1;
        }
        self[n] = '\0';
        snprintf(b.bindir, sizeof(b.bindir), "%s", dirname(self));
        snprintf(b.ward, sizeof(b.ward), "%s/ward", b.bindir);
        pid_t *pids = calloc((size_t)b.procs, sizeof(pid_t));
        if (!pids || ps_bench_start_sleepers(pids, b.procs) < 0) {
                fprintf(stderr, "ward bench proc: cannot start %d processes\n", b.procs);
                return 1;
        }
        int failed = 0;
        for (int run = 0; run < b.runs && !failed; run++) {
                double ms[PS_ROWS];
                bench_progress("ward bench proc", "ps", (unsigned)run + 1, (unsigned)b.runs);
                failed = ps_bench_run(b.ward, ms) < 0;
                for (int r = 0; r < PS_ROWS; r++) {
                        b.ps[r][run] = ms[r];
                }
        }
        bench_progress_done();
        ps_bench_stop_sleepers(pids, b.procs);
        free(pids);
        if (failed) {
                fprintf(stderr, "ward bench proc: %s ps failed\n", b.ward);
                return 1;
        }
        /* the parts that are programs of their own, after ours (each starts
         * its own targets; the sleepers are gone) */
        char runs[16];
        snprintf(runs, sizeof(runs), "%d", b.runs);
        char *quick[] = {"--quick", NULL}, *counted[] = {"--runs", runs, NULL};
        static const char *const parts[] = {"proc-stack", "proc-watch"};
        if (b.json) {
                for (size_t i = 0; i < 2; i++) {
                        if (parts_run(b.bindir, parts[i], b.quick ? quick : counted, 1, &b.parts) <
                            0) {
                                fprintf(stderr, "ward bench proc: ward-bench-%s failed\n",
                                        parts[i]);
                        }
                }
        }
        report(&b);
        for (size_t i = 0; !b.json && i < 2; i++) {
                printf("\n");
                parts_run(b.bindir, parts[i], b.quick ? quick : counted, 0, &b.parts);
        }
        return 0;
}
