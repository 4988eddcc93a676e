/* ward: one command, one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

const struct ward_command ward_commands[] = {
    {"help", "show the subcommands", cmd_help},
    {"version", "print ward's version", cmd_version},
    {"bench",
     "run a benchmark: ward bench ipc|rpc|memory|trace|locks|proc|proc-watch|proc-stack|guard "
     "[options] [--json]",
     cmd_bench},
    {"call", "call a method with JSON: ward call ADDRESS pkg.Service.Method '{...}'", cmd_call},
    {"trace", "traces: ward trace merge|tail|level|recover ...", cmd_trace},
    {"locks",
     "locks, blocked threads, stacks and deadlocks of a live process: ward locks [--json] [-v] "
     "[-a] [-e] [--report] [--no-stacks] PID",
     cmd_locks},
    {"ps", "every process, with what ward knows of it: ward ps [--tree] [--ward] [--json]", cmd_ps},
    {"info", "everything about one process: ward info [--json] PID", cmd_info},
    {"stack",
     "every thread's stack of a process, file:line and inlined frames: ward stack PID [--live] "
     "[--thread TID] [--json]",
     cmd_stack},
    {"debug",
     "follow a program: threads, forks, execs, signals, libraries, stderr: ward debug [--json] "
     "-- PROG ARGS | -p PID",
     cmd_debug},
    {"core", "an ELF core and a report of a live process: ward core [-o DIR] [--full] [--json] PID",
     cmd_core},
    {"symbolize",
     "name a crash report's frames by build-id: ward symbolize REPORT --debug-dir DIR [--json]",
     cmd_symbolize},
    {"list", "what a ward server hosts: ward list ADDRESS", cmd_list},
    {"serve",
     "host services from shared libraries: ward serve --listen ADDR --load LIB.so "
     "[--grpc [HOST:]PORT]",
     cmd_serve},
    {"gateway",
     "gRPC calls to services of other ward processes: ward gateway --grpc [HOST:]PORT --to ADDR",
     cmd_gateway},
    {"stop", "end a process (and its tree): ward stop PID [--grace 5s] [--tree] [--json]",
     cmd_stop},
    {"run",
     "run a program under a guardian: cores and reports of crashes and hangs, restarts: ward run "
     "[--restart=on-failure] [--dump-dir DIR] [--on-crash CMD] [--json] -- PROG ARGS",
     cmd_run},
    {"nice", "show or set a process's nice value: ward nice PID [N] [--json]", cmd_nice},
    {"watch",
     "process events as they happen: ward watch [--exec] [--pid PID]... "
     "[--backend connector|pidfd|proc] [--json]",
     cmd_watch},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
        if (argc < 2) {
                cmd_help(argc, argv);
                return 2;
        }
        const char *name = argv[1];
        if (strcmp(name, "--version") == 0) {
                name = "version";
        } else if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
                name = "help";
        }
        for (const struct ward_command *c = ward_commands; c->name; c++) {
                if (strcmp(c->name, name) == 0) {
                        return c->run(argc - 1, argv + 1);
                }
        }
        fprintf(stderr, "ward: unknown subcommand '%s' (try 'ward help')\n", argv[1]);
        return 2;
}
