/* targets.c: the targets for ward IPC, checked against the floors and
 * peers measured in the same invocation. A target over several sizes or modes
 * is met when its worst ratio is. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

#define MIB (1024u * 1024u)
#define MAX_PAIRS 64

/* num / den, as medians; label names the pair in the detail list. */
struct pair {
        char label[32];
        const struct row *num, *den;
};

struct target {
        const struct row *rows;
        size_t n;
        struct pair pairs[MAX_PAIRS];
        size_t npairs;
};

static void add_pair(struct target *t, const char *label, const char *num, size_t num_size,
                     const char *den, size_t den_size)
{
        const struct row *a = report_find(t->rows, t->n, num, num_size);
        const struct row *b = report_find(t->rows, t->n, den, den_size);
        if (!a || !b || b->median_us <= 0 || t->npairs == MAX_PAIRS) {
                return;
        }
        struct pair *p = &t->pairs[t->npairs++];
        snprintf(p->label, sizeof(p->label), "%s", label);
        p->num = a;
        p->den = b;
}

/* The sizes that were measured, in order, without repeats. */
static size_t sizes_of(const struct row *rows, size_t n, size_t *out, size_t max)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                size_t j = 0;
                while (j < k && out[j] != rows[i].size) {
                        j++;
                }
                if (j == k && k < max) {
                        out[k++] = rows[i].size;
                }
        }
        return k;
}

static void print_target(FILE *f, const char *text, double limit, const struct target *t)
{
        if (!t->npairs) {
                fprintf(f, "  %s: not measured\n", text);
                return;
        }
        double worst = 0;
        for (size_t i = 0; i < t->npairs; i++) {
                double r = t->pairs[i].num->median_us / t->pairs[i].den->median_us;
                worst = r > worst ? r : worst;
        }
        fprintf(f, "  %s: %.2f× %s", text, worst, worst <= limit ? "met" : "NOT MET");
        for (size_t i = 0; t->npairs > 1 && i < t->npairs; i++) {
                const struct pair *p = &t->pairs[i];
                fprintf(f, "%s%s %.2f×", i ? ", " : " (", p->label,
                        p->num->median_us / p->den->median_us);
        }
        fprintf(f, "%s\n", t->npairs > 1 ? ")" : "");
}

/* Every measured size in [lo, hi]: num at that size against den at that size. */
static void check_sizes(FILE *f, const char *text, double limit, const struct row *rows, size_t n,
                        const char *num, const char *den, size_t lo, size_t hi)
{
        struct target t = {.rows = rows, .n = n};
        size_t sizes[MAX_PAIRS], k = sizes_of(rows, n, sizes, MAX_PAIRS);
        char label[32];
        for (size_t i = 0; i < k; i++) {
                if (sizes[i] >= lo && sizes[i] <= hi) {
                        add_pair(&t, format_size(sizes[i], label, sizeof(label)), num, sizes[i],
                                 den, sizes[i]);
                }
        }
        print_target(f, text, limit, &t);
}

static void check_zerocopy(FILE *f, const struct row *rows, size_t n)
{
        struct target t = {.rows = rows, .n = n};
        add_pair(&t, "block", "ward-zerocopy-block", MIB, "ward-zerocopy-block", 64);
        add_pair(&t, "spin", "ward-zerocopy-spin", MIB, "ward-zerocopy-spin", 64);
        print_target(f, "ward-zerocopy-* at 1 MiB ≤ 2× same mode at 64 B", 2.0, &t);
}

void report_targets(FILE *f, const struct row *rows, size_t n)
{
        fprintf(f, "targets (ratios of medians):\n");
        check_sizes(f, "ward-block ≤ 1.15× floor-pipe at 64 B–8 KiB", 1.15, rows, n, "ward-block",
                    "floor-pipe", 64, 8192);
        check_sizes(f, "ward-block ≤ 0.33× zeromq", 0.33, rows, n, "ward-block", "zeromq", 0,
                    SIZE_MAX);
        check_sizes(f, "ward-spin ≤ 2.5× floor-spin at 64 B", 2.5, rows, n, "ward-spin",
                    "floor-spin", 64, 64);
        check_zerocopy(f, rows, n);
        check_sizes(f, "ward-block at 1 MiB ≤ 1.3× floor-shm", 1.3, rows, n, "ward-block",
                    "floor-shm", MIB, MIB);
}
