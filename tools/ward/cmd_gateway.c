/* ward gateway: runs ward-gateway (tools/ward-gateway), which links libward
 * and libward-grpc: gRPC calls to services of other ward processes.
 * ward-gateway parses the options itself (its --help is `ward gateway
 * --help`). */
#include "cli.h"
#include "commands.h"

int cmd_gateway(int argc, char **argv)
{
        char why[512];
        struct cli_command cmd = {.name = "gateway"};
        struct cli c;
        cli_init(&c, &cmd, argc, argv);
        argv[0] = "ward-gateway";
        exec_sibling("ward-gateway", argv, why, sizeof(why));
        return cli_error(&c, CLI_PROBLEM,
                         "cannot run the gateway (is ward built with libgrpc-dev?): %s", why);
}
