/* ward results as gRPC status codes (docs/grpc.md, "Status mapping"). */
#include <errno.h>

#include <ward/error.h>

#include "grpc/codes.h"

grpc_status_code ward__grpc_code(int err)
{
        switch (err) {
        case 0:
                return GRPC_STATUS_OK;
        case -WARD_E_UNKNOWN_SERVICE:
        case -WARD_E_UNKNOWN_METHOD:
                return GRPC_STATUS_UNIMPLEMENTED;
        case -WARD_E_BAD_MESSAGE:
        case -WARD_E_HANDLER_ERROR:
                return GRPC_STATUS_INVALID_ARGUMENT;
        case -WARD_E_SCHEMA_MISMATCH:
                return GRPC_STATUS_FAILED_PRECONDITION;
        case -WARD_E_SERVER_ERROR:
        case -WARD_E_REPLY_TOO_LARGE:
        case -EMSGSIZE:
        case -ENOMEM:
                return GRPC_STATUS_RESOURCE_EXHAUSTED;
        case -ETIMEDOUT:
                return GRPC_STATUS_DEADLINE_EXCEEDED;
        case -ECONNRESET:
        case -ECONNREFUSED:
        case -EPIPE:
        case -EPROTO:
        case -ECANCELED:
        case -ENOENT:
                return GRPC_STATUS_UNAVAILABLE;
        default:
                return GRPC_STATUS_INTERNAL;
        }
}

const char *ward__grpc_message(int err)
{
        return err == 0 ? "" : ward_strerror(err);
}
