/* report.c: the table, the ratios of ward to its floors and peers, the target
 * checks, and the JSON form. Ratios compare medians measured in the same
 * invocation, interleaved run by run, so machine noise hits both sides. */
#include <stdio.h>
#include <string.h>

#include "report.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

const char *format_size(size_t size, char *buf, size_t len)
{
        if (size >= MIB && size % MIB == 0) {
                snprintf(buf, len, "%zu MiB", size / MIB);
        } else if (size >= KIB && size % KIB == 0) {
                snprintf(buf, len, "%zu KiB", size / KIB);
        } else {
                snprintf(buf, len, "%zu B", size);
        }
        return buf;
}

const struct row *report_find(const struct row *rows, size_t n, const char *mech, size_t size)
{
        for (size_t i = 0; i < n; i++) {
                if (rows[i].size == size && strcmp(rows[i].mechanism, mech) == 0) {
                        return &rows[i];
                }
        }
        return NULL;
}

void report_json(FILE *f, const struct row *rows, size_t n)
{
        fprintf(f, "{\"rows\":[");
        for (size_t i = 0; i < n; i++) {
                fprintf(f,
                        "%s{\"mechanism\":\"%s\",\"size\":%zu,\"rtt_us_median\":%.3f,"
                        "\"rtt_us_p99\":%.3f,\"runs\":%u}",
                        i ? "," : "", rows[i].mechanism, rows[i].size, rows[i].median_us,
                        rows[i].p99_us, rows[i].runs);
        }
        fprintf(f, "]}\n");
}

/* One ratio in a row's last column, if both sides were measured. */
static void print_ratio(FILE *f, const struct row *r, const struct row *base, const char *label,
                        int *first)
{
        if (!base || base->median_us <= 0) {
                return;
        }
        fprintf(f, "%s%.2f× %s", *first ? "  " : ", ", r->median_us / base->median_us, label);
        *first = 0;
}

/* The baselines each ward row is held against. */
static void print_ratios(FILE *f, const struct row *rows, size_t n, const struct row *r)
{
        const char *m = r->mechanism;
        int first = 1;
        if (!strcmp(m, "ward-block") || !strcmp(m, "ward-zerocopy-block")) {
                print_ratio(f, r, report_find(rows, n, "floor-pipe", r->size), "floor-pipe",
                            &first);
        }
        if (!strcmp(m, "ward-block")) {
                print_ratio(f, r, report_find(rows, n, "floor-shm", r->size), "floor-shm", &first);
                print_ratio(f, r, report_find(rows, n, "zeromq", r->size), "zeromq", &first);
        }
        if ((!strcmp(m, "ward-spin") || !strcmp(m, "ward-zerocopy-spin")) && r->size == 64) {
                print_ratio(f, r, report_find(rows, n, "floor-spin", 64), "floor-spin", &first);
        }
}

void report_table(FILE *f, const struct row *rows, size_t n)
{
        char sz[32];
        fprintf(f, "%-20s %10s %11s %11s %5s  %s\n", "mechanism", "size", "median µs", "p99 µs",
                "runs", "ratio (median)");
        for (size_t i = 0; i < n; i++) {
                const struct row *r = &rows[i];
                if (i && rows[i - 1].size != r->size) {
                        fputc('\n', f);
                }
                fprintf(f, "%-20s %10s %10.2f %10.2f %5u", r->mechanism,
                        format_size(r->size, sz, sizeof(sz)), r->median_us, r->p99_us, r->runs);
                print_ratios(f, rows, n, r);
                fputc('\n', f);
        }
}
