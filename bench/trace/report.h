/* The results of `ward bench trace`, their medians, the targets they are
 * checked against, and the table or JSON that shows them. */
#ifndef BENCH_TRACE_REPORT_H
#define BENCH_TRACE_REPORT_H

#include <limits.h>
#include <stdint.h>

#include "methods.h"
#include "paced.h"

#define MAX_RUNS 64
#define MAX_RATES 8

enum { ONLY_ALL, ONLY_COST, ONLY_PACED, ONLY_MERGE };

struct bench {
        int runs, paced_runs, json, only;
        long events;
        double seconds;
        double rates[MAX_RATES]; /* events per second, all threads together */
        int nrates;
        struct paced_config cfg;
        char tmpdir[64], bindir[PATH_MAX];
        double ns[M_COUNT][2][MAX_RUNS];
        uint64_t lost[M_COUNT][2];
        double merge[MAX_RUNS];       /* events per second, ward trace merge */
        double babeltrace2[MAX_RUNS]; /* the same from its CTF export; 0: not measured */
        int ok[M_COUNT][2];
        struct paced_result paced[P_COUNT][MAX_RATES][2][MAX_RUNS];
        int paced_ok[P_COUNT];
};

void print_json(struct bench *b);
void print_table(struct bench *b);

#endif
