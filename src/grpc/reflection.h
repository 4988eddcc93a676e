/* gRPC server reflection (v1alpha) answered from ward's reflection. */
#ifndef WARD_GRPC_REFLECTION_H
#define WARD_GRPC_REFLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "reflect.pb-c.h"

/* The services a reflection stream calls, v1 and v1alpha (their messages
 * are the same on the wire: only the package differs), and the method. */
#define WARD__GRPC_REFLECTION_V1 "grpc.reflection.v1.ServerReflection"
#define WARD__GRPC_REFLECTION_V1ALPHA "grpc.reflection.v1alpha.ServerReflection"
#define WARD__GRPC_REFLECTION_METHOD "ServerReflectionInfo"

/* ward__grpc_reflect: the packed ServerReflectionResponse to the packed
 * ServerReflectionRequest req[0..len) (untrusted), from d[0..n): services
 * listed, or the synthetic files (filedesc.h) of a symbol or file name with
 * those they depend on, or an error_response (NOT_FOUND, INVALID_ARGUMENT
 * for a request that does not decode). *ret is malloc'ed, the caller's.
 * Returns 0 or -ENOMEM. Thread class: any-thread. */
int ward__grpc_reflect(const Ward__Reflect__Description *const *d, size_t n, const uint8_t *req,
                       size_t len, uint8_t **ret, size_t *ret_len);

#endif
