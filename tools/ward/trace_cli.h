/* tools/ward/trace_cli.h: what the ward trace subcommands share: why a
 * process's trace buffers cannot be read, and text lines as JSON. */
#ifndef WARD_TOOLS_TRACE_CLI_H
#define WARD_TOOLS_TRACE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* trace_process_gone: pid names no process (ESRCH). */
int trace_process_gone(int pid);

/* trace_open_error: the error of ward_trace_reader_open(pid) or
 * ward_trace_reader_open_file(path) (pid 0) that returned code with msg,
 * said as cli_error does; returns the exit status: CLI_USAGE when there is
 * nothing to look at (no such process, file, buffers; no permission),
 * CLI_PROBLEM for damaged buffers. */
int trace_open_error(const struct cli *c, int pid, const char *path, int code, const char *msg);

/* trace_json_line: {"ns":NS,"text":LINE} (LINE without its newline) on f,
 * without a newline after it. */
void trace_json_line(FILE *f, uint64_t ns, const char *line, size_t len);

#endif
