/* ward/rpc.h: typed services from .proto files, over ward IPC.
 *
 * protoc-c (Debian's protobuf-c-compiler) turns a .proto file into message
 * structs, caller stubs (pkg__svc__method(ProtobufCService *, ...)) and a
 * dispatcher (Pkg__Svc_Service, filled with PKG__SVC__INIT(prefix)). ward adds
 * the transport: a ward_rpc_client *is* a ProtobufCService, so the generated
 * stubs call through it unchanged, and a ward_rpc_server hosts any number of
 * generated services on one address.
 *
 * Errors: a call returns 0, or a negative code that says which side failed
 * (the one rule of ward/error.h):
 *   - a negative errno when the call did not make it there and back: the
 *     connection (-ECONNRESET: the server is gone; -EPROTO; -ECANCELED: closed
 *     meanwhile), -ETIMEDOUT, -EMSGSIZE, -ENOMEM, -EINVAL, -EBUSY, -ECHILD;
 *   - -WARD_E_UNKNOWN_SERVICE, -WARD_E_UNKNOWN_METHOD, -WARD_E_BAD_MESSAGE,
 *     -WARD_E_HANDLER_ERROR, -WARD_E_SCHEMA_MISMATCH, -WARD_E_SERVER_ERROR,
 *     -WARD_E_REPLY_TOO_LARGE (ward/error.h) when the server answered that the
 *     call failed, or its reply did not decode.
 *
 * Size: a request is at most ward_rpc_max_request(conn) bytes packed (a larger
 * one fails with -EMSGSIZE before anything is sent), a reply at most
 * ward_ipc_conn_get_max_len(conn) (a larger one fails the call with
 * -WARD_E_REPLY_TOO_LARGE). Both come from the pool_bytes the server granted
 * the connection (struct ward_ipc_options; 4 MiB by default).
 * ward_strerror() names both. Every failure arrives as a code, never as a hang.
 *
 * Schemas: when a client starts using a service it sends the server a hash of
 * the service's descriptor (names, methods, message fields, recursively). A
 * server whose service of that name has another hash answers
 * WARD_RPC_SCHEMA_MISMATCH, so a client built from an older .proto fails
 * clearly instead of mis-decoding.
 *
 * One-way methods: a method whose output type is ward.NoReply (ward/ward.proto)
 * does not wait: its closure is called at once with the empty reply.
 *
 * Tracing: with ward's tracer on (ward/trace.h, level INFO or more), each
 * call and each handler is a span, and a request carries its caller's trace
 * context, so that one trace follows a call through every process, handler
 * and nested call it reaches (docs/trace.md). Off, it costs one branch.
 *
 * Threads: clients and servers are owner-thread objects, like the connections
 * beneath them.
 */
#ifndef WARD_RPC_H
#define WARD_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include <ward/api.h>
#include <ward/error.h>
#include <ward/ipc.h>
#include <ward/loop.h>

WARD_BEGIN_DECLS

typedef struct ward_rpc_client ward_rpc_client;
typedef struct ward_rpc_server ward_rpc_server;

/* What a server answers on the wire (the status of the IPC reply): its own
 * type, never returned by a function. A caller sees status s as the error
 * -(WARD_E_RPC + s), that is -WARD_E_UNKNOWN_METHOD and so on (ward/error.h).
 * 5 and 6 are retired (a timeout and a lost peer are the caller's -ETIMEDOUT
 * and -ECONNRESET); a status a client does not know reads as a bad message. */
enum ward_rpc_status {
        WARD_RPC_OK = 0,
        WARD_RPC_UNKNOWN_SERVICE = 1, /* no service of that name at the address */
        WARD_RPC_UNKNOWN_METHOD = 2,
        WARD_RPC_BAD_MESSAGE = 3,     /* the request did not decode */
        WARD_RPC_HANDLER_ERROR = 4,   /* the handler passed NULL to its closure */
        WARD_RPC_SCHEMA_MISMATCH = 7, /* client and server disagree on the .proto */
        WARD_RPC_SERVER_ERROR = 8,    /* the server could not serve the call (no memory) */
        WARD_RPC_REPLY_TOO_LARGE = 9, /* the reply is larger than the connection carries */
};

