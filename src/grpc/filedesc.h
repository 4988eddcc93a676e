/* google.protobuf.FileDescriptorProto, made from ward's reflection, for
 * gRPC server reflection: one synthetic file per package, named
 * "ward/PACKAGE.proto", holding the package's messages, enums and services. */
#ifndef WARD_GRPC_FILEDESC_H
#define WARD_GRPC_FILEDESC_H

#include <stddef.h>
#include <stdint.h>

#include "reflect.pb-c.h"

/* The descriptions a reflection answer is made from. */
struct ward__gdescs {
        const Ward__Reflect__Description *const *d;
        size_t n;
};

/* ward__grpc_package_len: the length of the package part of a full name
 * ("calc" of "calc.BinaryOp"; 0 for a name without a dot). */
size_t ward__grpc_package_len(const char *full);

/* ward__grpc_has_package: does any message, enum or service of ds live in
 * package pkg[0..len)? */
int ward__grpc_has_package(const struct ward__gdescs *ds, const char *pkg, size_t len);

/* ward__grpc_file: the packed FileDescriptorProto of package pkg[0..len) in
 * *ret (malloc'ed, the caller's), and in deps[0..*ndeps) (at most max_deps;
 * pointers into ds, not NUL-terminated: lengths in dep_lens) the packages
 * it depends on. Returns 0 or -ENOMEM. */
int ward__grpc_file(const struct ward__gdescs *ds, const char *pkg, size_t len, uint8_t **ret,
                    size_t *ret_len, const char **deps, size_t *dep_lens, size_t max_deps,
                    size_t *ndeps);

#endif
