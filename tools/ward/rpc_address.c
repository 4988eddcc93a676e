/* The address error of ward call and ward list: see rpc_address.h. */
#include "rpc_address.h"

#include <string.h>

int rpc_address_error(const struct cli *c, const char *address, int err)
{
        if (strncmp(address, "grpc:", 5) == 0 || strncmp(address, "grpcs:", 6) == 0) {
                return cli_error(c, CLI_USAGE,
                                 "'%s' is a gRPC address: ward %s asks ward servers only "
                                 "(unix:/path/to.sock or @abstract-name); a gRPC server "
                                 "answers grpcurl, with server reflection",
                                 address, c->cmd->name);
        }
        return cli_address_error(c, address, err);
}
