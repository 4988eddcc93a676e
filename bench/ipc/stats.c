/* stats.c: median and 99th percentile by sorting; samples are few thousand at
 * most, so qsort is plenty. */
#include <stdlib.h>

#include "stats.h"

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

double stats_median_u64(uint64_t *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_u64);
        if (n % 2) {
                return (double)v[n / 2];
        }
        return ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

/* Nearest rank: the smallest sample with at least 99% of the samples at or
 * below it, i.e. index ceil(0.99 n) - 1. */
double stats_p99_u64(uint64_t *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_u64);
        size_t rank = (n * 99 + 99) / 100;
        return (double)v[rank - 1];
}

double stats_median_double(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        if (n % 2) {
                return v[n / 2];
        }
        return (v[n / 2 - 1] + v[n / 2]) / 2;
}
