/* Arguments and messages of ward stop, nice, watch and run: see proc_args.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_args.h"

int proc_parse_duration(const char *s, uint64_t *ret_ns)
{
        static const struct {
                const char *suffix;
                double ns;
        } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"", 1e9}};
        char *end;
        if (!s || !((*s >= '0' && *s <= '9') || *s == '.')) {
                return -1;
        }
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || !isfinite(v) || v < 0) {
                return -1;
        }
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (strcmp(end, units[i].suffix) == 0) {
                        double ns = v * units[i].ns;
                        if (ns > 1e18) { /* over 30 years */
                                return -1;
                        }
                        *ret_ns = (uint64_t)ns;
                        return 0;
                }
        }
        return -1;
}

const char *proc_signal_name(int sig, char *buf, int size)
{
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev) {
                snprintf(buf, (size_t)size, "SIG%s", abbrev);
        } else {
                snprintf(buf, (size_t)size, "signal %d", sig);
        }
        return buf;
}

int proc_signal_error(const struct cli *c, int pid, int err)
{
        struct stat st;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d", pid);
        if ((err == -EPERM || err == -EACCES) && stat(path, &st) == 0 && st.st_uid != geteuid()) {
                return cli_error(c, CLI_USAGE,
                                 "process %d: not allowed to signal it: it belongs to user %u "
                                 "(run as that user or root)",
                                 pid, (unsigned)st.st_uid);
        }
        if (err == -EPERM || err == -EACCES) {
                return cli_error(c, CLI_USAGE, "process %d: not allowed to signal it", pid);
        }
        if (err == -ETIMEDOUT) {
                return cli_error(c, CLI_PROBLEM,
                                 "process %d: still there after SIGKILL (stuck in the kernel?)",
                                 pid);
        }
        return cli_process_error(c, pid, err);
}
