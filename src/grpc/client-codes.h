/* What a gRPC status means to a ward caller (docs/grpc.md, "Calling remote
 * services with the same stubs"). */
#ifndef WARD_GRPC_CLIENT_CODES_H
#define WARD_GRPC_CLIENT_CODES_H

#include <grpc/status.h>

/* ward__grpc_client_error: the ward error (0, -errno or -WARD_E_*) a call
 * that ended with gRPC status code returns. Thread class: any-thread. */
int ward__grpc_client_error(grpc_status_code code);

#endif
