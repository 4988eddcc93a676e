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
#include "methods.h"
#include "paced.h"
#include "report.h"

static int parse_rates(const char *s, struct bench *b)
{
        char *end;
        b->nrates = 0;
        while (*s && b->nrates < MAX_RATES) {
                double v = strtod(s, &end);
                if (end == s || v <= 0) {
                        return -1;
                }
                b->rates[b->nrates++] = v * 1e6;
                s = *end == ',' ? end + 1 : end;
        }
        return *s || b->nrates == 0 ? -1 : 0;
}

static int parse_option(int argc, char **argv, int *i, struct bench *b)
{
        const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
        if (strcmp(a, "--json") == 0 || strcmp(a, "--quick") == 0) {
                return 0; /* seen first */
        }
        if (!v) {
                return -1;
        }
        (*i)++;
        if (strcmp(a, "--runs") == 0) {
                b->runs = atoi(v);
        } else if (strcmp(a, "--events") == 0) {
                b->events = atol(v);
        } else if (strcmp(a, "--paced-runs") == 0) {
                b->paced_runs = atoi(v);
        } else if (strcmp(a, "--seconds") == 0) {
                b->seconds = atof(v);
        } else if (strcmp(a, "--rates") == 0) {
                return parse_rates(v, b);
        } else if (strcmp(a, "--buffer-size") == 0) {
                b->cfg.buffer_size = (size_t)atol(v);
        } else if (strcmp(a, "--flush-interval-ms") == 0) {
                b->cfg.flush_interval_ns = (uint64_t)(atof(v) * 1e6);
        } else if (strcmp(a, "--only") == 0 && !strcmp(v, "merge")) {
                b->only = ONLY_MERGE;
        } else if (strcmp(a, "--only") == 0 && (!strcmp(v, "cost") || !strcmp(v, "paced"))) {
                b->only = v[0] == 'c' ? ONLY_COST : ONLY_PACED;
        } else {
                return -1;
        }
        return 0;
}

static int parse_args(int argc, char **argv, struct bench *b)
{
        static const double rates[] = {1e6, 3e6, 10e6, 30e6};
        b->runs = 5;
        b->events = 1000000;
        b->paced_runs = 3;
        b->seconds = 2;
        b->nrates = 4;
        memcpy(b->rates, rates, sizeof(rates));
        for (int i = 1; i < argc; i++) { /* --quick first: options after it still count */
                if (strcmp(argv[i], "--quick") == 0) {
                        b->runs = b->paced_runs = 1;
                        b->events = 100000;
                        b->seconds = 0.2;
                        b->nrates = 2;
                        b->rates[1] = 10e6;
                } else if (strcmp(argv[i], "--json") == 0) {
                        b->json = 1;
                }
        }
        for (int i = 1; i < argc; i++) {
                if (parse_option(argc, argv, &i, b) < 0) {
                        return -1;
                }
        }
        return b->runs >= 1 && b->runs <= MAX_RUNS && b->events >= 1000 && b->paced_runs >= 1 &&
                       b->paced_runs <= MAX_RUNS && b->seconds > 0 && b->seconds <= 60
                   ? 0
                   : -1;
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
        if (!b || parse_args(argc, argv, b) < 0) {
                fprintf(stderr, "usage: ward bench trace [--runs N] [--events N] [--paced-runs N] "
                                "[--seconds S] [--rates M,M,...] [--buffer-size BYTES] "
                                "[--flush-interval-ms MS] [--only cost|paced|merge] [--json] "
                                "[--quick]\n");
                return 2;
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
                run_cost(b, r);
        }
        for (int r = 0; r < b->paced_runs && b->paced_ok[P_WARD]; r++) {
                run_paced(b, r);
        }
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
