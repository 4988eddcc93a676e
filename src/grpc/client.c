/* The gRPC client transport of ward_rpc_client_open("grpc:HOST:PORT", ...):
 * a channel, one registered call per method, one batch per call, waited on
 * with a pluck completion queue (src/rpc/remote.h is the contract). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <ward/error.h>

#include "grpc/client-codes.h"
#include "grpc/client.h"
#include "grpc/tracestate.h"

/* method_path: "/pkg.Service/Method" into buf. 0 or -ENAMETOOLONG. */
static int method_path(const ProtobufCServiceDescriptor *desc, unsigned i, char *buf, size_t n)
{
        int len = snprintf(buf, n, "/%s/%s", desc->name, desc->methods[i].name);
        return len > 0 && (size_t)len < n ? 0 : -ENAMETOOLONG;
}

void ward__gclient_destroy(struct ward__gclient *g)
{
        ward__gclient_stop_async(g);
        if (g->channel) {
                grpc_channel_destroy(g->channel);
        }
        if (g->cq) {
                grpc_completion_queue_shutdown(g->cq);
                while (grpc_completion_queue_pluck(g->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                   NULL)
                           .type != GRPC_QUEUE_SHUTDOWN) {
                }
                grpc_completion_queue_destroy(g->cq);
        }
        free(g->methods);
        free(g);
        /* blocking: grpc_shutdown would leave gRPC's clean-up to a thread of
         * its own, still running when a program exits right after freeing its
         * client (LeakSanitizer's exit-time scan crashed on it) */
        grpc_shutdown_blocking();
}

/* gclient_close: now, or once the asynchronous calls in flight (cancelled
 * here) have come back to the loop. */
static void gclient_close(void *ctx)
{
        struct ward__gclient *g = ctx;
        if (g && ward__gclient_cancel_async(g) == 0) {
                ward__gclient_destroy(g);
        }
}

/* gclient_open_with: a channel to target with the credentials tls asks for
 * (SSL, roots from GRPC_DEFAULT_SSL_ROOTS_FILE_PATH or the system's; else
 * plaintext), its methods registered. */
static int gclient_open_with(const char *target, const ProtobufCServiceDescriptor *desc, int tls,
                             void **ret)
{
        if (!target || !*target || !desc) {
                return -EINVAL;
        }
        grpc_init();
        struct ward__gclient *g = calloc(1, sizeof(*g));
        if (!g) {
                grpc_shutdown();
                return -ENOMEM;
        }
        g->desc = desc;
        g->methods = calloc(desc->n_methods ? desc->n_methods : 1, sizeof(*g->methods));
        grpc_channel_credentials *creds = tls ? grpc_ssl_credentials_create(NULL, NULL, NULL, NULL)
                                              : grpc_insecure_credentials_create();
        g->channel = creds ? grpc_channel_create(target, creds, NULL) : NULL;
        grpc_channel_credentials_release(creds);
        g->cq = grpc_completion_queue_create_for_pluck(NULL);
        int err = g->methods && g->channel && g->cq ? 0 : -ENOMEM;
        for (unsigned i = 0; err == 0 && i < desc->n_methods; i++) {
                char path[512];
                err = method_path(desc, i, path, sizeof(path));
                if (err == 0) {
                        g->methods[i] = grpc_channel_register_call(g->channel, path, NULL, NULL);
                        err = g->methods[i] ? 0 : -ENOMEM;
                }
        }
        if (err < 0) {
                ward__gclient_destroy(g);
                return err;
        }
        *ret = g;
        return 0;
}

static int gclient_open(const char *target, const ProtobufCServiceDescriptor *desc, void **ret)
{
        return gclient_open_with(target, desc, 0, ret);
}

static int gclient_open_tls(const char *target, const ProtobufCServiceDescriptor *desc, void **ret)
{
        return gclient_open_with(target, desc, 1, ret);
}

grpc_byte_buffer *ward__gclient_pack(const ProtobufCMessage *input)
{
        size_t len = protobuf_c_message_get_packed_size(input);
        grpc_slice s = grpc_slice_malloc(len);
        protobuf_c_message_pack(input, GRPC_SLICE_START_PTR(s));
        grpc_byte_buffer *b = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        return b;
}

