/* Internals of the grpc: client transport (src/rpc/remote.h), shared by its
 * synchronous calls (client.c) and its asynchronous ones (client-async.c). */
#ifndef WARD_GRPC_CLIENT_H
#define WARD_GRPC_CLIENT_H

#include <pthread.h>

#include <grpc/grpc.h>

#include <ward/loop.h>

#include "core/list.h"
#include "grpc/traceparent.h"
#include "rpc/remote.h"

struct ward__gclient {
        const ProtobufCServiceDescriptor *desc;
        grpc_channel *channel;
        grpc_completion_queue *cq; /* pluck: synchronous calls */
        void **methods;            /* grpc_channel_register_call's, per method */
        /* asynchronous calls (after attach); all on the loop's thread but the
         * completion-queue thread, which only waits and posts to the loop */
        ward_loop *loop;
        grpc_completion_queue *async_cq; /* next */
        pthread_t thread;
        int thread_started;
        struct ward__list inflight; /* struct ward__gasync, started, not yet finished */
        unsigned finishing;         /* in flight or being finished: close waits for 0 */
        int closing;                /* closed while calls were in flight */
};

/* What one call's batch sends and receives. */
struct ward__gexchange {
        grpc_byte_buffer *request; /* NULL: no memory */
        grpc_byte_buffer *reply;
        grpc_metadata_array initial, trailing;
        grpc_status_code status;
        grpc_slice details;
        grpc_metadata out_md[2]; /* traceparent, tracestate: when the call is traced */
        size_t n_md;
        char traceparent[WARD__TRACEPARENT_LEN + 1]; /* its value; "" for none */
};

/* ward__gexchange_init: ready to send input (x->request NULL: no memory),
 * with trace as its traceparent (NULL: none). */
void ward__gexchange_init(struct ward__gexchange *x, const ProtobufCMessage *input,
                          const struct ward__rpc_trace *trace);
/* ward__gexchange_result: the ward error of the call's status, the message
 * into msg, and the decoded reply into *ret_output (0 only). */
int ward__gexchange_result(struct ward__gexchange *x, const ProtobufCMessageDescriptor *output,
                           ProtobufCMessage **ret_output, char *msg, size_t msg_len);
void ward__gexchange_destroy(struct ward__gexchange *x);

/* ward__gclient_start: the unary call's one batch, tagged tag. 0 or -ENOMEM. */
int ward__gclient_start(grpc_call *call, struct ward__gexchange *x, void *tag);

grpc_byte_buffer *ward__gclient_pack(const ProtobufCMessage *input);
ProtobufCMessage *ward__gclient_unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *b);
gpr_timespec ward__gclient_deadline(uint64_t timeout_ns);

/* ward__gclient_destroy: everything, now (no asynchronous call in flight). */
void ward__gclient_destroy(struct ward__gclient *g);

/* The asynchronous half (client-async.c): remote.h's attach and call_async;
 * cancel_async cancels the calls in flight (their done is never called) and
 * returns how many are still to come back (the last destroys g);
 * stop_async ends the completion-queue thread. */
int ward__gclient_attach(void *ctx, ward_loop *loop);
int ward__gclient_call_async(void *ctx, unsigned method, const ProtobufCMessage *input,
                             uint64_t timeout_ns, ward__rpc_remote_done_fn done, void *arg);
int ward__gclient_call_async_traced(void *ctx, unsigned method, const ProtobufCMessage *input,
                                    uint64_t timeout_ns, const struct ward__rpc_trace *trace,
                                    ward__rpc_remote_done_fn done, void *arg);
unsigned ward__gclient_cancel_async(struct ward__gclient *g);
void ward__gclient_stop_async(struct ward__gclient *g);

#endif
