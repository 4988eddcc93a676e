/* One gRPC call, from its arrival to its status, on the rpc server's loop
 * thread (bridge.h). Its way:
 *   NEW    gRPC filled the slot: ask for the request, and for the call's end
 *   RECV   the request: split the path, hand the bytes to the hosted
 *          service (ward_rpc_server_call_bytes)
 *   reply  the handler answered (now or later): reply and status go out
 *   SEND   they went; CLOSE: the call is over (answered, or cancelled by the
 *          client, its deadline or shutdown)
 * The grpc_call is released once nothing of gRPC's is pending and the call
 * is over. A handler that has not answered by then keeps the slot, orphaned:
 * its answer goes nowhere and frees it. */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/time.h>

#include <ward/error.h>
#include <ward/rpc.h>

#include "grpc/bridge.h"
#include "grpc/codes.h"
#include "grpc/path.h"
#include "grpc/reflection.h"
#include "grpc/traceparent.h"
#include "grpc/tracestate.h"
#include "rpc/rpc-trace.h"

struct ward__gcall {
        struct ward_grpc_server *g; /* NULL once orphaned */
        struct ward__gmethod *m;    /* a registered method's call; NULL: a generic call */
        grpc_call *call;
        grpc_call_details details; /* a generic call's */
        gpr_timespec deadline;     /* a registered call's */
        grpc_metadata_array md;
        grpc_byte_buffer *req;
        grpc_byte_buffer *reply;
        int cancelled;        /* RECV_CLOSE_ON_SERVER's verdict */
        int pending;          /* batches gRPC has not completed */
        int in_handler;       /* the hosted service has not answered yet */
        int answered;         /* the status was sent */
        int stream;           /* a reflection stream: a response per request, until half-close */
        int md_sent;          /* initial metadata went out */
        int closed;           /* CLOSE completed */
        int close_asked;      /* RECV_CLOSE_ON_SERVER was started */
        int counted;          /* in g->open */
        grpc_metadata out_md; /* traceparent, sent back with the reply */
        grpc_metadata out_trailer;                   /* and again with its status */
        char traceparent[WARD__TRACEPARENT_LEN + 1]; /* its value; "" for none */
        struct ward__gtag t_new, t_recv, t_send, t_close;
};

static void call_free(struct ward__gcall *c)
{
        if (c->call) {
                grpc_call_unref(c->call);
        }
        if (c->req) {
                grpc_byte_buffer_destroy(c->req);
        }
        if (c->reply) {
                grpc_byte_buffer_destroy(c->reply);
        }
        grpc_call_details_destroy(&c->details);
        grpc_metadata_array_destroy(&c->md);
        free(c);
}

void ward__gcall_drop(struct ward__gcall *c)
{
        call_free(c);
}

/* request_slot: hand c to gRPC for the next call of c->m, or the next
 * generic call. A registered call comes with its request: its NEW event
 * must reach the loop at once. */
static grpc_call_error request_slot(struct ward_grpc_server *g, struct ward__gcall *c)
{
        if (c->m) {
                return grpc_server_request_registered_call(
                    g->server, c->m->rm, &c->call, &c->deadline, &c->md, &c->req, g->call_cq, g->cq,
                    (void *)((uintptr_t)&c->t_new | WARD__GTAG_NEW_BIT));
        }
        return grpc_server_request_call(
            g->server, &c->call, &c->details, &c->md, g->cq, g->cq,
            (void *)((uintptr_t)&c->t_new | WARD__GTAG_NEW_BIT | WARD__GTAG_LAZY_BIT));
}

