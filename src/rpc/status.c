/* Names of RPC statuses (what a server answers on the wire; callers see them
 * as ward's own error codes, named by ward_strerror). */
#include <ward/rpc.h>

const char *ward_rpc_status_name(int status)
{
        static const char *const names[] = {
            [WARD_RPC_OK] = "ok",
            [WARD_RPC_UNKNOWN_SERVICE] = "unknown service",
            [WARD_RPC_UNKNOWN_METHOD] = "unknown method",
            [WARD_RPC_BAD_MESSAGE] = "bad message",
            [WARD_RPC_HANDLER_ERROR] = "handler error",
            [WARD_RPC_SCHEMA_MISMATCH] = "schema mismatch",
            [WARD_RPC_SERVER_ERROR] = "server error",
            [WARD_RPC_REPLY_TOO_LARGE] = "reply too large",
        };
        if (status < 0 || status >= (int)(sizeof(names) / sizeof(names[0])) || !names[status]) {
                return "unknown status";
        }
        return names[status];
}