/* ward_rpc_status_name: "ok", "unknown method", ... of a wire status; "unknown
 * status" for any other value. Never NULL. Thread class: any-thread. */
WARD_API const char *ward_rpc_status_name(int status);

/* ward_rpc_client_new: a client of the service described by desc over conn.
 * conn stays the caller's (close it after freeing the client). If conn is
 * attached to a loop, calls through the ProtobufCService are asynchronous and
 * their closures run on that loop's thread: from the loop, or from inside a
 * later call on the same client while it waits for room in the connection or
 * for a synchronous reply. Otherwise calls complete before invoke returns. A
 * closure may free the client. A conn made with options.reconnect is
 * reconnected by the client's calls only (which ask the new server for the
 * service's id again), no longer by ward_ipc_* calls on it, so that no
 * request carries the old server's id to the next. Errors: -EINVAL, -ENOMEM.
 * Ownership: *ret belongs to the caller; ward_rpc_client_free() releases it. */
WARD_API int ward_rpc_client_new(ward_ipc_conn *conn, const ProtobufCServiceDescriptor *desc,
                                 ward_rpc_client **ret);

/* ward_rpc_client_open: a client of the service desc at address, with a
 * connection of its own (opts may be NULL). When a ward_rpc_server on address
 * lives in this process and was created by the calling thread, calls are
 * short-circuited: no socket, no ring; the handler runs on the calling thread,
 * and the request and the reply are still packed and unpacked, so a handler
 * sees exactly what a remote call would give it.
 * An address "grpc:HOST:PORT" reaches a gRPC server instead (any, not only
 * ward's; docs/grpc.md), "grpcs:HOST:PORT" the same over TLS (root
 * certificates from GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, else the system's):
 * libward-grpc is loaded then (dlopen), calls go to /pkg.Service/Method and
 * complete before invoke returns unless the client is attached to a loop
 * (ward_rpc_client_attach); of opts only reconnect counts (an idempotent
 * synchronous call is sent again once the channel is back, as
 * ward_rpc_client_set_idempotent says); nothing connects until the first
 * call. With tracing on, each call sends its span as W3C traceparent. Its
 * gRPC statuses map to ward errors as docs/grpc.md says, with the message
 * kept (ward_rpc_client_last_message). Errors: as ward_ipc_connect; for
 * grpc: and grpcs:, -ENOTSUP (no libward-grpc), -EINVAL (no target, a
 * malformed opts), -ENOMEM.
 * Ownership: *ret, and the connection inside, belong to the caller;
 * ward_rpc_client_free() releases both. */
WARD_API int ward_rpc_client_open(const char *address, const ProtobufCServiceDescriptor *desc,
                                  const struct ward_ipc_options *opts, ward_rpc_client **ret);

/* ward_rpc_client_free: NULL-safe; returns NULL. Calls in flight complete at
 * once (their closures get NULL). Safe inside a closure. */
WARD_API ward_rpc_client *ward_rpc_client_free(ward_rpc_client *c);

/* ward_rpc_client_service: the ProtobufCService to pass to generated stubs.
 * Owned by the client; valid until ward_rpc_client_free(). */
WARD_API ProtobufCService *ward_rpc_client_service(ward_rpc_client *c);

/* ward_rpc_client_set_timeout: per-call timeout for calls made through the
 * ProtobufCService (default 30 s). */
WARD_API void ward_rpc_client_set_timeout(ward_rpc_client *c, uint64_t timeout_ns);

/* Every method of the client's service, for ward_rpc_client_set_idempotent. */
#define WARD_RPC_ALL_METHODS 0xffffffffu

