/* ward help [CMD]: the subcommands, or what `ward CMD --help` prints. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

void ward_usage(FILE *f)
{
        fprintf(f, "Usage: ward SUBCOMMAND [options] [arguments]\n"
                   "   or: ward help SUBCOMMAND\n"
                   "   or: ward --version\n\n"
                   "ward looks at and runs multi-process, multi-threaded Linux programs: their\n"
                   "processes, stacks, locks, traces, crashes and services.\n\n"
                   "Subcommands:\n");
        for (const struct ward_command *c = ward_commands; c->name; c++) {
                fprintf(f, "  %-10s  %s\n", c->name, c->summary);
        }
        fprintf(f, "\n'ward SUBCOMMAND --help' or 'ward help SUBCOMMAND' tells more of each.\n"
                   "--json, wherever results are printed, prints them (and errors) as JSON.\n\n"
                   "Exit status:\n"
                   "  0  ok\n"
                   "  1  what was looked at has a problem (a deadlock, a crash, a failed call)\n"
                   "  2  bad usage, or nothing to look at (no such process, file or address)\n");
}

int cmd_help(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                ward_usage(stdout);
                return CLI_OK;
        }
        if (strcmp(argv[1], "--commands") == 0) { /* for shell completion */
                for (const struct ward_command *c = ward_commands; c->name; c++) {
                        printf("%s\n", c->name);
                }
                return CLI_OK;
        }
        const struct ward_command *c = ward_command_named(argv[1]);
        if (!c) {
                fprintf(stderr, "ward help: no subcommand '%s' (see 'ward help')\n", argv[1]);
                return CLI_USAGE;
        }
        char *help_argv[8]; /* ward help trace merge: ward trace merge --help */
        int n = 0;
        for (int i = 1; i < argc && n < 6; i++) {
                help_argv[n++] = argv[i];
        }
        help_argv[n++] = "--help";
        help_argv[n] = NULL;
        return c->run(n, help_argv);
}
