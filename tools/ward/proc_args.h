/* tools/ward/proc_args.h: what ward stop, nice and watch parse and say
 * alike: pids, durations, signal names, errors about a process. */
#ifndef WARD_TOOLS_PROC_ARGS_H
#define WARD_TOOLS_PROC_ARGS_H

#include <stdint.h>

/* proc_parse_pid: a pid (1 .. 2^22), or -1 */
int proc_parse_pid(const char *s);

/* proc_parse_duration: "5s", "250ms", "2m", "1.5s", "100us", "0"; a bare
 * number is seconds. 0 or -1. */
int proc_parse_duration(const char *s, uint64_t *ret_ns);

/* proc_signal_name: "SIGTERM" (or "signal 42") into buf */
const char *proc_signal_name(int sig, char *buf, int size);

/* proc_fail: say why cmd could not act on process pid (err: -errno) on
 * stderr; the exit status: 2 no such process, 1 otherwise */
int proc_fail(const char *cmd, int pid, int err);

#endif
