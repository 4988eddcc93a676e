/* The `ward ps` rows of `ward bench proc` (ps.c). */
#ifndef BENCH_PROC_PS_H
#define BENCH_PROC_PS_H

#include <sys/types.h>

enum { PS_WARD, PS_PROCPS, PS_PSUTIL, PS_ROWS };

/* ps_bench_start_sleepers: n child processes that sleep until killed (and
 * die with this one). Returns 0 or -errno (none left running). */
int ps_bench_start_sleepers(pid_t *pids, int n);

/* ps_bench_stop_sleepers: kill and reap them. */
void ps_bench_stop_sleepers(pid_t *pids, int n);

/* ps_bench_run: one run of every row, in ms (-1: that tool is missing or
 * failed). Returns -1 when ward ps itself failed. */
int ps_bench_run(const char *ward, double ms[PS_ROWS]);

#endif
