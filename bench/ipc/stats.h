/* stats.h: order statistics of round-trip samples. */
#ifndef BENCH_IPC_STATS_H
#define BENCH_IPC_STATS_H

#include <stddef.h>
#include <stdint.h>

/* stats_median_u64, stats_p99_u64: sort v[0..n) in place and return its median
 * (the mean of the two middle values when n is even) or its 99th percentile
 * (nearest rank). n must be > 0. */
double stats_median_u64(uint64_t *v, size_t n);
double stats_p99_u64(uint64_t *v, size_t n);

/* stats_median_double: sort v[0..n) in place and return its median; n > 0. */
double stats_median_double(double *v, size_t n);

#endif
