/* The options the benchmarks share, read with the ward command's parser
 * (tools/common/cli.h): a count with its bounds, and --help's common lines. */
#ifndef BENCH_COMMON_ARGS_H
#define BENCH_COMMON_ARGS_H

#include "cli.h"

/* bench_count: c->value as a whole number in [min, max] into *out; 0, or
 * CLI_USAGE after naming the option and the bad value. */
int bench_count(const struct cli *c, const char *option, long min, long max, long *out);

/* The exit status every benchmark documents in its --help. */
#define BENCH_EXIT_STATUS                                                                          \
        "0  every row was measured\n"                                                              \
        "1  a row failed (what failed is said on stderr)\n"                                        \
        "2  bad usage\n"

#endif
