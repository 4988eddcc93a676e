/* ward: one command, one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

const struct ward_command ward_commands[] = {
    {"help", "show the subcommands, or one subcommand's help", cmd_help},
    {"version", "print ward's version", cmd_version},
    {"ps", "every process, with what ward knows of it", cmd_ps},
    {"info", "everything about one process", cmd_info},
    {"stack", "every thread's stack of a process, with file:line and inlined frames", cmd_stack},
    {"locks", "the locks, blocked threads and deadlocks of a live process", cmd_locks},
    {"trace", "read, follow, merge and control ward traces", cmd_trace},
    {"run", "run a program under a guardian: crash cores and reports, restarts", cmd_run},
    {"core", "an ELF core and a report of a live process", cmd_core},
    {"symbolize", "name a crash report's frames by build-id", cmd_symbolize},
    {"debug", "follow a program: threads, forks, execs, signals, libraries", cmd_debug},
    {"watch", "process events as they happen", cmd_watch},
    {"stop", "end a process (and its tree)", cmd_stop},
    {"nice", "show or set a process's nice value", cmd_nice},
    {"clean", "list and remove the shared-memory files of dead ward processes", cmd_clean},
    {"serve", "host services from shared libraries", cmd_serve},
    {"gateway", "gRPC calls to services of other ward processes", cmd_gateway},
    {"list", "the services and methods a ward server hosts", cmd_list},
    {"call", "call a method of a ward service with JSON", cmd_call},
    {"bench", "measure ward against its peers", cmd_bench},
    {NULL, NULL, NULL},
};

const struct ward_command *ward_command_named(const char *name)
{
        for (const struct ward_command *c = ward_commands; c->name; c++) {
                if (strcmp(c->name, name) == 0) {
                        return c;
                }
        }
        return NULL;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                ward_usage(stderr);
                return CLI_USAGE;
        }
        const char *name = argv[1];
        if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
                name = "version";
        } else if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
                name = "help";
        }
        const struct ward_command *c = ward_command_named(name);
        if (c) {
                return c->run(argc - 1, argv + 1);
        }
        fprintf(stderr, "ward: unknown subcommand '%s' (see 'ward help')\n", argv[1]);
        return CLI_USAGE;
}
