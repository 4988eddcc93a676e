/* ward gateway: runs ward-gateway (tools/ward-gateway), which links libward
 * and libward-grpc: gRPC calls to services of other ward processes. */
#include <stdio.h>

#include "commands.h"

int cmd_gateway(int argc, char **argv)
{
        char why[512];
        (void)argc;
        argv[0] = "ward-gateway";
        exec_sibling("ward-gateway", argv, why, sizeof(why));
        fprintf(stderr,
                "ward gateway: cannot run the gateway (is ward built with libgrpc-dev?): %s\n",
                why);
        return 1;
}
