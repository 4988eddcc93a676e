/* Medians, targets and output of `ward bench trace` (see report.h). Every
 * target reads ratio <= limit: "at least 3x" targets are written as the
 * inverse ratio, and a loss target is a difference of lost fractions with
 * limit 0. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../ipc/stats.h"
#include "report.h"

#define MAX_TARGETS 64

struct target {
        char name[96];
        double ratio, limit;
};

struct paced_median {
        double emitted, kept, lost, lost_fraction, rate; /* lost: -1 when unknown in every run */
        int exact;                                       /* every run: kept + lost == emitted */
};

static double median(struct bench *b, int m, int t)
{
        double v[MAX_RUNS];
        memcpy(v, b->ns[m][t], sizeof(double) * (size_t)b->runs);
        return stats_median_double(v, (size_t)b->runs);
}

static double runs_median(struct bench *b, const double *runs)
{
        double v[MAX_RUNS];
        memcpy(v, runs, sizeof(double) * (size_t)b->runs);
        return stats_median_double(v, (size_t)b->runs);
}

static double merge_median(struct bench *b)
{
        return runs_median(b, b->merge);
}

/* babeltrace2_median: 0 unless every run measured it */
static double babeltrace2_median(struct bench *b)
{
        for (int r = 0; r < b->runs; r++) {
                if (b->babeltrace2[r] <= 0) {
                        return 0;
                }
        }
        return runs_median(b, b->babeltrace2);
}

/* paced_median: over the runs of method m at rate k with t + 1 threads. The
 * lost fraction is what a reader lacks: (emitted - kept) / emitted. */
static struct paced_median paced_median(struct bench *b, int m, int k, int t)
{
        double v[5][MAX_RUNS];
        struct paced_median p = {.exact = 1};
        size_t n = (size_t)b->paced_runs, known = 0;
        for (size_t r = 0; r < n; r++) {
                const struct paced_result *x = &b->paced[m][k][t][r];
                v[0][r] = (double)x->emitted;
                v[1][r] = (double)x->kept;
                if (x->lost != PACED_UNKNOWN) {
                        v[2][known++] = (double)x->lost;
                }
                v[3][r] = x->emitted ? (double)(x->emitted - x->kept) / (double)x->emitted : 0;
                v[4][r] = x->seconds > 0 ? (double)x->emitted / x->seconds : 0;
                p.exact &= x->exact;
        }
        p.emitted = stats_median_double(v[0], n);
        p.kept = stats_median_double(v[1], n);
        p.lost = known ? stats_median_double(v[2], known) : -1;
        p.lost_fraction = stats_median_double(v[3], n);
        p.rate = stats_median_double(v[4], n);
        return p;
}

