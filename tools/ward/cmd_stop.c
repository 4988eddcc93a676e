/* ward stop [--grace 5s] [--tree] [--json] PID: end a process (any, not only
 * ward's): SIGTERM, up to the grace for it to go, then SIGKILL; with --tree
 * also every process it started (its process group, and its descendants
 * found in /proc, sessions included). Through a pidfd: a signal never
 * reaches a later process that got the same pid. Exit status: 0 it ended,
 * 1 it could not be stopped, 2 bad usage or no such process. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ward/spawn.h>

#include "cli.h"
#include "commands.h"
#include "proc_args.h"

#define DEFAULT_GRACE_NS 5000000000ull

static void print_text(int pid, const struct ward_proc_status *st, uint64_t grace_ns, int tree)
{
        char sig[32];
        printf("%d: ", pid);
        if (st->killed) {
                printf("killed (SIGKILL) after the %.3gs grace", (double)grace_ns / 1e9);
        } else if (st->how == WARD_PROC_EXITED) {
                printf("exited %d", st->code);
        } else if (st->how == WARD_PROC_SIGNALED) {
                printf("ended by %s", proc_signal_name(st->code, sig, sizeof(sig)));
        } else {
                printf("ended");
        }
        if (tree) {
                printf(", with %d other process%s of its tree", st->others,
                       st->others == 1 ? "" : "es");
        }
        printf("\n");
}

static void print_json(int pid, const struct ward_proc_status *st, int tree)
{
        char sig[32];
        printf("{\"pid\":%d,\"ended\":\"%s\"", pid,
               st->how == WARD_PROC_EXITED     ? "exited"
               : st->how == WARD_PROC_SIGNALED ? "signaled"
                                               : "unknown");
        if (st->how == WARD_PROC_EXITED) {
                printf(",\"code\":%d", st->code);
        } else if (st->how == WARD_PROC_SIGNALED) {
                printf(",\"signal\":\"%s\"", proc_signal_name(st->code, sig, sizeof(sig)));
        }
        printf(",\"killed\":%s", st->killed ? "true" : "false");
        if (tree) {
                printf(",\"others\":%d", st->others);
        }
        printf("}\n");
}

enum { OPT_GRACE = 1, OPT_TREE, OPT_JSON };

static const struct cli_command stop_cmd = {
    .name = "stop",
    .synopsis = "[--grace=DURATION] [--tree] [--json] PID",
    .summary = "End a process (any process, not only ward's), and with --tree all it started.",
    .description = "Sends SIGTERM to process PID, then SIGKILL if it is still there after the\n"
                   "grace, through a pidfd: a signal never reaches a later process that got the\n"
                   "same pid. Prints how it ended: \"exited N\", \"ended by SIGTERM\", \"killed\n"
                   "(SIGKILL) after the 5s grace\". Refuses pid 1 and ward itself. With --tree\n"
                   "it also ends every process PID started: its process group, its descendants\n"
                   "in /proc, and children that called setsid().",
    .options =
        (const struct cli_option[]){
            {OPT_GRACE, "grace", 0, "DURATION", "SIGTERM to SIGKILL (default 5s; 250ms, 1m, 0)"},
            {OPT_TREE, "tree", 0, NULL, "also every process it started"},
            {OPT_JSON, "json", 0, NULL, "how it ended, as one JSON object"},
            {0},
        },
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
    .exit_status = "0  it ended\n"
                   "1  it could not be stopped (still there after SIGKILL)\n"
                   "2  bad usage, no such process, or not allowed to signal it\n",
    .examples = "ward stop 4200\nward stop --tree --grace=1s 4300",
};

int cmd_stop(int argc, char **argv)
{
        int pid = -1, tree = 0, json = 0;
        uint64_t grace = DEFAULT_GRACE_NS;
        struct cli c;
        cli_init(&c, &stop_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_GRACE:
                        if (proc_parse_duration(c.value, &grace) < 0) {
                                return cli_bad_value(&c, "--grace", c.value,
                                                     "a duration, say 5s, 250ms or 1m");
                        }
                        break;
                case OPT_TREE:
                        tree = 1;
                        break;
                case OPT_JSON:
                        json = c.json = 1;
                        break;
                case CLI_ARG:
                        if (cli_arg_pid(&c, &pid) != 0) {
                                return CLI_USAGE;
                        }
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if (pid == 1 || pid == getpid()) {
                return cli_usage_error(&c, "refusing to stop process %d (%s)", pid,
                                       pid == 1 ? "init" : "ward itself");
        }
        ward_proc *p;
        struct ward_proc_status st;
        int r = ward_proc_open(pid, &p);
        if (r < 0) {
                return proc_signal_error(&c, pid, r);
        }
        r = tree ? ward_proc_stop_tree(p, grace, 0, &st) : ward_proc_stop(p, grace, &st);
        ward_proc_free(p);
        if (r < 0) {
                return proc_signal_error(&c, pid, r);
        }
        if (json) {
                print_json(pid, &st, tree);
        } else {
                print_text(pid, &st, grace, tree);
        }
        return CLI_OK;
}