/* ward_rpc_client_set_idempotent: say whether method (its index in the
 * service descriptor, or WARD_RPC_ALL_METHODS) may be carried out twice;
 * none is by default. It matters on a connection made with
 * options.reconnect = 1 (struct ward_ipc_options): every call first
 * reconnects a connection whose server has gone (then asks the new server for
 * the service's id again); a synchronous call of an idempotent method whose
 * server ends before it answers is sent again to the next server within its
 * timeout, so the caller sees the answer or -ETIMEDOUT; another method's call
 * ends with -ECONNRESET as without reconnect. Asynchronous calls in flight
 * are never sent again. A grpc: client's call that fails UNAVAILABLE is
 * sent once more when gRPC has connected the channel again. Errors:
 * -EINVAL (NULL c, method out of range), -ENOMEM. Thread class:
 * owner-thread. */
WARD_API int ward_rpc_client_set_idempotent(ward_rpc_client *c, unsigned method, int idempotent);

/* ward_rpc_client_last_error: how the last call that finished ended, as
 * ward_rpc_call would have returned it: 0, -errno or -WARD_E_... (closures
 * only see NULL on failure; this says why). 0 before any call; -EINVAL for
 * a NULL c. Inside a closure, it is that closure's call's.
 * Thread class: owner-thread. */
WARD_API int ward_rpc_client_last_error(ward_rpc_client *c);

/* ward_rpc_client_attach: make c's stub calls asynchronous: their closures
 * run later on loop's thread (the caller's: the owner thread). For a ward
 * address, ward_ipc_conn_attach of the client's connection (a
 * short-circuited client has none: -EINVAL); for a grpc: address, a thread
 * of the transport waits for gRPC and hands each answer to loop. Free the
 * client while loop still runs: a grpc: client freed with calls in flight
 * lets go of its channel when they have come back to the loop.
 * ward_rpc_call stays synchronous. Errors: -EINVAL, -EBUSY (attached
 * already), -ENOMEM, -errno of pthread_create. Thread class: owner-thread. */
WARD_API int ward_rpc_client_attach(ward_rpc_client *c, ward_loop *loop);

/* ward_rpc_client_last_message: the status message that came with the last
 * call that finished ("" when none): on a grpc: client what the remote
 * server said about its error; on a ward address the text the handler
 * failed the call with (ward_rpc_fail, at most WARD_RPC_MESSAGE_MAX - 1
 * bytes; another process's bytes: print with care), over a socket or
 * short-circuited. Servers before ward_rpc_fail send none. Owned by the
 * client; valid until its next call or ward_rpc_client_free().
 * Thread class: owner-thread. */
WARD_API const char *ward_rpc_client_last_message(ward_rpc_client *c);

/* ward_rpc_call: the common case in one line: call method (its index in the
 * service descriptor) with input and wait up to timeout_ns. Returns 0 and
 * *ret_output, the decoded reply, which the caller frees with
 * protobuf_c_message_free_unpacked(*ret_output, NULL); for a one-way method
 * *ret_output is NULL. On failure *ret_output is NULL and the result says why
 * (see "Errors" above): -ETIMEDOUT, -ECONNRESET, -EPROTO, -ECANCELED,
 * -EMSGSIZE, -ENOMEM, -ECHILD (transport); -EINVAL (bad arguments, or c was
 * freed); -EBUSY (called from a callback nested in another synchronous call on
 * the same connection); -WARD_E_* (the server's answer).
 * Thread class: owner-thread. */
WARD_API int ward_rpc_call(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                           uint64_t timeout_ns, ProtobufCMessage **ret_output);

/* ward_rpc_max_request: the largest packed request (the input's
 * protobuf_c_message_get_packed_size) a call on conn can carry: what one
 * message carries (ward_ipc_conn_get_max_len) less the call's header. 0 for
 * NULL. Thread class: owner-thread of conn. */
WARD_API size_t ward_rpc_max_request(ward_ipc_conn *conn);

/* ward_rpc_server_new: serve on address, on loop. opts as for ward_ipc_server_new.
 * Errors: as ward_ipc_server_new.
 * Ownership: *ret belongs to the caller; ward_rpc_server_free() releases it. */
WARD_API int ward_rpc_server_new(ward_loop *loop, const char *address,
                                 const struct ward_ipc_options *opts, ward_rpc_server **ret);