ProtobufCMessage *ward__gclient_unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *b)
{
        grpc_byte_buffer_reader reader;
        if (!b || !grpc_byte_buffer_reader_init(&reader, b)) {
                return NULL;
        }
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        ProtobufCMessage *m =
            protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
        grpc_slice_unref(all);
        return m;
}

gpr_timespec ward__gclient_deadline(uint64_t timeout_ns)
{
        if (timeout_ns > (uint64_t)INT64_MAX / 2) {
                return gpr_inf_future(GPR_CLOCK_MONOTONIC);
        }
        return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                            gpr_time_from_nanos((int64_t)timeout_ns, GPR_TIMESPAN));
}

int ward__gclient_start(grpc_call *call, struct ward__gexchange *x, void *tag)
{
        grpc_op ops[6];
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[0].data.send_initial_metadata.count = x->n_md;
        ops[0].data.send_initial_metadata.metadata = x->out_md;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = x->request;
        ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[3].data.recv_initial_metadata.recv_initial_metadata = &x->initial;
        ops[4].op = GRPC_OP_RECV_MESSAGE;
        ops[4].data.recv_message.recv_message = &x->reply;
        ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
        ops[5].data.recv_status_on_client.trailing_metadata = &x->trailing;
        ops[5].data.recv_status_on_client.status = &x->status;
        ops[5].data.recv_status_on_client.status_details = &x->details;
        return grpc_call_start_batch(call, ops, 6, tag, NULL) == GRPC_CALL_OK ? 0 : -ENOMEM;
}

/* run_batch: the whole unary call in one batch, waited for. 0, or -ENOMEM
 * (gRPC refused the batch: the call never started). */