static int add(struct target *ts, int n, double ratio, double limit, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int add(struct target *ts, int n, double ratio, double limit, const char *fmt, ...)
{
        if (n >= MAX_TARGETS) {
                return n;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ts[n].name, sizeof(ts[n].name), fmt, ap);
        va_end(ap);
        ts[n].ratio = ratio;
        ts[n].limit = limit;
        return n + 1;
}

static int cost_targets(struct bench *b, struct target *ts, int n)
{
        for (int t = 0; t < 2 && b->ok[M_WARD][t] && b->ok[M_FLOOR][t]; t++) {
                const char *th = t ? "2 threads" : "1 thread";
                double ward = median(b, M_WARD, t), floor = median(b, M_FLOOR, t);
                n = add(ts, n, ward / floor, 1.5, "ward / floor, %s", th);
                if (b->ok[M_WARD_DISABLED][t]) {
                        n = add(ts, n, median(b, M_WARD_DISABLED, t) / floor, 0.1,
                                "ward-disabled / floor, %s", th);
                }
                if (b->ok[M_FPRINTF][t]) { /* fprintf >= 3x ward */
                        n = add(ts, n, ward / median(b, M_FPRINTF, t), 1.0 / 3,
                                "ward / fprintf, %s", th);
                }
                if (b->ok[M_LTTNG][t]) { /* lttng-tracef >= 4x ward */
                        n = add(ts, n, ward / median(b, M_LTTNG, t), 0.25,
                                "ward / lttng-tracef, %s", th);
                }
        }
        return n;
}

static int paced_targets(struct bench *b, struct target *ts, int n)
{
        for (int k = 0; k < b->nrates && b->paced_ok[P_WARD]; k++) {
                for (int t = 0; t < 2; t++) {
                        struct paced_median w = paced_median(b, P_WARD, k, t);
                        double rate = b->rates[k] / 1e6;
                        if (b->rates[k] <= 10e6) {
                                n = add(ts, n, w.lost_fraction, 0,
                                        "lost fraction, ward, %g M/s, %d thread%s", rate, t + 1,
                                        t ? "s" : "");
                        }
                        if (b->paced_ok[P_LTTNG]) {
                                struct paced_median l = paced_median(b, P_LTTNG, k, t);
                                n = add(ts, n, w.lost_fraction - l.lost_fraction, 0,
                                        "lost fraction, ward - lttng, %g M/s, %d thread%s", rate,
                                        t + 1, t ? "s" : "");
                        }
                }
        }
        return n;
}

/* merge_targets: ward trace merge >= 5x babeltrace2's events per second,
 * read as ward's time over babeltrace2's <= 0.2 */
static int merge_targets(struct bench *b, struct target *ts, int n)
{
        double w = merge_median(b), bt = babeltrace2_median(b);
        if (b->only == ONLY_PACED || w <= 0 || bt <= 0) {
                return n;
        }
        return add(ts, n, bt / w, 0.2, "ward merge / babeltrace2, text of 1 thread");
}

static int targets(struct bench *b, struct target *ts)
{
        return merge_targets(b, ts, paced_targets(b, ts, cost_targets(b, ts, 0)));
}

static void json_cost(struct bench *b, int *first)
{
        for (int t = 0; t < 2; t++) {
                for (int m = 0; m < M_COUNT; m++) {
                        if (!b->ok[m][t]) {
                                continue;
                        }
                        printf("%s{\"method\":\"%s\",\"threads\":%d,\"ns_per_event_median\":%.2f,"
                               "\"lost\":%llu}",
                               *first ? "" : ",", method_names[m], t + 1, median(b, m, t),
                               (unsigned long long)b->lost[m][t]);
                        *first = 0;
                }
        }
        if (b->only != ONLY_PACED) {
                printf("%s{\"method\":\"merge\",\"threads\":1,\"events_per_s_median\":%.0f}",
                       *first ? "" : ",", merge_median(b));
                *first = 0;
                if (babeltrace2_median(b) > 0) {
                        printf(",{\"method\":\"babeltrace2\",\"threads\":1,"
                               "\"events_per_s_median\":%.0f}",
                               babeltrace2_median(b));
                }
        }
}

static void json_paced(struct bench *b, int *first)
{
        for (int k = 0; k < b->nrates; k++) {
                for (int t = 0; t < 2; t++) {
                        for (int m = 0; m < P_COUNT; m++) {
                                if (!b->paced_ok[m]) {
                                        continue;
                                }
                                struct paced_median p = paced_median(b, m, k, t);
                                char lost[32] = "null"; /* the tracer did not say */
                                if (p.lost >= 0) {
                                        snprintf(lost, sizeof(lost), "%.0f", p.lost);
                                }
                                printf("%s{\"method\":\"%s-paced\",\"threads\":%d,\"rate\":%.0f,"
                                       "\"seconds\":%g,\"rate_reached_median\":%.0f,"
                                       "\"emitted_median\":%.0f,\"kept_median\":%.0f,"
                                       "\"lost_median\":%s,\"lost_fraction_median\":%.6f,"
                                       "\"exact\":%s,\"runs\":%d}",
                                       *first ? "" : ",", paced_names[m], t + 1, b->rates[k],
                                       b->seconds, p.rate, p.emitted, p.kept, lost, p.lost_fraction,
                                       p.exact ? "true" : "false", b->paced_runs);
                                *first = 0;
                        }
                }
        }
}

void print_json(struct bench *b)
{
        struct target ts[MAX_TARGETS];
        int first = 1, n = targets(b, ts);
        printf("{\"rows\":[");
        json_cost(b, &first);
        json_paced(b, &first);
        printf("],\"targets\":[");
        for (int i = 0; i < n; i++) {
                printf("%s{\"name\":\"%s\",\"ratio\":%.6g,\"limit\":%.6g}", i ? "," : "",
                       ts[i].name, ts[i].ratio, ts[i].limit);
        }
        printf("]}\n");
}

static void table_methods(struct bench *b)
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
}