/* ward_rpc_server_add: host service (a generated Pkg__Svc_Service's base, or any
 * ProtobufCService). The server does not take ownership: service must outlive
 * the server. Errors: -EINVAL, -EEXIST (a service of that name is hosted),
 * -ENOMEM. */
WARD_API int ward_rpc_server_add(ward_rpc_server *s, ProtobufCService *service);

/* ward_rpc_server_free: stop serving; closes every connection; calls not
 * answered yet can no longer be (a short-circuit caller's closure gets NULL).
 * NULL-safe; returns NULL. Safe inside a handler of this server: the server
 * stops at once and its memory goes when the handler returns (its closure
 * still works until then, its answer going nowhere).
 * Thread class: owner-thread of the server's loop. */
WARD_API ward_rpc_server *ward_rpc_server_free(ward_rpc_server *s);

/* ward_rpc_server_ipc: the IPC server beneath (for its authorize policy or
 * connection events). Owned by s. */
WARD_API ward_ipc_server *ward_rpc_server_ipc(ward_rpc_server *s);

/* ward_rpc_caller: inside a handler, who is calling. closure_data is the
 * handler's own closure_data argument, valid until the handler's closure has
 * been called (after that it may already describe another call). Returns 0 and
 * *ret, or -EINVAL when closure_data is not a call in progress.
 * Thread class: owner-thread. */
WARD_API int ward_rpc_caller(void *closure_data, struct ward_ipc_peer *ret);

/* ward_rpc_fail: inside a handler (or later, instead of its closure), fail
 * the call with a message for the caller: like passing NULL to the closure
 * (-WARD_E_HANDLER_ERROR), and message (read before this returns, at most
 * WARD_RPC_MESSAGE_MAX bytes of it; may be NULL) goes with the answer: to a
 * gRPC caller as the status message (ward serve --grpc, docs/grpc.md), to a
 * ward IPC caller with the status. closure_data is the handler's own. Returns
 * 0, or -EINVAL when closure_data is not a call in progress (already
 * answered). Thread class: owner-thread. */
#define WARD_RPC_MESSAGE_MAX 1024u
WARD_API int ward_rpc_fail(void *closure_data, const char *message);

/* ward_rpc_bytes_fn: how a ward_rpc_server_call_bytes call ended, called
 * exactly once, on the server's loop thread (possibly inside
 * ward_rpc_server_call_bytes): err 0 and the packed reply reply[0..len) (the
 * empty message for a one-way method), or err -WARD_E_HANDLER_ERROR and the
 * handler's message (ward_rpc_fail; NULL when it gave none),
 * -WARD_E_SERVER_ERROR (no memory for the reply), -ECANCELED (the server
 * was freed before the handler answered). reply and message live only during
 * the call. */
typedef void (*ward_rpc_bytes_fn)(void *arg, int err, const uint8_t *reply, size_t len,
                                  const char *message);

/* ward_rpc_server_call_bytes: call method (by name) of the service named
 * service (its full name, "pkg.Service") hosted by s, with the packed request
 * req[0..len), as if it had come from a client: the bytes are copied, decoded
 * and handed to the handler; fn receives the packed reply. For bridges to
 * other transports (libward-grpc). peer is who the handler's ward_rpc_caller
 * reports (NULL: nobody local, pid 0 and uid/gid -1). Returns 0 when the
 * handler was called (fn runs now or later, exactly once), or, with fn not
 * called: -EINVAL, -WARD_E_UNKNOWN_SERVICE, -WARD_E_UNKNOWN_METHOD,
 * -WARD_E_BAD_MESSAGE (req does not decode), -ENOMEM.
 * Thread class: owner-thread of the server's loop. */
WARD_API int ward_rpc_server_call_bytes(ward_rpc_server *s, const char *service, const char *method,
                                        const void *req, size_t len,
                                        const struct ward_ipc_peer *peer, ward_rpc_bytes_fn fn,
                                        void *arg);

