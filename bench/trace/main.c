/* ward-bench-trace (`ward bench trace`): the cost of one trace event, next
 * to the hardware floor, fprintf, snprintf and LTTng-UST, all interleaved in
 * each run, for 1 and 2 threads; medians over runs.
 *
 *   ward bench trace [--runs N] [--events N] [--json] [--quick]
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/stats.h"
#include "methods.h"

#define MAX_RUNS 64

struct bench {
        int runs, json;
        long events;
        char tmpdir[64], bindir[PATH_MAX];
        double ns[M_COUNT][2][MAX_RUNS];
        uint64_t lost[M_COUNT][2];
        double merge[MAX_RUNS]; /* events per second */
        int ok[M_COUNT][2];
};

static int parse_args(int argc, char **argv, struct bench *b)
{
        b->runs = 5;
        b->events = 1000000;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        b->json = 1;
                } else if (strcmp(argv[i], "--quick") == 0) {
                        b->runs = 1;
                        b->events = 100000;
                } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
                        b->runs = atoi(argv[++i]);
                } else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
                        b->events = atol(argv[++i]);
                } else {
                        return -1;
                }
        }
        return b->runs >= 1 && b->runs <= MAX_RUNS && b->events >= 1000 ? 0 : -1;
}

static double median(struct bench *b, int m, int t)
{
        double v[MAX_RUNS];
        memcpy(v, b->ns[m][t], sizeof(double) * (size_t)b->runs);
        return stats_median_double(v, (size_t)b->runs);
}

static void print_json(struct bench *b)
{
        int first = 1;
        printf("{\"rows\":[");
        for (int t = 0; t < 2; t++) {
                for (int m = 0; m < M_COUNT; m++) {
                        if (!b->ok[m][t]) {
                                continue;
                        }
                        printf("%s{\"method\":\"%s\",\"threads\":%d,\"ns_per_event_median\":%.2f,"
                               "\"lost\":%llu}",
                               first ? "" : ",", method_names[m], t + 1, median(b, m, t),
                               (unsigned long long)b->lost[m][t]);
                        first = 0;
                }
        }
        double v[MAX_RUNS];
        memcpy(v, b->merge, sizeof(double) * (size_t)b->runs);
        printf(",{\"method\":\"merge\",\"threads\":1,\"events_per_s_median\":%.0f}]}\n",
               stats_median_double(v, (size_t)b->runs));
}

static void check(const char *what, double ratio, double limit, int at_most)
{
        int met = at_most ? ratio <= limit : ratio >= limit;
        printf("  %-44s %6.2fx  (target %s %.2gx)  %s\n", what, ratio, at_most ? "<=" : ">=", limit,
               met ? "met" : "NOT met");
}

static void print_table(struct bench *b)
{
        printf("ward bench trace: %ld events per thread, median of %d runs, ns per event\n\n",
               b->events, b->runs);
        printf("%-14s %12s %12s %10s\n", "method", "1 thread", "2 threads", "lost");
        for (int m = 0; m < M_COUNT; m++) {
                printf("%-14s", method_names[m]);
                for (int t = 0; t < 2; t++) {
                        if (b->ok[m][t]) {
                                printf(" %12.2f", median(b, m, t));
                        } else {
                                printf(" %12s", "-");
                        }
                }
                printf(" %10llu\n", (unsigned long long)(b->lost[m][0] + b->lost[m][1]));
        }
        double v[MAX_RUNS];
        memcpy(v, b->merge, sizeof(double) * (size_t)b->runs);
        printf("\nward trace merge (decode, format, write text): %.2f million events/s\n",
               stats_median_double(v, (size_t)b->runs) / 1e6);
        printf("\ntargets (ratios of medians in this run):\n");
        for (int t = 0; t < 2; t++) {
                char what[64];
                double ward = median(b, M_WARD, t), floor = median(b, M_FLOOR, t);
                snprintf(what, sizeof(what), "ward / floor, %d thread%s", t + 1, t ? "s" : "");
                check(what, ward / floor, 1.5, 1);
                snprintf(what, sizeof(what), "ward-disabled / floor, %d thread%s", t + 1,
                         t ? "s" : "");
                check(what, median(b, M_WARD_DISABLED, t) / floor, 0.1, 1);
                snprintf(what, sizeof(what), "fprintf / ward, %d thread%s", t + 1, t ? "s" : "");
                check(what, median(b, M_FPRINTF, t) / ward, 3, 0);
                if (b->ok[M_LTTNG][t]) {
                        snprintf(what, sizeof(what), "lttng-tracef / ward, %d thread%s", t + 1,
                                 t ? "s" : "");
                        check(what, median(b, M_LTTNG, t) / ward, 4, 0);
                }
        }
        if (!b->ok[M_LTTNG][0]) {
                printf("  lttng-tracef: not measured (LTTng-UST or lttng-tools missing, or the "
                       "session daemon could not start)\n");
        }
}

int main(int argc, char **argv)
{
        struct bench *b = calloc(1, sizeof(*b));
        char self[PATH_MAX];
        if (!b || parse_args(argc, argv, b) < 0) {
                fprintf(stderr, "usage: ward bench trace [--runs N] [--events N] [--json] "
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
                b->ok[m][0] = b->ok[m][1] = 1;
        }
        for (int r = 0; r < b->runs; r++) {
                for (int t = 0; t < 2; t++) {
                        for (int m = 0; m < M_COUNT; m++) { /* interleaved: noise hits all */
                                if (!b->ok[m][t]) {
                                        continue;
                                }
                                struct result res =
                                    measure(m, t + 1, b->events, b->tmpdir, b->bindir);
                                b->ok[m][t] = res.ok;
                                b->ns[m][t][r] = res.ns_per_event;
                                b->lost[m][t] += res.lost;
                        }
                }
                b->merge[r] = measure_merge(b->events, b->tmpdir, b->bindir);
        }
        int failed = !b->ok[M_WARD][0] || !b->ok[M_FLOOR][0];
        if (b->json) {
                print_json(b);
        } else {
                print_table(b);
        }
        rmdir(b->tmpdir);
        free(b);
        return failed ? 1 : 0;
}
