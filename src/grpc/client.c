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
#include "rpc/remote.h"

struct gclient {
        const ProtobufCServiceDescriptor *desc;
        grpc_channel *channel;
        grpc_completion_queue *cq;
        void **methods; /* grpc_channel_register_call's, per method */
};

/* method_path: "/pkg.Service/Method" into buf. 0 or -ENAMETOOLONG. */
static int method_path(const ProtobufCServiceDescriptor *desc, unsigned i, char *buf, size_t n)
{
        int len = snprintf(buf, n, "/%s/%s", desc->name, desc->methods[i].name);
        return len > 0 && (size_t)len < n ? 0 : -ENAMETOOLONG;
}

static void gclient_close(void *ctx)
{
        struct gclient *g = ctx;
        if (!g) {
                return;
        }
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
        grpc_shutdown();
}

static int gclient_open(const char *target, const ProtobufCServiceDescriptor *desc, void **ret)
{
        if (!target || !*target || !desc) {
                return -EINVAL;
        }
        grpc_init();
        struct gclient *g = calloc(1, sizeof(*g));
        if (!g) {
                grpc_shutdown();
                return -ENOMEM;
        }
        g->desc = desc;
        g->methods = calloc(desc->n_methods ? desc->n_methods : 1, sizeof(*g->methods));
        grpc_channel_credentials *creds = grpc_insecure_credentials_create();
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
                gclient_close(g);
                return err;
        }
        *ret = g;
        return 0;
}

/* pack_request: input as a gRPC byte buffer, or NULL (no memory). */
static grpc_byte_buffer *pack_request(const ProtobufCMessage *input)
{
        size_t len = protobuf_c_message_get_packed_size(input);
        grpc_slice s = grpc_slice_malloc(len);
        protobuf_c_message_pack(input, GRPC_SLICE_START_PTR(s));
        grpc_byte_buffer *b = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        return b;
}

/* unpack_reply: the reply's message, or NULL (it does not decode). */
static ProtobufCMessage *unpack_reply(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *b)
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

static gpr_timespec deadline_after(uint64_t timeout_ns)
{
        if (timeout_ns > (uint64_t)INT64_MAX / 2) {
                return gpr_inf_future(GPR_CLOCK_MONOTONIC);
        }
        return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                            gpr_time_from_nanos((int64_t)timeout_ns, GPR_TIMESPAN));
}

/* struct exchange: what one call's batch sends and receives. */
struct exchange {
        grpc_byte_buffer *request;
        grpc_byte_buffer *reply;
        grpc_metadata_array initial, trailing;
        grpc_status_code status;
        grpc_slice details;
};

/* run_batch: the whole unary call in one batch, waited for. 0, or -ENOMEM
 * (gRPC refused the batch: the call never started). */
static int run_batch(struct gclient *g, grpc_call *call, struct exchange *x)
{
        grpc_op ops[6];
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
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
        if (grpc_call_start_batch(call, ops, 6, x, NULL) != GRPC_CALL_OK) {
                return -ENOMEM;
        }
        /* the call's deadline ends it: the batch always completes */
        grpc_completion_queue_pluck(g->cq, x, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        return 0;
}

static int gclient_call(void *ctx, unsigned method, const ProtobufCMessage *input,
                        uint64_t timeout_ns, ProtobufCMessage **ret_output, char *msg,
                        size_t msg_len)
{
        struct gclient *g = ctx;
        *ret_output = NULL;
        if (msg_len) {
                msg[0] = '\0';
        }
        if (method >= g->desc->n_methods) {
                return -WARD_E_UNKNOWN_METHOD;
        }
        struct exchange x = {.status = GRPC_STATUS_UNKNOWN};
        grpc_metadata_array_init(&x.initial);
        grpc_metadata_array_init(&x.trailing);
        x.details = grpc_empty_slice();
        x.request = pack_request(input);
        grpc_call *call = grpc_channel_create_registered_call(
            g->channel, NULL, GRPC_PROPAGATE_DEFAULTS, g->cq, g->methods[method],
            deadline_after(timeout_ns), NULL);
        int err = x.request && call ? run_batch(g, call, &x) : -ENOMEM;
        if (err == 0) {
                err = ward__grpc_client_error(x.status);
                size_t n = GRPC_SLICE_LENGTH(x.details);
                if (msg_len) {
                        n = n < msg_len - 1 ? n : msg_len - 1;
                        memcpy(msg, GRPC_SLICE_START_PTR(x.details), n);
                        msg[n] = '\0';
                }
        }
        if (err == 0) {
                *ret_output = unpack_reply(g->desc->methods[method].output, x.reply);
                err = *ret_output ? 0 : -WARD_E_BAD_MESSAGE;
        }
        if (call) {
                grpc_call_unref(call);
        }
        grpc_byte_buffer_destroy(x.request);
        grpc_byte_buffer_destroy(x.reply);
        grpc_metadata_array_destroy(&x.initial);
        grpc_metadata_array_destroy(&x.trailing);
        grpc_slice_unref(x.details);
        return err;
}

static const struct ward__rpc_remote_ops gclient_ops = {
    .size = sizeof(struct ward__rpc_remote_ops),
    .open = gclient_open,
    .call = gclient_call,
    .close = gclient_close,
};

/* The entry point libward's remote.c looks up with dlsym. */
const struct ward__rpc_remote_ops *ward__grpc_client_ops(void)
{
        return &gclient_ops;
}
