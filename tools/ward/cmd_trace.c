/* ward trace SUBCOMMAND: reading traces (merge) and traced processes (tail,
 * level, recover). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct ward_command trace_commands[] = {
    {"merge", "merge trace files by time: ward trace merge [-o OUT] [--json|--ctf DIR] FILE|DIR...",
     cmd_trace_merge},
    {"tail", "follow a live process's events: ward trace tail [--all] PID", cmd_trace_tail},
    {"level", "show or set a process's level: ward trace level PID [LEVEL]", cmd_trace_level},
    {"recover", "unflushed events of a process: ward trace recover [-o DIR] [--keep] PID|FILE",
     cmd_trace_recover},
    {NULL, NULL, NULL},
};

int cmd_trace(int argc, char **argv)
{
        if (argc >= 2) {
                for (const struct ward_command *c = trace_commands; c->name; c++) {
                        if (strcmp(c->name, argv[1]) == 0) {
                                return c->run(argc - 1, argv + 1);
                        }
                }
        }
        fprintf(stderr, "usage: ward trace SUBCOMMAND ...\n");
        for (const struct ward_command *c = trace_commands; c->name; c++) {
                fprintf(stderr, "  %-8s %s\n", c->name, c->summary);
        }
        return 2;
}