int ward__gcall_request(struct ward_grpc_server *g, struct ward__gmethod *m)
{
        struct ward__gcall *c = calloc(1, sizeof(*c));
        if (!c) {
                return -ENOMEM;
        }
        c->g = g;
        c->m = m;
        grpc_call_details_init(&c->details);
        grpc_metadata_array_init(&c->md);
        c->t_new = (struct ward__gtag){.kind = WARD__GTAG_NEW, .call = c};
        c->t_recv = (struct ward__gtag){.kind = WARD__GTAG_RECV, .call = c};
        c->t_send = (struct ward__gtag){.kind = WARD__GTAG_SEND, .call = c};
        c->t_close = (struct ward__gtag){.kind = WARD__GTAG_CLOSE, .call = c};
        c->pending = 1; /* before gRPC has it: the completion-queue thread adds to it */
        /* what the completion-queue thread will read of c was written before this */
        atomic_fetch_add_explicit(&g->handoff, 1, memory_order_release);
        if (request_slot(g, c) != GRPC_CALL_OK) {
                call_free(c);
                return -ENOMEM;
        }
        if (m) {
                m->waiting = c;
        } else {
                g->waiting = c;
        }
        return 0;
}

/* release: the call is over and gRPC holds nothing of ours: let it go. */
static void release(struct ward__gcall *c)
{
        if (c->pending > 0 || !c->closed) {
                return;
        }
        if (c->counted) {
                c->counted = 0;
                c->g->open--;
        }
        if (c->in_handler) {
                grpc_call_unref(c->call); /* orphaned: the handler's answer frees c */
                c->call = NULL;
                c->g = NULL;
                return;
        }
        call_free(c);
}

/* start: a batch of ops on the call, completing with tag t; lazy: its
 * completion may wait for the next event the loop must see
 * (WARD__GTAG_LAZY_BIT). */
static void start(struct ward__gcall *c, const grpc_op *ops, size_t n, struct ward__gtag *t,
                  int lazy)
{
        void *tag = (void *)((uintptr_t)t | (lazy ? WARD__GTAG_LAZY_BIT : 0));
        if (grpc_call_start_batch(c->call, ops, n, tag, NULL) == GRPC_CALL_OK) {
                c->pending++;
        } else {
                grpc_call_cancel(c->call, NULL);
                if (t == &c->t_close) {
                        c->closed = 1; /* nothing will say so */
                }
        }
}

/* close_op: op asks for the call's end (RECV_CLOSE_ON_SERVER). */
static void close_op(struct ward__gcall *c, grpc_op *op)
{
        memset(op, 0, sizeof(*op));
        op->op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        op->data.recv_close_on_server.cancelled = &c->cancelled;
        c->close_asked = 1;
}

/* ask_close: a batch that asks for the call's end alone. */
static void ask_close(struct ward__gcall *c)
{
        grpc_op op;
        close_op(c, &op);
        start(c, &op, 1, &c->t_close, 1);
}

/* traceparent_md: md is the bridge's traceparent; 1, or 0 (md untouched)
 * when the call is not traced. */
static size_t traceparent_md(struct ward__gcall *c, grpc_metadata *md)
{
        if (!c->traceparent[0]) {
                return 0;
        }
        md->key = grpc_slice_from_static_string("traceparent");
        md->value = grpc_slice_from_static_buffer(c->traceparent, WARD__TRACEPARENT_LEN);
        return 1;
}

/* initial_metadata: op sends the call's initial metadata: the bridge's
 * traceparent when the call is traced, else none. */
static void initial_metadata(struct ward__gcall *c, grpc_op *op)
{
        op->op = GRPC_OP_SEND_INITIAL_METADATA;
        c->md_sent = 1;
        op->data.send_initial_metadata.count = traceparent_md(c, &c->out_md);
        op->data.send_initial_metadata.metadata = &c->out_md;
}

/* trailing_metadata: op (SEND_STATUS_FROM_SERVER) sends the bridge's
 * traceparent among the trailers too, when the call is traced. */
static void trailing_metadata(struct ward__gcall *c, grpc_op *op)
{
        op->data.send_status_from_server.trailing_metadata_count =
            traceparent_md(c, &c->out_trailer);
        op->data.send_status_from_server.trailing_metadata = &c->out_trailer;
}

/* answer: the reply (err 0) or the status err maps to, with message (or
 * ward's name for err) as its text. */
