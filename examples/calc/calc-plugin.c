/* The entry point that makes the Calculator loadable by `ward serve`. */
#include <ward/rpc.h>

#include "calc-service.h"

int ward_service_init(ward_rpc_server *srv, const char *address);

int ward_service_init(ward_rpc_server *srv, const char *address)
{
        (void)address;
        return ward_rpc_server_add(srv, &calc_service.base);
}