static void table_cost(struct bench *b)
{
        if (b->only == ONLY_MERGE) {
                printf("ward bench trace: median of %d runs\n", b->runs);
        } else {
                table_methods(b);
        }
        printf("\nreading %ld events of 1 thread back as text into a file, million events/s:\n",
               b->events);
        printf("  %-34s %8.2f\n", "merge (ward trace merge)", merge_median(b) / 1e6);
        if (babeltrace2_median(b) > 0) {
                printf("  %-34s %8.2f\n", "babeltrace2 (ward's CTF export)",
                       babeltrace2_median(b) / 1e6);
        } else {
                printf("  babeltrace2: not measured (not installed, or it failed)\n");
        }
        if (!b->ok[M_LTTNG][0] && b->only != ONLY_MERGE) {
                printf("lttng-tracef: not measured (LTTng-UST or lttng-tools missing, or the "
                       "session daemon could not start)\n");
        }
}

static void table_paced(struct bench *b)
{
        printf("\npaced producers, %g s per run, median of %d runs (ward: its defaults%s; "
               "lttng: tracef in the default channel)\n\n",
               b->seconds, b->paced_runs,
               b->cfg.buffer_size || b->cfg.flush_interval_ns ? " but --buffer-size or "
                                                                "--flush-interval-ms"
                                                              : "");
        printf("%-9s %-7s %-6s %12s %12s %12s %12s %9s\n", "rate", "threads", "method", "reached/s",
               "emitted", "kept", "lost", "lost %");
        for (int k = 0; k < b->nrates; k++) {
                for (int t = 0; t < 2; t++) {
                        for (int m = 0; m < P_COUNT; m++) {
                                if (!b->paced_ok[m]) {
                                        continue;
                                }
                                struct paced_median p = paced_median(b, m, k, t);
                                char rate[32], lost[32] = "-";
                                snprintf(rate, sizeof(rate), "%gM/s", b->rates[k] / 1e6);
                                if (p.lost >= 0) {
                                        snprintf(lost, sizeof(lost), "%.0f", p.lost);
                                }
                                printf("%-9s %-7d %-6s %11.2fM %12.0f %12.0f %12s %8.3f%%%s\n",
                                       rate, t + 1, paced_names[m], p.rate / 1e6, p.emitted, p.kept,
                                       lost, 100 * p.lost_fraction, p.exact ? "" : " (inexact)");
                        }
                }
        }
        if (!b->paced_ok[P_LTTNG]) {
                printf("lttng: not measured (LTTng-UST, lttng-tools or babeltrace2 missing, or "
                       "the session failed)\n");
        }
}

void print_table(struct bench *b)
{
        struct target ts[MAX_TARGETS];
        int n = targets(b, ts);
        if (b->only != ONLY_PACED) {
                table_cost(b);
        }
        if (b->only == ONLY_ALL || b->only == ONLY_PACED) {
                table_paced(b);
        }
        printf("\ntargets (each: ratio <= limit, from medians in this run):\n");
        for (int i = 0; i < n; i++) {
                printf("  %-46s %9.4f  (<= %.3g)  %s\n", ts[i].name, ts[i].ratio, ts[i].limit,
                       ts[i].ratio <= ts[i].limit ? "met" : "NOT met");
        }
}
