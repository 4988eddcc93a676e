/* cell.h: measure one mechanism at one size in fresh server and client processes. */
#ifndef BENCH_IPC_CELL_H
#define BENCH_IPC_CELL_H

#include <stddef.h>
#include <stdint.h>

#include "mech.h"

struct cell_params {
        unsigned warmup;        /* untimed round trips first */
        unsigned iters;         /* timed round trips */
        uint64_t warmup_cap_ns; /* stop warming up after this long */
        uint64_t
            time_cap_ns; /* stop timing after this long (slow machine, spinning on a busy one) */
};

/* What the client sends back to the parent; fits one pipe write. */
struct cell_result {
        int32_t err;        /* 0, or the negative errno that ended the cell */
        uint32_t samples;   /* timed round trips done */
        uint32_t truncated; /* 1 if time_cap_ns cut the timing short */
        uint32_t pad;
        double median_ns;
        double p99_ns;
};

/* cell_run: run m at size with fresh processes; cell is a number unique within
 * this process (for names). Prints what went wrong to stderr. Returns 0 with
 * *ret filled, or a negative errno. */
int cell_run(const struct mech *m, size_t size, unsigned cell, const struct cell_params *p,
             struct cell_result *ret);

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

#endif
