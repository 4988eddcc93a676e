/* ward stop PID [--grace 5s] [--tree] [--json]: end a process (any, not only
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

#include "commands.h"
#include "proc_args.h"

#define DEFAULT_GRACE_NS 5000000000ull

static const char usage[] =
    "usage: ward stop PID [--grace DURATION] [--tree] [--json]\n"
    "\n"
    "End process PID: SIGTERM, then SIGKILL if it is still there after the grace\n"
    "(default 5s; 250ms, 2s, 1m, 0). --tree: also every process it started (its\n"
    "process group, its descendants, children that called setsid()). Exit status:\n"
    "0 it ended, 1 it could not be stopped, 2 bad usage or no such process.\n";

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

int cmd_stop(int argc, char **argv)
{
        int pid = -1, tree = 0, json = 0;
        uint64_t grace = DEFAULT_GRACE_NS;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        fputs(usage, stdout);
                        return 0;
                } else if (strcmp(a, "--tree") == 0) {
                        tree = 1;
                } else if (strcmp(a, "--json") == 0) {
                        json = 1;
                } else if (strcmp(a, "--grace") == 0 || strncmp(a, "--grace=", 8) == 0) {
                        const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
                        if (!v || proc_parse_duration(v, &grace) < 0) {
                                fprintf(stderr, "ward stop: bad grace '%s' (say 5s, 250ms, 1m)\n",
                                        v ? v : "");
                                return 2;
                        }
                } else if (pid < 0 && (pid = proc_parse_pid(a)) > 0) {
                        continue;
                } else {
                        fprintf(stderr, "ward stop: unexpected '%s'\n%s", a, usage);
                        return 2;
                }
        }
        if (pid < 0) {
                fputs(usage, stderr);
                return 2;
        }
        if (pid == 1 || pid == getpid()) {
                fprintf(stderr, "ward stop: refusing to stop process %d (%s)\n", pid,
                        pid == 1 ? "init" : "ward itself");
                return 2;
        }
        ward_proc *p;
        struct ward_proc_status st;
        int r = ward_proc_open(pid, &p);
        if (r < 0) {
                return proc_fail("stop", pid, r);
        }
        r = tree ? ward_proc_stop_tree(p, grace, 0, &st) : ward_proc_stop(p, grace, &st);
        ward_proc_free(p);
        if (r < 0) {
                return proc_fail("stop", pid, r);
        }
        if (json) {
                print_json(pid, &st, tree);
        } else {
                print_text(pid, &st, grace, tree);
        }
        return 0;
}
