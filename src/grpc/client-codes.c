/* gRPC status codes as ward errors, for the grpc: client. */
#include <errno.h>

#include <ward/error.h>

#include "grpc/client-codes.h"

int ward__grpc_client_error(grpc_status_code code)
{
        switch (code) {
        case GRPC_STATUS_OK:
                return 0;
        case GRPC_STATUS_UNAVAILABLE:
                return -ECONNRESET;
        case GRPC_STATUS_DEADLINE_EXCEEDED:
                return -ETIMEDOUT;
        case GRPC_STATUS_CANCELLED:
                return -ECANCELED;
        case GRPC_STATUS_UNIMPLEMENTED:
                return -WARD_E_UNKNOWN_METHOD;
        case GRPC_STATUS_UNAUTHENTICATED:
        case GRPC_STATUS_PERMISSION_DENIED:
                return -EACCES;
        case GRPC_STATUS_RESOURCE_EXHAUSTED:
        case GRPC_STATUS_INTERNAL:
        case GRPC_STATUS_UNKNOWN:
        case GRPC_STATUS_DATA_LOSS:
                return -WARD_E_SERVER_ERROR;
        case GRPC_STATUS_FAILED_PRECONDITION:
        case GRPC_STATUS_INVALID_ARGUMENT:
        default: /* NOT_FOUND, ALREADY_EXISTS, ABORTED, OUT_OF_RANGE: the service's verdict */
                return -WARD_E_HANDLER_ERROR;
        }
}
