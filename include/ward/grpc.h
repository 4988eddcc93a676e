/* ward/grpc.h: the services of a ward_rpc_server, answering gRPC calls
 * (libward-grpc, built on gRPC's C core; docs/grpc.md).
 *
 * Any method of any service the server hosts answers at
 * /pkg.Service/Method: the request's protobuf bytes go unchanged to the
 * service's handler (ward_rpc_server_call_bytes), its packed reply goes back.
 * Nothing is generated per service. Statuses map to gRPC codes: an unknown
 * service or method is UNIMPLEMENTED, a request that does not decode or a
 * handler that failed the call (ward_rpc_fail's message as the status
 * message) INVALID_ARGUMENT, a request over max_request RESOURCE_EXHAUSTED;
 * a one-way (ward.NoReply) method answers the empty message. A call whose
 * grpc-timeout passes ends DEADLINE_EXCEEDED (its handler's later answer goes
 * nowhere).
 *
 * A separate library, so that libward keeps to libc and libprotobuf-c: a
 * program that never serves gRPC never maps libgrpc (`ward serve` dlopens
 * libward-grpc.so.0 only for --grpc; its entry points have the _fn types
 * below for dlsym).
 *
 * Threads: gRPC's completion queue runs on a thread of the bridge's own;
 * every call is handed to the rpc server's loop, where handlers run as for
 * any ward caller, one at a time: on the loop's thread, or on the bridge's
 * while it borrows the sleeping loop (ward_loop_try_acquire). The functions
 * here are owner-thread: the thread of that loop.
 */
#ifndef WARD_GRPC_H
#define WARD_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>
#include <ward/loop.h>
#include <ward/rpc.h>

WARD_BEGIN_DECLS

typedef struct ward_grpc_server ward_grpc_server;

/* Options (ward/api.h's rule for options structs; NULL: all defaults). */
struct ward_grpc_options {
        uint32_t size;         /* sizeof(struct ward_grpc_options) */
        const char *cert_file; /* PEM certificate chain: with key_file, TLS (else plaintext) */
        const char *key_file;  /* PEM private key */
        size_t max_request;    /* largest request in bytes (0: 4 MiB); larger: RESOURCE_EXHAUSTED */
};

/* ward_grpc_server_new: answer gRPC calls on address ("HOST:PORT", as gRPC
 * reads it: "127.0.0.1:0" picks a free port) with the services of srv, whose
 * loop the calls are handed to. srv must outlive the bridge. The methods srv
 * hosts now are registered with gRPC (their calls take the shortest way to
 * the loop); services added later are answered too, as generic calls. Errors:
 * -EINVAL (bad arguments or options), -EADDRNOTAVAIL (gRPC could not bind
 * address), -ENOENT/-EACCES/-EFBIG (the certificate or key file), -ENOMEM,
 * -errno of pthread_create or the loop.
 * Ownership: *ret belongs to the caller; ward_grpc_server_free() releases it. */
WARD_API int ward_grpc_server_new(ward_rpc_server *srv, const char *address,
                                  const struct ward_grpc_options *opts, ward_grpc_server **ret);
typedef int (*ward_grpc_server_new_fn)(ward_rpc_server *, const char *,
                                       const struct ward_grpc_options *, ward_grpc_server **);

/* ward_grpc_dispatch_fn: where a bridge of one's own sends each call (ward
 * gateway: to services of other processes): method of service (names from
 * the call's path), the request's bytes req[0..len), the time left until the
 * call's deadline (UINT64_MAX: none). Returns 0 and calls fn(arg, ...)
 * exactly once, on the loop (maybe before returning), or returns the error
 * to answer with (fn not called). A message fn is given goes out as the
 * status message, whatever the error. Runs under the loop: on its thread,
 * or on the bridge's while that borrows the sleeping loop
 * (ward_loop_try_acquire). */
typedef int (*ward_grpc_dispatch_fn)(void *ctx, const char *service, const char *method,
                                     const void *req, size_t len, uint64_t timeout_ns,
                                     ward_rpc_bytes_fn fn, void *arg);

/* ward_grpc_server_new_dispatch: ward_grpc_server_new with the calls going
 * to dispatch(ctx, ...) on loop instead of to a ward_rpc_server. ctx must
 * outlive the bridge. Errors and ownership as ward_grpc_server_new. */
WARD_API int ward_grpc_server_new_dispatch(ward_loop *loop, const char *address,
                                           const struct ward_grpc_options *opts,
                                           ward_grpc_dispatch_fn dispatch, void *ctx,
                                           ward_grpc_server **ret);

/* ward_grpc_describe_fn: what the calls reach, for gRPC server reflection:
 * up to max descriptions (ward's reflection, ward/rpc.h) into out, owned by
 * ctx and valid until the loop's next iteration; returns how many. Runs
 * under the loop, as a dispatch does. */
struct Ward__Reflect__Description;
typedef size_t (*ward_grpc_describe_fn)(void *ctx, const struct Ward__Reflect__Description **out,
                                        size_t max);

/* ward_grpc_server_set_describe: answer gRPC server reflection
 * (grpc.reflection.v1alpha.ServerReflection) from fn(ctx, ...), or not at
 * all (fn NULL). ward_grpc_server_new sets it to the rpc server's own
 * description; a dispatch bridge sets its own. ctx must outlive g. */
WARD_API void ward_grpc_server_set_describe(ward_grpc_server *g, ward_grpc_describe_fn fn,
                                            void *ctx);

/* ward_grpc_server_port: the port bound (the one chosen for port 0). */
WARD_API int ward_grpc_server_port(const ward_grpc_server *g);
typedef int (*ward_grpc_server_port_fn)(const ward_grpc_server *);

/* ward_grpc_server_shutdown: stop taking calls and let the ones in flight
 * finish; those still running after grace_ns are cancelled (UNAVAILABLE).
 * done(arg) then runs once under the loop (as a dispatch does), when the
 * last call has ended. A
 * second call does nothing. */
WARD_API void ward_grpc_server_shutdown(ward_grpc_server *g, uint64_t grace_ns, ward_defer_fn done,
                                        void *arg);
typedef void (*ward_grpc_server_shutdown_fn)(ward_grpc_server *, uint64_t, ward_defer_fn, void *);

/* ward_grpc_server_free: cancel what is still in flight, wait for gRPC to let
 * go of it (running the loop meanwhile: not from inside one of its
 * callbacks) and free everything. NULL-safe; returns NULL. */
WARD_API ward_grpc_server *ward_grpc_server_free(ward_grpc_server *g);
typedef ward_grpc_server *(*ward_grpc_server_free_fn)(ward_grpc_server *);

WARD_END_DECLS

#endif