static void answer(struct ward__gcall *c, int err, const uint8_t *reply, size_t len,
                   const char *message)
{
        grpc_op ops[4];
        size_t n = 0;
        struct ward__gtag *t = &c->t_send;
        if (c->answered || c->closed) {
                return;
        }
        c->answered = 1;
        grpc_slice text = grpc_slice_from_copied_buffer(
            message ? message : ward__grpc_message(err),
            message ? strnlen(message, WARD_RPC_MESSAGE_MAX) : strlen(ward__grpc_message(err)));
        memset(ops, 0, sizeof(ops));
        if (!c->md_sent) {
                initial_metadata(c, &ops[n++]);
        }
        if (err == 0 && !(c->stream && !reply)) { /* a stream's end has no message */
                grpc_slice s = reply ? grpc_slice_from_copied_buffer((const char *)reply, len)
                                     : grpc_empty_slice();
                c->reply = grpc_raw_byte_buffer_create(&s, 1);
                grpc_slice_unref(s);
                ops[n].op = GRPC_OP_SEND_MESSAGE;
                ops[n++].data.send_message.send_message = c->reply;
        }
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        trailing_metadata(c, &ops[n]);
        ops[n].data.send_status_from_server.status = ward__grpc_code(err);
        ops[n++].data.send_status_from_server.status_details = &text;
        if (!c->close_asked) { /* a registered call answered at once: one batch, as plain */
                close_op(c, &ops[n++]);
                t = &c->t_close;
        }
        start(c, ops, n, t, !c->stream); /* a stream's next request waits for it */
        grpc_slice_unref(text);
}

/* read_request: the request's bytes, in one slice (the caller unrefs it);
 * c->req is consumed. 0, or -1 when there is none. */
static int read_request(struct ward__gcall *c, grpc_slice *ret)
{
        grpc_byte_buffer_reader reader;
        if (!c->req || !grpc_byte_buffer_reader_init(&reader, c->req)) {
                return -1;
        }
        *ret = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        grpc_byte_buffer_destroy(c->req);
        c->req = NULL;
        return 0;
}

/* reflect_step: one request of a reflection stream answered, then the next
 * asked for (when SEND completes); the client's half-close ends the call. */
static void reflect_step(struct ward__gcall *c)
{
        const Ward__Reflect__Description *d[WARD__GRPC_MAX_DESCRIPTIONS];
        grpc_slice in;
        uint8_t *out;
        size_t len;
        grpc_op ops[2];
        size_t n = 0;
        c->stream = 1;
        if (read_request(c, &in) < 0) {
                answer(c, 0, NULL, 0, ""); /* the client is done */
                return;
        }
        size_t nd = c->g->describe(c->g->describe_ctx, d, WARD__GRPC_MAX_DESCRIPTIONS);
        int r =
            ward__grpc_reflect(d, nd, GRPC_SLICE_START_PTR(in), GRPC_SLICE_LENGTH(in), &out, &len);
        grpc_slice_unref(in);
        if (r < 0) {
                answer(c, r, NULL, 0, NULL);
                return;
        }
        grpc_slice s = grpc_slice_from_copied_buffer((const char *)out, len);
        free(out);
        if (c->reply) {
                grpc_byte_buffer_destroy(c->reply);
        }
        c->reply = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        memset(ops, 0, sizeof(ops));
        if (!c->md_sent) {
                ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
                c->md_sent = 1;
        }
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = c->reply;
        start(c, ops, n, &c->t_send, 0);
}

/* recv_next: ask for the stream's next request. */
static void recv_next(struct ward__gcall *c)
{
        grpc_op op;
        memset(&op, 0, sizeof(op));
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &c->req;
        start(c, &op, 1, &c->t_recv, 0);
}

/* on_reply: the hosted service answered (ward_rpc_bytes_fn). */
static void on_reply(void *arg, int err, const uint8_t *reply, size_t len, const char *message)
{
        struct ward__gcall *c = arg;
        struct ward_grpc_server *g = c->g;
        c->in_handler = 0;
        if (!g) {
                call_free(c); /* orphaned: the gRPC call is gone */
                return;
        }
        answer(c, err, reply, len, message);
        release(c);
        if (!g->in_batch) { /* a later answer: its reply went, take the events */
                ward__grpc_harvest(g);
        }
}

