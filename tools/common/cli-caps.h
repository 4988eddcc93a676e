/* tools/common/cli-caps.h: one more reason a permission error may have, for
 * the commands that read other processes: the target holds capabilities
 * this process lacks (a sandbox's or container's init, seen from inside it),
 * which cli_eperm_reason (cli.h) does not tell apart from a plain "permission
 * denied". Single-threaded; nothing allocated. */
#ifndef WARD_TOOLS_CLI_CAPS_H
#define WARD_TOOLS_CLI_CAPS_H

#include <stddef.h>

#include "cli.h"

/* cli_caps_reason: when pid's permitted capabilities include some that
 * this process's effective set lacks, say which into buf and return 1;
 * else 0 (buf untouched). */
int cli_caps_reason(int pid, char *buf, size_t size);

/* cli_process_error_caps: cli_process_error, with cli_caps_reason's text
 * for a permission error cli_eperm_reason has no reason for. Returns the
 * exit status as cli_process_error does. */
int cli_process_error_caps(const struct cli *c, int pid, int err);

#endif
