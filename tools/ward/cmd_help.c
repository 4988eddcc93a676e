/* ward help: list the subcommands. */
#include <stdio.h>

#include "commands.h"

int cmd_help(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        printf("usage: ward <subcommand> [options]\n\nsubcommands:\n");
        for (const struct ward_command *c = ward_commands; c->name; c++) {
                printf("  %-10s %s\n", c->name, c->summary);
        }
        return 0;
}
