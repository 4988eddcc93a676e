/* tools/ward/rpc_address.h: the address error of ward call and ward list,
 * which speak ward IPC only. */
#ifndef WARD_TOOLS_RPC_ADDRESS_H
#define WARD_TOOLS_RPC_ADDRESS_H

#include "cli.h"

/* rpc_address_error: ward_ipc_connect(address) failed with err: a grpc:
 * (or grpcs:) address is named as one these commands do not take (with what
 * does), anything else as cli_address_error says it. Returns the exit
 * status. */
int rpc_address_error(const struct cli *c, const char *address, int err);

#endif
