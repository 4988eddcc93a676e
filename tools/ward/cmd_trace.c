/* ward trace SUBCOMMAND: reading traces (merge) and traced processes (tail,
 * level, recover). */
#include "cli.h"
#include "commands.h"

static const struct cli_subcommand trace_subcommands[] = {
    {"merge", "merge trace files by time, as text, Chrome JSON or CTF", cmd_trace_merge},
    {"tail", "follow a running process's events as they happen", cmd_trace_tail},
    {"level", "show or set a running process's trace level", cmd_trace_level},
    {"recover", "the events a dead process never flushed", cmd_trace_recover},
    {0},
};

int cmd_trace(int argc, char **argv)
{
        return cli_dispatch("trace", "Read, follow, merge and control ward traces.",
                            trace_subcommands, argc, argv);
}