/* time_left: nanoseconds until deadline, UINT64_MAX for none, at least 1. */
static uint64_t time_left(gpr_timespec deadline)
{
        gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
        deadline = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC);
        if (gpr_time_cmp(deadline, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0) {
                return UINT64_MAX;
        }
        if (gpr_time_cmp(deadline, now) <= 0) {
                return 1;
        }
        gpr_timespec d = gpr_time_sub(deadline, now);
        if (d.tv_sec > (int64_t)(UINT64_MAX / 1000000000u) - 1) {
                return UINT64_MAX;
        }
        return (uint64_t)d.tv_sec * 1000000000u + (uint64_t)d.tv_nsec + 1;
}

/* dispatch_call: the request's bytes to the dispatch function. */
static int dispatch_call(struct ward__gcall *c, const char *svc, const char *method, grpc_slice all)
{
        gpr_timespec deadline = c->m ? c->deadline : c->details.deadline;
        return c->g->dispatch(c->g->ctx, svc, method, GRPC_SLICE_START_PTR(all),
                              GRPC_SLICE_LENGTH(all), time_left(deadline), on_reply, c);
}

/* first_md: the value of the call's first metadata key, or NULL. */
static const grpc_slice *first_md(const struct ward__gcall *c, const char *key)
{
        for (size_t i = 0; i < c->md.count; i++) {
                if (grpc_slice_str_cmp(c->md.metadata[i].key, key) == 0) {
                        return &c->md.metadata[i].value;
                }
        }
        return NULL;
}

/* caller_trace: the caller's trace context, from a well-formed traceparent
 * among the call's metadata (the first one only: a second is not looked at);
 * 0, or -1 when there is none or it is malformed. */
static int caller_trace(const struct ward__gcall *c, struct ward__traceparent *ret)
{
        const grpc_slice *v = first_md(c, "traceparent");
        if (!v) {
                return -1;
        }
        return ward__traceparent_parse((const char *)GRPC_SLICE_START_PTR(*v),
                                       GRPC_SLICE_LENGTH(*v), ret);
}

/* caller_state: the call's first tracestate, when it may be passed on in
 * span's trace (*ret borrows the metadata); 0, or -1 for none. */
static int caller_state(const struct ward__gcall *c, const struct ward_rpc_trace_ctx *span,
                        struct ward__tracestate *ret)
{
        const grpc_slice *v = first_md(c, "tracestate");
        if (!v || ward__tracestate_check((const char *)GRPC_SLICE_START_PTR(*v),
                                         GRPC_SLICE_LENGTH(*v)) < 0) {
                return -1;
        }
        *ret = (struct ward__tracestate){span->trace_hi, span->trace_lo,
                                         (const char *)GRPC_SLICE_START_PTR(*v),
                                         GRPC_SLICE_LENGTH(*v)};
        return 0;
}

/* dispatch_traced: dispatch_call inside the bridge's span, a child of the
 * caller's (its traceparent) or the root of a new trace; the span goes back
 * to the caller as the reply's traceparent. */
static __attribute__((noinline)) int dispatch_traced(struct ward__gcall *c, const char *svc,
                                                     const char *method, grpc_slice all)
{
        struct ward__traceparent tp;
        struct ward_rpc_trace_ctx parent = {0}, span, saved;
        struct ward__tracestate state;
        const struct ward__tracestate *saved_state;
        char name[WARD__GRPC_NAME_MAX + 8];
        int joined = caller_trace(c, &tp) == 0;
        if (joined) {
                parent = (struct ward_rpc_trace_ctx){tp.trace_hi, tp.trace_lo, tp.span};
        } else {
                tp.flags = 1; /* sampled: ward records it */
        }
        snprintf(name, sizeof(name), "grpc:%s", svc);
        ward_rpc_span_begin(name, method, &parent, &span, &saved);
        if (span.trace_hi || span.trace_lo) {
                tp = (struct ward__traceparent){span.trace_hi, span.trace_lo, span.span, tp.flags};
                ward__traceparent_format(&tp, c->traceparent);
        }
        /* W3C: a tracestate without a valid traceparent is dropped */
        int stated = joined && caller_state(c, &span, &state) == 0;
        ward__tracestate_enter(stated ? &state : NULL, &saved_state);
        int r = dispatch_call(c, svc, method, all);
        ward__tracestate_leave(saved_state);
        ward_rpc_span_end(name, method, &saved);
        return r;
}

