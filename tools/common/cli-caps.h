/* tools/common/cli-caps.h: one more reason a permission error may have, for
 * the commands that read other processes: the target holds capabilities
 * this process lacks (a sandbox's or container's init, seen from inside it),
 * which cli_eperm_reason (cli.h) asks when it knows no other reason. Single-threaded; nothing
 * allocated. */
#ifndef WARD_TOOLS_CLI_CAPS_H
#define WARD_TOOLS_CLI_CAPS_H

#include <stddef.h>

#include "cli.h"

/* cli_caps_reason: when pid's permitted capabilities include some that
 * this process's effective set lacks, say which into buf and return 1;
 * else 0 (buf untouched). */
int cli_caps_reason(int pid, char *buf, size_t size);

#endif
