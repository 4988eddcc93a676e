/* The options the benchmarks share, read with the ward command's parser
 * (tools/common/cli.h): a count with its bounds, and --help's common lines. */
#ifndef BENCH_COMMON_ARGS_H
#define BENCH_COMMON_ARGS_H

#include "cli.h"

/* bench_count: c->value as a whole number in [min, max] into *out; 0, or
 * CLI_USAGE after naming the option and the bad value. */
int bench_count(const struct cli *c, const char *option, long min, long max, long *out);

/* A whole-number option of a benchmark: its bounds and its two defaults. */
struct bench_count_option {
        const char *name;   /* the option's long name, without "--"; NULL ends a list */
        long min, max;      /* bounds */
        long normal, quick; /* the default, and the default under --quick */
        long value;         /* bench_parse's result */
};

/* bench_parse: the options of cmd in argv: "json" and "quick" flags (into
 * *json and *quick, each may be NULL), and the counts (NULL-named end):
 * each checked against its bounds, else its default for the mode. -1 to go
 * on, else the exit status (after --help or an error, which is printed).
 * The benchmark's main thread. */
int bench_parse(const struct cli_command *cmd, int argc, char **argv,
                struct bench_count_option *counts, int *json, int *quick);

/* The exit status every benchmark documents in its --help. */
#define BENCH_EXIT_STATUS                                                                          \
        "0  every row was measured\n"                                                              \
        "1  a row failed (what failed is said on stderr)\n"                                        \
        "2  bad usage\n"

#endif