/* dispatch: the request arrived: to the service its path names. */
static void dispatch(struct ward__gcall *c)
{
        char names[2][WARD__GRPC_NAME_MAX + 1];
        const char *svc = names[0], *method = names[1];
        const grpc_slice *path = &c->details.method;
        if (c->m) {
                svc = c->m->svc;
                method = c->m->method;
        } else if (ward__grpc_split_path((const char *)GRPC_SLICE_START_PTR(*path),
                                         GRPC_SLICE_LENGTH(*path), names[0], names[1]) < 0) {
                answer(c, -WARD_E_UNKNOWN_METHOD, NULL, 0, "not a /package.Service/Method path");
                return;
        }
        if (!c->m && c->g->describe &&
            (strcmp(svc, WARD__GRPC_REFLECTION_V1) == 0 ||
             strcmp(svc, WARD__GRPC_REFLECTION_V1ALPHA) == 0) &&
            strcmp(method, WARD__GRPC_REFLECTION_METHOD) == 0) {
                reflect_step(c);
                return;
        }
        grpc_slice all;
        if (read_request(c, &all) < 0) {
                answer(c, -WARD_E_BAD_MESSAGE, NULL, 0, "no request message");
                return;
        }
        c->in_handler = 1;
        int r = ward__rpc_tracing() ? dispatch_traced(c, svc, method, all)
                                    : dispatch_call(c, svc, method, all);
        grpc_slice_unref(all);
        if (r < 0) {
                c->in_handler = 0;
                answer(c, r, NULL, 0, NULL);
        }
}

/* arrived: gRPC filled the slot: ask for the next call, then for this one's
 * request and its end. */
static void arrived(struct ward__gcall *c, int ok)
{
        struct ward_grpc_server *g = c->g;
        if (c->m && c->m->waiting == c) {
                c->m->waiting = NULL;
        } else if (g->waiting == c) {
                g->waiting = NULL;
        }
        if (!ok) { /* the server is shutting down */
                call_free(c);
                return;
        }
        if (!c->m) {
                if (!g->shutting_down) {
                        ward__gcall_request(g, NULL); /* without memory: no more calls */
                }
                if (c->pending == 0) { /* gRPC refused both batches: nothing will complete */
                        c->closed = 1;
                        release(c);
                }
                return;
        }
        c->counted = 1;
        g->open++;
        dispatch(c); /* the request came with the call */
        if (!c->close_asked) {
                ask_close(c); /* the handler answers later: a cancel must reach us */
        }
        if (!g->shutting_down) { /* the next slot once the reply went: off its way */
                ward__gcall_request(g, c->m);
        }
        release(c);
}

void ward__gcall_arrived_cq(struct ward_grpc_server *g, void *tag)
{
        struct ward__gtag *t = (struct ward__gtag *)((uintptr_t)tag & ~(uintptr_t)WARD__GTAG_BITS);
        struct ward__gcall *c =
            (struct ward__gcall *)((char *)t - offsetof(struct ward__gcall, t_new));
        grpc_op op;
        (void)atomic_load_explicit(&g->handoff, memory_order_acquire);
        if (c->m) { /* its request came with it; the loop asks for its end */
                return;
        }
        memset(&op, 0, sizeof(op));
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &c->req;
        start(c, &op, 1, &c->t_recv, 0);
        ask_close(c);
}

void ward__gcall_event(struct ward__gtag *t)
{
        struct ward__gcall *c = t->call;
        c->pending--;
        switch (t->kind) {
        case WARD__GTAG_NEW:
                arrived(c, t->ok);
                return;
        case WARD__GTAG_RECV:
                if (!c->closed && c->g) {
                        dispatch(c);
                }
                break;
        case WARD__GTAG_SEND:
                if (c->stream && !c->answered && !c->closed && c->g) {
                        recv_next(c); /* the response went: the next request */
                }
                break;
        case WARD__GTAG_CLOSE:
                c->closed = 1;
                break;
        case WARD__GTAG_SHUTDOWN:
                return; /* the server's, not a call's */
        }
        release(c);
}
