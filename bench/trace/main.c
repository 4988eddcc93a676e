/* ward-bench-trace (`ward bench trace`): the cost of one trace event, next
 * to the hardware floor, fprintf, snprintf and LTTng-UST, all interleaved in
 * each run, for 1 and 2 threads; then paced producers (ward with its
 * defaults and LTTng-UST in its default channel at fixed rates), counting
 * what each keeps and loses; medians over runs.
 *
 *   ward bench trace [--runs N] [--events N] [--paced-runs N] [--seconds S]
 *                    [--rates M,M,...] [--buffer-size BYTES]
 *                    [--flush-interval-ms MS] [--only cost|paced|merge] [--json] [--quick]
 *
 * The cost rows end with `merge`: ward trace merge reading a trace of
 * --events events back as text, next to babeltrace2 reading ward's CTF
 * export of the same events (--only merge: those two rows alone).
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/stats.h"
#include "args.h"
#include "methods.h"
#include "paced.h"
#include "progress.h"
#include "report.h"

static int parse_rates(const char *s, struct bench *b)
{
        char *end;
        b->nrates = 0;
        while (*s && b->nrates < MAX_RATES) {
                double v = strtod(s, &end);
                if (end == s || v <= 0 || v > 1000) {
                        return -1;
                }
                b->rates[b->nrates++] = v * 1e6;
                s = *end == ',' ? end + 1 : end;
        }
        return *s || b->nrates == 0 ? -1 : 0;
}

enum {
        OPT_RUNS = 1,
        OPT_EVENTS,
        OPT_PACED_RUNS,
        OPT_SECONDS,
        OPT_RATES,
        OPT_BUFFER,
        OPT_FLUSH,
        OPT_ONLY,
        OPT_JSON,
        OPT_QUICK,
};

static const struct cli_command trace_cmd = {
    .name = "bench trace",
    .synopsis = "[--runs=N] [--events=N] [--paced-runs=N] [--seconds=S] [--rates=M,M,...] "
                "[--buffer-size=BYTES] [--flush-interval-ms=MS] [--only=cost|paced|merge] "
                "[--json] [--quick]",
    .summary = "The cost of a trace event next to the hardware floor and its peers; loss at "
               "paced rates; merge speed.",
    .description =
        "Cost rows: one event of (\"value %d name %s\", i, \"abc\") through ward, the\n"
        "rdtsc+store floor, fprintf, snprintf and LTTng-UST tracef(), interleaved in\n"
        "each run, for 1 and 2 threads. Paced rows: producers at fixed rates (ward with\n"
        "its defaults, LTTng-UST in its default channel), counting what each keeps and\n"
        "loses. The merge row: ward trace merge reading the events back as text, next\n"
        "to babeltrace2 reading ward's CTF export of the same events. Medians over runs.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "cost runs, 1 to 64 (default 5)"},
            {OPT_EVENTS, "events", 0, "N", "events per cost run (default 1000000)"},
            {OPT_PACED_RUNS, "paced-runs", 0, "N", "paced runs (default 3)"},
            {OPT_SECONDS, "seconds", 0, "S", "seconds per paced rate (default 2)"},
            {OPT_RATES, "rates", 0, "M,M,...", "paced rates in M events/s (default 1,3,10,30)"},
            {OPT_BUFFER, "buffer-size", 0, "BYTES", "ward's ring per thread (default: ward's)"},
            {OPT_FLUSH, "flush-interval-ms", 0, "MS", "ward's flush interval (default: ward's)"},
            {OPT_ONLY, "only", 0, "cost|paced|merge", "only those rows"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "one short run of each (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench trace --only merge --runs 5\nward bench trace --json",
};

static void defaults(struct bench *b, int quick)
{
        static const double rates[] = {1e6, 3e6, 10e6, 30e6};
        b->runs = 5;
        b->events = 1000000;
        b->paced_runs = 3;
        b->seconds = 2;
        b->nrates = 4;
        memcpy(b->rates, rates, sizeof(rates));
        if (quick) { /* options given besides --quick still count */
                b->runs = b->paced_runs = 1;
                b->events = 100000;
                b->seconds = 0.2;
                b->nrates = 2;
                b->rates[1] = 10e6;
        }
}

static int has_quick(int argc, char **argv)
{
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--quick") == 0) {
                        return 1;
                }
        }
        return 0;
}

/* positive: c->value as a number in (0, max] */
static int positive(const struct cli *c, const char *option, double max, double *out)
{
        char *end;
        double v = strtod(c->value, &end);
        if (end == c->value || *end || !(v > 0) || v > max) {
                char what[64];
                snprintf(what, sizeof(what), "a number above 0, at most %g", max);
                return cli_bad_value(c, option, c->value, what);
        }
        *out = v;
        return 0;
}

static int only_value(const struct cli *c, struct bench *b)
{
        if (strcmp(c->value, "merge") == 0) {
                b->only = ONLY_MERGE;
        } else if (strcmp(c->value, "cost") == 0) {
                b->only = ONLY_COST;
        } else if (strcmp(c->value, "paced") == 0) {
                b->only = ONLY_PACED;
        } else {
                return cli_bad_value(c, "--only", c->value, "one of cost, paced, merge");
        }
        return 0;
}

