/* What a ward result means to a gRPC caller. */
/* (named codes.h: src/grpc/status.h would hide <grpc/status.h>) */
#ifndef WARD_GRPC_CODES_H
#define WARD_GRPC_CODES_H

#include <grpc/status.h>

/* ward__grpc_code: the gRPC status code of a ward result (0, -errno or
 * -WARD_E_*), as docs/grpc.md's table says. Thread class: any-thread. */
grpc_status_code ward__grpc_code(int err);

/* ward__grpc_message: the status message to send with err when the handler
 * gave none: ward's name for it ("" for 0). Never NULL. */
const char *ward__grpc_message(int err);

#endif
