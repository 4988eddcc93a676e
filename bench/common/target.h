/* What the benchmarks that look at another process share: starting that
 * process (the benchmark itself, run as the target) and a wall clock. */
#ifndef BENCH_COMMON_TARGET_H
#define BENCH_COMMON_TARGET_H

#include <sys/types.h>

/* bench_target_start: run self_exe --target, its stdout a pipe, and wait
 * for the target's "ready\n" on it (its threads are where the benchmark
 * wants them). The pid, or -1 (the target is killed and reaped then). */
pid_t bench_target_start(const char *self_exe);

/* bench_now_ms: CLOCK_MONOTONIC in milliseconds. */
double bench_now_ms(void);

#endif