/* value_option: an option with a value into b; 0 or CLI_USAGE */
static int value_option(const struct cli *c, int id, struct bench *b)
{
        long n;
        double v;
        switch (id) {
        case OPT_RUNS:
                return bench_count(c, "--runs", 1, MAX_RUNS, &n) ? CLI_USAGE
                                                                 : (b->runs = (int)n, 0);
        case OPT_EVENTS:
                return bench_count(c, "--events", 1000, 1000000000, &n) ? CLI_USAGE
                                                                        : (b->events = n, 0);
        case OPT_PACED_RUNS:
                return bench_count(c, "--paced-runs", 1, MAX_RUNS, &n)
                           ? CLI_USAGE
                           : (b->paced_runs = (int)n, 0);
        case OPT_SECONDS:
                return positive(c, "--seconds", 60, &b->seconds) ? CLI_USAGE : 0;
        case OPT_RATES:
                return parse_rates(c->value, b) < 0
                           ? cli_bad_value(c, "--rates", c->value,
                                           "M events/s above 0, comma-separated")
                           : 0;
        case OPT_BUFFER:
                return bench_count(c, "--buffer-size", 4096, 1l << 30, &n)
                           ? CLI_USAGE
                           : (b->cfg.buffer_size = (size_t)n, 0);
        case OPT_FLUSH:
                if (positive(c, "--flush-interval-ms", 60000, &v)) {
                        return CLI_USAGE;
                }
                b->cfg.flush_interval_ns = (uint64_t)(v * 1e6);
                return 0;
        default:
                return only_value(c, b) ? CLI_USAGE : 0;
        }
}

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, struct bench *b)
{
        struct cli c;
        defaults(b, has_quick(argc, argv));
        cli_init(&c, &trace_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                if (r == OPT_JSON) {
                        b->json = 1;
                } else if (r == OPT_QUICK) {
                        continue;
                } else if (r > 0) {
                        if (value_option(&c, r, b) != 0) {
                                return CLI_USAGE;
                        }
                } else {
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        return -1;
}

static void run_cost(struct bench *b, int r)
{
        for (int t = 0; t < 2 && b->only != ONLY_MERGE; t++) {
                for (int m = 0; m < M_COUNT; m++) { /* interleaved: noise hits all */
                        if (!b->ok[m][t]) {
                                continue;
                        }
                        struct result res = measure(m, t + 1, b->events, b->tmpdir, b->bindir);
                        b->ok[m][t] = res.ok;
                        b->ns[m][t][r] = res.ns_per_event;
                        b->lost[m][t] += res.lost;
                }
        }
        struct merge_result mr = measure_merge(b->events, b->tmpdir, b->bindir);
        b->merge[r] = mr.ward;
        b->babeltrace2[r] = mr.babeltrace2;
}

static void run_paced(struct bench *b, int r)
{
        for (int k = 0; k < b->nrates; k++) {
                for (int t = 0; t < 2; t++) {
                        for (int m = 0; m < P_COUNT; m++) {
                                if (!b->paced_ok[m]) {
                                        continue;
                                }
                                struct paced_result res =
                                    paced_run(m, t + 1, b->rates[k], (uint64_t)(b->seconds * 1e9),
                                              &b->cfg, b->tmpdir, b->bindir);
                                b->paced_ok[m] = res.ok;
                                b->paced[m][k][t][r] = res;
                        }
                }
        }
}

int main(int argc, char **argv)
{
        struct bench *b = calloc(1, sizeof(*b));
        char self[PATH_MAX];
        if (!b) {
                return 1;
        }
        int rc = parse_args(argc, argv, b);
        if (rc >= 0) {
                free(b);
                return rc;
        }
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        snprintf(b->bindir, sizeof(b->bindir), "%s", dirname(self));
        snprintf(b->tmpdir, sizeof(b->tmpdir), "/tmp/ward-bench-trace.XXXXXX");
        if (!mkdtemp(b->tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        for (int m = 0; m < M_COUNT; m++) {
                b->ok[m][0] = b->ok[m][1] = b->only == ONLY_ALL || b->only == ONLY_COST;
        }
        for (int m = 0; m < P_COUNT; m++) {
                b->paced_ok[m] = b->only == ONLY_ALL || b->only == ONLY_PACED;
        }
        for (int r = 0; r < b->runs && b->only != ONLY_PACED; r++) {
                bench_progress("ward bench trace", b->only == ONLY_MERGE ? "merge" : "cost",
                               (unsigned)r + 1, (unsigned)b->runs);
                run_cost(b, r);
        }
        for (int r = 0; r < b->paced_runs && b->paced_ok[P_WARD]; r++) {
                bench_progress("ward bench trace", "paced", (unsigned)r + 1,
                               (unsigned)b->paced_runs);
                run_paced(b, r);
        }
        bench_progress_done();
        int failed = b->only == ONLY_PACED   ? !b->paced_ok[P_WARD]
                     : b->only == ONLY_MERGE ? b->merge[0] <= 0
                                             : !b->ok[M_WARD][0] || !b->ok[M_FLOOR][0];
        failed |= b->only == ONLY_ALL && !b->paced_ok[P_WARD];
        if (b->json) {
                print_json(b);
        } else {
                print_table(b);
        }
        rmdir(b->tmpdir);
        free(b);
        return failed ? 1 : 0;
}
