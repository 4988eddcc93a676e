/* ward nice [--json] PID [N]: show the nice value of process PID, or set it
 * to N (-20..19) on every thread of it. Exit status: 0 done, 1 not allowed
 * (lowering it needs CAP_SYS_NICE), 2 bad usage or no such process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/spawn.h>

#include "cli.h"
#include "commands.h"
#include "proc_args.h"

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

enum { OPT_JSON = 1 };

static const struct cli_command nice_cmd = {
    .name = "nice",
    .synopsis = "[--json] PID [N]",
    .summary = "Show the nice value of a process, or set it on every thread of it.",
    .description = "Without N, prints the nice value of process PID (of its main thread). With\n"
                   "N (-20 .. 19), sets it on every thread of the process, since setpriority(2)\n"
                   "acts on one thread, and prints the new value and the old one.",
    .options =
        (const struct cli_option[]){
            {OPT_JSON, "json", 0, NULL, "{\"pid\",\"nice\"[,\"was\"]}"},
            {0},
        },
    .args = "PID [N]",
    .min_args = 1,
    .max_args = 2,
    .exit_status = "0  done\n"
                   "1  not allowed (lowering it needs CAP_SYS_NICE; another user's process, "
                   "root)\n"
                   "2  bad usage, or no such process\n",
    .examples = "ward nice 4200\nward nice 4200 10",
};

static void print_nice(int pid, int n, int set, int was, int json)
{
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
}

int cmd_nice(int argc, char **argv)
{
        int pid = -1, json = 0, set = 0, n = 0, was;
        struct cli c;
        cli_init(&c, &nice_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_JSON:
                        json = c.json = 1;
                        break;
                case CLI_ARG:
                        if (c.nargs == 1 && cli_arg_pid(&c, &pid) != 0) {
                                return CLI_USAGE;
                        }
                        if (c.nargs == 2 && parse_nice(c.value, &n) < 0) {
                                return cli_bad_value(&c, "N", c.value, "a nice value, -20 .. 19");
                        }
                        set = c.nargs == 2;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        int r = ward_proc_get_nice(pid, &was);
        if (r == 0 && set) {
                r = ward_proc_set_nice(pid, n);
        }
        if (r == 0) {
                r = ward_proc_get_nice(pid, &n);
        }
        if (r == -EACCES || r == -EPERM) {
                return cli_error(&c, CLI_PROBLEM,
                                 "process %d: not allowed (lowering the nice value needs "
                                 "CAP_SYS_NICE; another user's process needs root)",
                                 pid);
        }
        if (r < 0) {
                return cli_process_error(&c, pid, r);
        }
        print_nice(pid, n, set, was, json);
        return CLI_OK;
}
