/* A client transport libward does not link: the `grpc:` address.
 *
 * libward keeps to libc and libprotobuf-c, so ward_rpc_client_open of an
 * address "grpc:HOST:PORT" loads libward-grpc with dlopen (remote.c) and asks
 * its entry point WARD__RPC_GRPC_ENTRY for these functions; the client then
 * sends its calls through them. Both libraries include this header: it is the
 * whole contract between them (size says which version of it a library has). */
#ifndef WARD_RPC_REMOTE_H
#define WARD_RPC_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include <ward/loop.h>

#include "rpc/wire.h"

/* The prefixes of an address reached over gRPC: plaintext, and TLS. */
#define WARD__RPC_GRPC_PREFIX "grpc:"
#define WARD__RPC_GRPCS_PREFIX "grpcs:"
/* The library and its entry point (a ward__rpc_remote_entry_fn). */
#define WARD__RPC_GRPC_LIBRARY "libward-grpc.so.0"
#define WARD__RPC_GRPC_ENTRY "ward__grpc_client_ops"

/* How an asynchronous call ended: err as for call, output (NULL on failure)
 * the transport's, freed after this returns; msg the status message. Called
 * on the loop's thread; never after close. */
typedef void (*ward__rpc_remote_done_fn)(void *arg, int err, const ProtobufCMessage *output,
                                         const char *msg);

struct ward__rpc_remote_ops {
        size_t size; /* sizeof(struct ward__rpc_remote_ops) of the library */
        /* open: a channel to target (the address without its prefix) for the
         * service desc. Returns 0 and *ret, or -EINVAL, -ENOMEM. Nothing is
         * connected yet: a server that is not there fails the first call. */
        int (*open)(const char *target, const ProtobufCServiceDescriptor *desc, void **ret);
        /* call: method of desc with input, waiting at most timeout_ns. Returns
         * 0 and *ret_output (protobuf-c's default allocator: the caller frees
         * it with protobuf_c_message_free_unpacked(out, NULL)), or the ward
         * error the status maps to (docs/grpc.md); msg[0..msg_len) gets the
         * status message ("" when none), always terminated. */
        int (*call)(void *ctx, unsigned method, const ProtobufCMessage *input, uint64_t timeout_ns,
                    ProtobufCMessage **ret_output, char *msg, size_t msg_len);
        /* close: end the channel. Asynchronous calls in flight are cancelled,
         * their done never called; what is left of them goes once they have
         * come back to the loop. Owner thread (the loop's, once attached). */
        void (*close)(void *ctx);
        /* attach: later call_async calls complete on loop (a thread of the
         * transport waits for gRPC and posts to it). 0, -EBUSY (attached
         * already), -ENOMEM, -errno of pthread_create. */
        int (*attach)(void *ctx, ward_loop *loop);
        /* call_async: start method with input; done(arg, ...) on the loop's
         * thread later (never before this returns). 0, or -ENOMEM and done is
         * not called. Loop thread. */
        int (*call_async)(void *ctx, unsigned method, const ProtobufCMessage *input,
                          uint64_t timeout_ns, ward__rpc_remote_done_fn done, void *arg);
        /* call_traced, call_async_traced: call and call_async of a call
         * traced by the caller (tracing on): trace is the call's own span
         * (trace id and span id), sent to the server as its parent (W3C
         * traceparent). Same errors and threads as call and call_async. */
        int (*call_traced)(void *ctx, unsigned method, const ProtobufCMessage *input,
                           uint64_t timeout_ns, const struct ward__rpc_trace *trace,
                           ProtobufCMessage **ret_output, char *msg, size_t msg_len);
        int (*call_async_traced)(void *ctx, unsigned method, const ProtobufCMessage *input,
                                 uint64_t timeout_ns, const struct ward__rpc_trace *trace,
                                 ward__rpc_remote_done_fn done, void *arg);
        /* open_tls: open, over TLS (gRPC's SSL channel credentials: the
         * server's certificate checked against the root certificates of
         * GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, else the system's). */
        int (*open_tls)(const char *target, const ProtobufCServiceDescriptor *desc, void **ret);
        /* wait_ready: wait until the channel is connected (gRPC reconnects
         * it, after its backoff), at most timeout_ns. 0, -ETIMEDOUT, or
         * -ECONNRESET (the channel was shut down). Owner thread. */
        int (*wait_ready)(void *ctx, uint64_t timeout_ns);
};

typedef const struct ward__rpc_remote_ops *(*ward__rpc_remote_entry_fn)(void);

/* The entry point, in libward-grpc (src/grpc/client.c): never NULL. */
__attribute__((visibility("default"))) const struct ward__rpc_remote_ops *
ward__grpc_client_ops(void);

/* ward__rpc_remote_load: the gRPC transport's functions: the program's own
 * when it links libward-grpc statically, else loading libward-grpc the first
 * time, beside libward.so (dladdr), else from the library search path. Returns 0 and *ret, or
 * -ENOTSUP (no such library, or one without the entry point). Thread class: any-thread. */
int ward__rpc_remote_load(const struct ward__rpc_remote_ops **ret);

#endif