static int run_batch(struct ward__gclient *g, grpc_call *call, struct ward__gexchange *x)
{
        if (ward__gclient_start(call, x, x) < 0) {
                return -ENOMEM;
        }
        /* the call's deadline ends it: the batch always completes */
        grpc_completion_queue_pluck(g->cq, x, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        return 0;
}

static int gclient_call_traced(void *ctx, unsigned method, const ProtobufCMessage *input,
                               uint64_t timeout_ns, const struct ward__rpc_trace *trace,
                               ProtobufCMessage **ret_output, char *msg, size_t msg_len)
{
        struct ward__gclient *g = ctx;
        *ret_output = NULL;
        if (msg_len) {
                msg[0] = '\0';
        }
        if (method >= g->desc->n_methods) {
                return -WARD_E_UNKNOWN_METHOD;
        }
        struct ward__gexchange x;
        ward__gexchange_init(&x, input, trace);
        grpc_call *call = grpc_channel_create_registered_call(
            g->channel, NULL, GRPC_PROPAGATE_DEFAULTS, g->cq, g->methods[method],
            ward__gclient_deadline(timeout_ns), NULL);
        int err = x.request && call ? run_batch(g, call, &x) : -ENOMEM;
        if (err == 0) {
                err = ward__gexchange_result(&x, g->desc->methods[method].output, ret_output, msg,
                                             msg_len);
        }
        if (call) {
                grpc_call_unref(call);
        }
        ward__gexchange_destroy(&x);
        return err;
}

static int gclient_call(void *ctx, unsigned method, const ProtobufCMessage *input,
                        uint64_t timeout_ns, ProtobufCMessage **ret_output, char *msg,
                        size_t msg_len)
{
        return gclient_call_traced(ctx, method, input, timeout_ns, NULL, ret_output, msg, msg_len);
}

/* set_traceparent: x's initial metadata carries trace as W3C traceparent
 * (flags 01: ward records the call), and the tracestate of the bridge call
 * this thread is inside, when it is of the same trace (tracestate.h). */
static void set_traceparent(struct ward__gexchange *x, const struct ward__rpc_trace *trace)
{
        struct ward__traceparent tp = {trace->trace_hi, trace->trace_lo, trace->span, 1};
        const struct ward__tracestate *ts = ward__tracestate_for(trace->trace_hi, trace->trace_lo);
        ward__traceparent_format(&tp, x->traceparent);
        x->out_md[0].key = grpc_slice_from_static_string("traceparent");
        x->out_md[0].value = grpc_slice_from_static_buffer(x->traceparent, WARD__TRACEPARENT_LEN);
        x->n_md = 1;
        if (ts) { /* copied: an asynchronous call sends it after the bridge's dispatch */
                x->out_md[1].key = grpc_slice_from_static_string("tracestate");
                x->out_md[1].value = grpc_slice_from_copied_buffer(ts->value, ts->len);
                x->n_md = 2;
        }
}

void ward__gexchange_init(struct ward__gexchange *x, const ProtobufCMessage *input,
                          const struct ward__rpc_trace *trace)
{
        memset(x, 0, sizeof(*x));
        x->status = GRPC_STATUS_UNKNOWN;
        grpc_metadata_array_init(&x->initial);
        grpc_metadata_array_init(&x->trailing);
        x->details = grpc_empty_slice();
        x->request = ward__gclient_pack(input);
        if (trace && (trace->trace_hi || trace->trace_lo) && trace->span) {
                set_traceparent(x, trace);
        }
}

int ward__gexchange_result(struct ward__gexchange *x, const ProtobufCMessageDescriptor *output,
                           ProtobufCMessage **ret_output, char *msg, size_t msg_len)
{
        int err = ward__grpc_client_error(x->status);
        size_t n = GRPC_SLICE_LENGTH(x->details);
        if (msg_len) {
                n = n < msg_len - 1 ? n : msg_len - 1;
                memcpy(msg, GRPC_SLICE_START_PTR(x->details), n);
                msg[n] = '\0';
        }
        if (err == 0) {
                *ret_output = ward__gclient_unpack(output, x->reply);
                err = *ret_output ? 0 : -WARD_E_BAD_MESSAGE;
        }
        return err;
}

void ward__gexchange_destroy(struct ward__gexchange *x)
{
        grpc_byte_buffer_destroy(x->request);
        grpc_byte_buffer_destroy(x->reply);
        grpc_metadata_array_destroy(&x->initial);
        grpc_metadata_array_destroy(&x->trailing);
        grpc_slice_unref(x->details);
        if (x->n_md == 2) {
                grpc_slice_unref(x->out_md[1].value);
        }
}

static int gclient_wait_ready(void *ctx, uint64_t timeout_ns)
{
        struct ward__gclient *g = ctx;
        gpr_timespec deadline = ward__gclient_deadline(timeout_ns);
        for (;;) {
                grpc_connectivity_state s = grpc_channel_check_connectivity_state(g->channel, 1);
                if (s == GRPC_CHANNEL_READY) {
                        return 0;
                }
                if (s == GRPC_CHANNEL_SHUTDOWN) {
                        return -ECONNRESET;
                }
                /* its tag completes when the state changes or at deadline */
                grpc_channel_watch_connectivity_state(g->channel, s, deadline, g->cq, &g->cq);
                grpc_completion_queue_pluck(g->cq, &g->cq, gpr_inf_future(GPR_CLOCK_REALTIME),
                                            NULL);
                if (gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), deadline) >= 0) {
                        return grpc_channel_check_connectivity_state(g->channel, 0) ==
                                       GRPC_CHANNEL_READY
                                   ? 0
                                   : -ETIMEDOUT;
                }
        }
}

static const struct ward__rpc_remote_ops gclient_ops = {
    .size = sizeof(struct ward__rpc_remote_ops),
    .open = gclient_open,
    .call = gclient_call,
    .close = gclient_close,
    .attach = ward__gclient_attach,
    .call_async = ward__gclient_call_async,
    .call_traced = gclient_call_traced,
    .call_async_traced = ward__gclient_call_async_traced,
    .open_tls = gclient_open_tls,
    .wait_ready = gclient_wait_ready,
};

/* The entry point libward's remote.c looks up with dlsym. */
const struct ward__rpc_remote_ops *ward__grpc_client_ops(void)
{
        return &gclient_ops;
}
