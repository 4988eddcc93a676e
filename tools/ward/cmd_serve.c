/* ward serve: runs ward-serve (tools/ward-serve), the service host, which
 * links libward only: a process hosting services maps no libdw or libelf.
 * ward-serve parses the options itself (its --help is `ward serve --help`). */
#include "cli.h"
#include "commands.h"

int cmd_serve(int argc, char **argv)
{
        char why[512];
        struct cli_command cmd = {.name = "serve"};
        struct cli c;
        cli_init(&c, &cmd, argc, argv);
        argv[0] = "ward-serve";
        exec_sibling("ward-serve", argv, why, sizeof(why));
        return cli_error(&c, CLI_PROBLEM, "cannot run the service host: %s", why);
}
