/* tools/ward/proc_args.h: what ward stop, nice, watch and run parse and say
 * alike: durations, signal names, a signal that could not be sent. */
#ifndef WARD_TOOLS_PROC_ARGS_H
#define WARD_TOOLS_PROC_ARGS_H

#include <stdint.h>

#include "cli.h"

/* proc_parse_duration: "5s", "250ms", "2m", "1.5s", "100us", "0"; a bare
 * number is seconds. 0 or -1. */
int proc_parse_duration(const char *s, uint64_t *ret_ns);

/* proc_signal_name: "SIGTERM" (or "signal 42") into buf */
const char *proc_signal_name(int sig, char *buf, int size);

/* proc_signal_error: why process pid could not be signalled or waited for
 * (err: -errno): no such process, not ours to signal (whose it is), still
 * there after SIGKILL. Returns the exit status: CLI_USAGE for a missing
 * process or no permission, CLI_PROBLEM otherwise. */
int proc_signal_error(const struct cli *c, int pid, int err);

#endif
