/* ward/rpc-json.h: calling any ward service without its .proto: messages as
 * JSON, typed by the description a server gives of itself (ward_rpc_describe).
 * This is what `ward call` uses; tools and tests can too.
 *
 * The JSON follows proto3's JSON mapping, as grpcurl users know it: a message
 * is an object keyed by field name (the .proto name; lowerCamelCase is also
 * accepted on input); 64-bit integers are written as strings and read from
 * numbers or strings; bytes are base64; enums are value names (numbers are
 * accepted); a map is an object; null means "not set". Output lists proto3
 * fields that are not set with their default values (like grpcurl
 * -emit-defaults), so a reply of zero reads {"value": "0"}, not {}.
 */
#ifndef WARD_RPC_JSON_H
#define WARD_RPC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>
#include <ward/ipc.h>
#include <ward/rpc.h>

WARD_BEGIN_DECLS

struct Ward__Reflect__Description;

/* ward_rpc_json_to_pb: encode json (len bytes) as a message of the type named
 * type (full name, "calc.BinaryOp") in d. On success returns 0 with *ret (the
 * caller frees it) and *ret_len. Errors: -EINVAL for bad JSON or JSON that
 * does not fit the type, with a message naming the field and its position
 * written into err (err_size bytes; err may be NULL when err_size is 0);
 * -ENOENT when d has no message of that name; -ENOMEM.
 * Thread class: any-thread. */
WARD_API int ward_rpc_json_to_pb(const struct Ward__Reflect__Description *d, const char *type,
                                 const char *json, size_t len, uint8_t **ret, size_t *ret_len,
                                 char *err, size_t err_size);

/* Flags for ward_rpc_pb_to_json. */
enum {
        WARD_RPC_JSON_PRETTY = 1, /* indent by two spaces, one field per line */
};

/* ward_rpc_pb_to_json: decode len bytes of protobuf wire format as the message
 * type named type in d, into NUL-terminated JSON text *ret (the caller frees
 * it). The bytes are untrusted: malformed input is an error, never a crash;
 * fields d does not know are skipped. Errors: -EINVAL (bytes that do not
 * decode as that type; a message naming the field in err), -ENOENT (no such
 * type in d), -ENOMEM. Thread class: any-thread. */
WARD_API int ward_rpc_pb_to_json(const struct Ward__Reflect__Description *d, const char *type,
                                 const uint8_t *buf, size_t len, int flags, char **ret, char *err,
                                 size_t err_size);

/* ward_rpc_call_bytes: call method number method of the service named service
 * (schema_hash as ward_rpc_describe reported it, or as ward_rpc_service_hash
 * computes it) at conn with an already packed request, and wait up to
 * timeout_ns. Returns 0 with *ret and *ret_len holding the packed reply (the
 * caller frees *ret; empty for a one-way method, which does not wait), or, with
 * *ret NULL, what ward_rpc_call returns on failure (ward/rpc.h): -errno from
 * the transport, -EINVAL for bad arguments, -WARD_E_* for the server's answer.
 * Thread class: owner of conn. */
WARD_API int ward_rpc_call_bytes(ward_ipc_conn *conn, const char *service, uint64_t schema_hash,
                                 unsigned method, int one_way, const void *req, size_t len,
                                 uint64_t timeout_ns, uint8_t **ret, size_t *ret_len);

/* ward_rpc_resolve: the id the server at conn gives the service named
 * service whose schema hash is schema_hash, for ward_rpc_call_bytes_async;
 * waits up to timeout_ns. Returns 0 and *ret_id, or -errno (transport) or
 * -WARD_E_UNKNOWN_SERVICE, -WARD_E_SCHEMA_MISMATCH (the server's answer).
 * The id is good for the life of conn. Thread class: owner of conn. */
WARD_API int ward_rpc_resolve(ward_ipc_conn *conn, const char *service, uint64_t schema_hash,
                              uint64_t timeout_ns, uint32_t *ret_id);

/* ward_rpc_call_bytes_async: ward_rpc_call_bytes without waiting, for bridges
 * (ward gateway): call method number method of the service whose id
 * ward_rpc_resolve gave, with the packed request req[0..len). conn must be
 * attached to a loop (ward_ipc_conn_attach). Returns 0, and fn (ward/rpc.h)
 * runs exactly once, on conn's loop or before this returns: err 0 and the
 * packed reply (empty for a one-way method, which does not wait), or the
 * error as ward_rpc_call_bytes would return it, with the handler's message
 * for -WARD_E_HANDLER_ERROR when it gave one (ward_rpc_fail). Or returns
 * -errno (nothing sent, fn not called): -EINVAL, -EMSGSIZE, -ENOMEM,
 * -ECONNRESET, ... as ward_ipc_call_async. A request above the inline size
 * may wait up to timeout_ns for room in the pool.
 * Thread class: owner of conn. */
WARD_API int ward_rpc_call_bytes_async(ward_ipc_conn *conn, uint32_t service_id, unsigned method,
                                       int one_way, const void *req, size_t len,
                                       uint64_t timeout_ns, ward_rpc_bytes_fn fn, void *arg);

/* ward_rpc_resolve_traced: ward_rpc_resolve, also asking whether the server
 * takes trace contexts: *ret_traced is 1 when it does (then
 * ward_rpc_call_bytes_traced_async may carry one to it), else 0. Errors as
 * ward_rpc_resolve. Thread class: owner of conn. */
WARD_API int ward_rpc_resolve_traced(ward_ipc_conn *conn, const char *service, uint64_t schema_hash,
                                     uint64_t timeout_ns, uint32_t *ret_id, int *ret_traced);

/* ward_rpc_call_bytes_traced_async: ward_rpc_call_bytes_async as a span of
 * the calling thread's trace named service/method_name (the names the ids
 * stand for) when tracing is on, the request carrying the span as its trace
 * context when traced (ward_rpc_resolve_traced's answer) is 1, so the
 * handler's span is its child. The span covers the sending; a one-way call
 * (one_way 1) is traced the same, and answered fn(arg, 0, empty) once sent.
 * Returns and errors as ward_rpc_call_bytes_async. Thread class: owner of
 * conn. */
WARD_API int ward_rpc_call_bytes_traced_async(ward_ipc_conn *conn, uint32_t service_id,
                                              unsigned method, const char *service,
                                              const char *method_name, int traced, int one_way,
                                              const void *req, size_t len, uint64_t timeout_ns,
                                              ward_rpc_bytes_fn fn, void *arg);

WARD_END_DECLS

#endif
