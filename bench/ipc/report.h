/* report.h: print the aggregated results as a table with ratios and target
 * checks, or as one JSON object. */
#ifndef BENCH_IPC_REPORT_H
#define BENCH_IPC_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* One (mechanism, size): the median over runs of the per-run medians and of the
 * per-run 99th percentiles. */
struct row {
        const char *mechanism;
        size_t size;
        double median_us;
        double p99_us;
        unsigned runs; /* runs that produced a result */
};

void report_json(FILE *f, const struct row *rows, size_t n);
void report_table(FILE *f, const struct row *rows, size_t n);

/* report_targets: the performance targets, each with the measured
 * ratio and whether it is met. */
void report_targets(FILE *f, const struct row *rows, size_t n);

/* report_find: the row of mech at size, or NULL if it was not measured. */
const struct row *report_find(const struct row *rows, size_t n, const char *mech, size_t size);

/* format_size: "64 B", "8 KiB", "1 MiB", or bytes when not a whole unit. */
const char *format_size(size_t size, char *buf, size_t len);

#endif
