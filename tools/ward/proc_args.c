/* Arguments and messages of ward stop, nice and watch: see proc_args.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/error.h>

#include "proc_args.h"

int proc_parse_pid(const char *s)
{
        char *end;
        if (!s || *s < '0' || *s > '9') {
                return -1;
        }
        errno = 0;
        long v = strtol(s, &end, 10);
        return !errno && !*end && v > 0 && v <= (1L << 22) ? (int)v : -1;
}

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

int proc_fail(const char *cmd, int pid, int err)
{
        const char *why = err == -ESRCH                     ? "no such process"
                          : err == -EPERM || err == -EACCES ? "permission denied"
                          : err == -ETIMEDOUT               ? "still there after SIGKILL (stuck "
                                                              "in the kernel?)"
                                                            : ward_strerror(err);
        fprintf(stderr, "ward %s: process %d: %s\n", cmd, pid, why);
        return err == -ESRCH ? 2 : 1;
}
