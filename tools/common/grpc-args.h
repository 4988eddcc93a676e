/* What `ward serve --grpc` and `ward gateway` both take for gRPC: the
 * address and the certificate options. */
#ifndef WARD_TOOLS_GRPC_ARGS_H
#define WARD_TOOLS_GRPC_ARGS_H

#include <stddef.h>

/* grpc_args_readable: can path (NULL: not given) be read? If not, say on
 * stderr which of prog's options names the file, and return 0. */
int grpc_args_readable(const char *prog, const char *option, const char *path);

/* grpc_args_address: [HOST:]PORT as gRPC reads it, loopback when no host
 * is given. */
void grpc_args_address(const char *arg, char *out, size_t size);

#endif
