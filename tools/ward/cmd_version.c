/* ward version (ward --version): the version of the command and library. */
#include <stdio.h>

#include <ward/api.h>

#include "cli.h"
#include "commands.h"

static const struct cli_command version_cmd = {
    .name = "version",
    .synopsis = "",
    .summary = "Print ward's version.",
    .options = (const struct cli_option[]){{0}},
};

int cmd_version(int argc, char **argv)
{
        struct cli c;
        cli_init(&c, &version_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                return r == CLI_HELP ? CLI_OK : CLI_USAGE;
        }
        printf("ward %s\n", WARD_VERSION_STRING);
        return CLI_OK;
}