/* ward_rpc_server_get_loop: the loop s serves on (for handlers that answer
 * later, from a timer). NULL for NULL. */
WARD_API ward_loop *ward_rpc_server_get_loop(ward_rpc_server *s);

/* ward_rpc_describe: ask the server at conn what it hosts: services, methods
 * and every message type they use (the built-in reflection every ward server
 * answers). On success *ret is the description, which the caller frees with
 * protobuf_c_message_free_unpacked(&(*ret)->base, NULL); its type comes from
 * reflect.pb-c.h, generated from ward's reflect.proto.
 * Returns 0, or as ward_rpc_call: -errno (transport, -EINVAL) or -WARD_E_*
 * (the server's answer, or a description that did not decode).
 * Thread class: owner of conn. */
struct Ward__Reflect__Description;
WARD_API int ward_rpc_describe(ward_ipc_conn *conn, uint64_t timeout_ns,
                               struct Ward__Reflect__Description **ret);

/* ward_rpc_server_describe: what s hosts, as ward_rpc_describe would get it
 * from s over a connection (for bridges: gRPC reflection). *ret is the
 * caller's (protobuf_c_message_free_unpacked(&(*ret)->base, NULL)).
 * Errors: -EINVAL, -ENOMEM. Thread class: owner-thread of the server's loop. */
WARD_API int ward_rpc_server_describe(ward_rpc_server *s, struct Ward__Reflect__Description **ret);

/* ward_rpc_service_hash: the schema hash exchanged at first use (FNV-1a 64 over
 * the service's names, methods and message fields, recursively). */
WARD_API uint64_t ward_rpc_service_hash(const ProtobufCServiceDescriptor *desc);

/* Loadable services (`ward serve --listen ADDRESS --load ./libcalc.so`).
 * A service library exports one function, named by WARD_SERVICE_INIT:
 *
 *   int ward_service_init(ward_rpc_server *srv, const char *address);
 *
 * called once, on the loader's loop thread, after dlopen. It adds its services
 * with ward_rpc_server_add() and returns 0, or a negative errno to make the
 * loader stop. To call a sibling service of the same loader it opens
 * ward_rpc_client_open(address, ...): calls are then short-circuited. An
 * optional `void ward_service_fini(void)` runs before the library is unloaded.
 * The library links libward (shared), so loader and services share one copy. */
#define WARD_SERVICE_INIT "ward_service_init"
#define WARD_SERVICE_FINI "ward_service_fini"
typedef int (*ward_service_init_fn)(ward_rpc_server *srv, const char *address);
typedef void (*ward_service_fini_fn)(void);

/* A trace context as it crosses into ward from elsewhere (a gateway's
 * caller: W3C Trace Context's traceparent carries the same ids): the 128-bit
 * trace id (both halves 0: none) and a span id. */
struct ward_rpc_trace_ctx {
        uint64_t trace_hi, trace_lo;
        uint64_t span;
};

/* ward_rpc_span_begin: a bridge (ward gateway, ward serve --grpc) starts the
 * span of a call that came from outside ward, named service/method: in
 * parent's trace as a child of parent->span (parent NULL or without a trace
 * id: a new trace). Until ward_rpc_span_end, calls this thread makes and
 * short-circuit handlers it runs are the span's children. *ret is the new
 * span (to hand back to the caller), *saved what ward_rpc_span_end restores.
 * With tracing off (below INFO) nothing is recorded and *ret is all zero.
 * Thread class: the calling thread's own state only. */
WARD_API void ward_rpc_span_begin(const char *service, const char *method,
                                  const struct ward_rpc_trace_ctx *parent,
                                  struct ward_rpc_trace_ctx *ret, struct ward_rpc_trace_ctx *saved);

/* ward_rpc_span_end: the span ward_rpc_span_begin started ends; saved (its
 * *saved) is the thread's innermost span again. Same thread as the begin. */
WARD_API void ward_rpc_span_end(const char *service, const char *method,
                                const struct ward_rpc_trace_ctx *saved);

WARD_END_DECLS

#endif
