/* The method path of a gRPC call, /pkg.Service/Method, split in two. */
#ifndef WARD_GRPC_PATH_H
#define WARD_GRPC_PATH_H

#include <stddef.h>

/* Longest service or method name a path may carry (ward's own limit on
 * service names is shorter; a longer one can only be unknown). */
#define WARD__GRPC_NAME_MAX 255u

/* ward__grpc_split_path: p[0..len) (untrusted: from the peer's :path
 * header, not NUL-terminated) as "/" SERVICE "/" METHOD into svc and method,
 * NUL-terminated, each 1..WARD__GRPC_NAME_MAX printable ASCII bytes without
 * '/'. Returns 0, or -EINVAL for anything else (both outputs are then
 * empty strings). svc and method hold WARD__GRPC_NAME_MAX + 1 bytes.
 * Thread class: any-thread. */
int ward__grpc_split_path(const char *p, size_t len, char *svc, char *method);

#endif
