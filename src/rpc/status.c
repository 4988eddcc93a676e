/* Names of RPC statuses. */
#include <ward/rpc.h>

const char *ward_rpc_status_name(int status)
{
        static const char *const names[] = {
            [WARD_RPC_OK] = "ok",
            [WARD_RPC_UNKNOWN_SERVICE] = "unknown service",
            [WARD_RPC_UNKNOWN_METHOD] = "unknown method",
            [WARD_RPC_BAD_MESSAGE] = "bad message",
            [WARD_RPC_HANDLER_ERROR] = "handler error",
            [WARD_RPC_TIMEOUT] = "timeout",
            [WARD_RPC_PEER_GONE] = "peer gone",
            [WARD_RPC_SCHEMA_MISMATCH] = "schema mismatch",
            [WARD_RPC_TRANSPORT_ERROR] = "transport error",
        };
        if (status < 0 || status >= (int)(sizeof(names) / sizeof(names[0]))) {
                return "unknown status";
        }
        return names[status];
}
