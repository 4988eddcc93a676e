/* ward nice PID [N] [--json]: show the nice value of process PID, or set it
 * to N (-20..19) on every thread of it. Exit status: 0 done, 1 not allowed
 * (lowering it needs CAP_SYS_NICE), 2 bad usage or no such process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/spawn.h>

#include "commands.h"
#include "proc_args.h"

static const char usage[] = "usage: ward nice PID [N] [--json]\n"
                            "\n"
                            "Show the nice value of process PID, or set it to N (-20 .. 19) on "
                            "every\nthread of it. Exit status: 0 done, 1 not allowed, 2 bad usage "
                            "or no such\nprocess.\n";

static int parse_nice(const char *s, int *n)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < -20 || v > 19) {
                return -1;
        }
        *n = (int)v;
        return 0;
}

int cmd_nice(int argc, char **argv)
{
        int pid = -1, json = 0, set = 0, n = 0, was;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        fputs(usage, stdout);
                        return 0;
                } else if (strcmp(a, "--json") == 0) {
                        json = 1;
                } else if (pid < 0) {
                        if ((pid = proc_parse_pid(a)) < 0) {
                                fprintf(stderr, "ward nice: bad pid '%s'\n%s", a, usage);
                                return 2;
                        }
                } else if (!set && parse_nice(a, &n) == 0) {
                        set = 1;
                } else {
                        fprintf(stderr, "ward nice: bad nice value '%s' (-20 .. 19)\n%s", a, usage);
                        return 2;
                }
        }
        if (pid < 0) {
                fputs(usage, stderr);
                return 2;
        }
        int r = ward_proc_get_nice(pid, &was);
        if (r == 0 && set) {
                r = ward_proc_set_nice(pid, n);
        }
        if (r == 0) {
                r = ward_proc_get_nice(pid, &n);
        }
        if (r < 0) {
                if (r == -EACCES || r == -EPERM) {
                        fprintf(stderr,
                                "ward nice: process %d: not allowed (lowering the nice value "
                                "needs CAP_SYS_NICE; another user's process needs root)\n",
                                pid);
                        return 1;
                }
                return proc_fail("nice", pid, r);
        }
        if (json) {
                printf("{\"pid\":%d,\"nice\":%d", pid, n);
                if (set) {
                        printf(",\"was\":%d", was);
                }
                printf("}\n");
        } else if (set) {
                printf("%d: nice %d (was %d)\n", pid, n, was);
        } else {
                printf("%d: nice %d\n", pid, n);
        }
        return 0;
}
