/* The RPC client: a ProtobufCService whose invoke sends over a ward connection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/list.h"
#include "core/options.h"
#include "ipc/reconnect.h"
#include "rpc/remote.h"
#include "rpc/rpc-internal.h"
#include "rpc/rpc-trace.h"
#include "rpc/wire.h"
#include "ward.pb-c.h"
#include <ward/loop.h>

#define DEFAULT_TIMEOUT_NS 30000000000ull

struct ward_rpc_client {
        ProtobufCService base; /* first: invoke receives &base */
        ward_ipc_conn *conn;
        const ProtobufCServiceDescriptor *desc;
        uint64_t hash;
        uint32_t service_id;
        uint32_t caps;         /* what the server takes (WARD__RPC_CAP_*: trace contexts) */
        int resolved;          /* 1 ok, the error when the server refused for good */
        uint64_t resolved_gen; /* the connection's generation it was resolved on */
        uint8_t *idempotent;   /* per method: a call may be sent again (or NULL: none) */
        int all_idempotent;    /* every method is */
        uint64_t timeout_ns;
        int last_error;            /* of the last call that finished (ward_rpc_client_last_error) */
        struct ward__list pending; /* asynchronous calls in flight (struct pending) */
        ward_rpc_server *local;    /* short-circuit: the server lives in this thread */
        int owns_conn;
        struct ward__arena_pool arenas;
        struct local_call *spare; /* short-circuit: reused call record (saves a malloc) */
        int spare_busy;
        int depth; /* our code on the stack (a closure may free us meanwhile) */
        int dead;  /* freed while depth > 0: the last leave() frees */
        const struct ward__rpc_remote_ops *remote; /* a grpc: address (remote.h), else NULL */
        void *remote_ctx;
        char *remote_msg;       /* the last call's status message (WARD_RPC_MESSAGE_MAX): a
                                 * grpc: client's, made with it; else a handler's text,
                                 * made at the first (note_message) */
        ward_loop *remote_loop; /* ward_rpc_client_attach's: stub calls are asynchronous */
        int remote_reconnect;   /* options.reconnect: idempotent calls are sent again */
};

/* A short-circuit call: where its answer goes. */
struct local_call {
        ward_rpc_client *client;
        ProtobufCClosure closure; /* the stub caller's, or NULL for ward_rpc_call */
        void *closure_data;
        ProtobufCMessage *output; /* ward_rpc_call: a malloc'ed copy of the answer */
        int done, err, abandoned;
        int orphan; /* the client was freed before the answer came: touch it not */
};

/* take_local / give_local: a short-circuit call record, the client's spare
 * one when it is free (most calls: they complete before the next starts). */
static struct local_call *take_local(ward_rpc_client *c)
{
        struct local_call *lc;
        if (c->spare && !c->spare_busy) {
                lc = c->spare;
                c->spare_busy = 1;
        } else {
                lc = malloc(sizeof(*lc));
                if (lc && !c->spare) {
                        c->spare = lc;
                        c->spare_busy = 1;
                }
        }
        if (lc) {
                *lc = (struct local_call){.client = c};
        }
        return lc;
}

static void give_local(ward_rpc_client *c, struct local_call *lc)
{
        if (lc && lc == c->spare) {
                c->spare_busy = 0;
        } else {
                free(lc);
        }
}

/* An asynchronous call in flight. */
struct pending {
        ward_rpc_client *client;
        unsigned method;
        ProtobufCClosure closure;
        void *closure_data;
        struct ward__list link; /* in client->pending; self-linked once off it */
};

static void really_free(ward_rpc_client *c);

static void enter(ward_rpc_client *c)
{
        c->depth++;
}

/* leave: 1 when this was the last frame and the client was freed meanwhile. */
static int leave(ward_rpc_client *c)
{
        if (--c->depth == 0 && c->dead) {
                really_free(c);
                return 1;
        }
        return 0;
}

/* resolve: learn the service's id at the server, once. Returns 0 or the error (see ward_rpc_call).
 */
static int resolve(ward_rpc_client *c)
{
        if (c->resolved && c->resolved_gen != ward__ipc_generation(c->conn)) {
                c->resolved = 0; /* another server since: its ids may differ */
        }
        if (c->resolved) {
                return c->resolved > 0 ? 0 : c->resolved;
        }
        int err = ward__rpc_resolve_caps(c->conn, c->desc->name, c->hash, c->timeout_ns,
                                         WARD__RPC_CAP_TRACE, &c->service_id, &c->caps);
        c->resolved_gen = ward__ipc_generation(c->conn);
        if (err == 0) {
                c->resolved = 1;
        } else if (err == -WARD_E_UNKNOWN_SERVICE || err == -WARD_E_SCHEMA_MISMATCH) {
                c->resolved = err; /* final: the server will not change its mind */
        }
        return err;
}

static struct ward__rpc_hdr call_hdr(ward_rpc_client *c, unsigned method)
{
        return (struct ward__rpc_hdr){.magic = WARD__RPC_MAGIC,
                                      .kind = WARD__RPC_CALL,
                                      .service = c->service_id,
                                      .method = method};
}

/* note_message: the text a handler failed the last call with (ward_rpc_fail;
 * text[0..len), another process's bytes, at most WARD_RPC_MESSAGE_MAX - 1 of
 * them kept), or none (text NULL): what ward_rpc_client_last_message says.
 * Its buffer is made at the first text; without memory the text is lost. */
static void note_message(ward_rpc_client *c, const void *text, size_t len)
{
        if (!text || !len) {
                if (c->remote_msg) {
                        c->remote_msg[0] = '\0';
                }
                return;
        }
        if (!c->remote_msg && !(c->remote_msg = calloc(1, WARD_RPC_MESSAGE_MAX))) {
                return;
        }
        len = len < WARD_RPC_MESSAGE_MAX - 1 ? len : WARD_RPC_MESSAGE_MAX - 1;
        memcpy(c->remote_msg, text, len);
        c->remote_msg[len] = '\0';
}

/* note_reply_message: a reply's body as the handler's text when the call
 * failed in the handler (the body of other replies is no text) */
static void note_reply_message(ward_rpc_client *c, int err, const ward_ipc_msg *reply)
{
        if (err == -WARD_E_HANDLER_ERROR && reply) {
                note_message(c, ward_ipc_msg_data(reply), ward_ipc_msg_len(reply));
        } else {
                note_message(c, NULL, 0);
        }
}

/* call_sync_hdr: send hdr and input, wait, decode into *ret_output,
 * allocated in out_arena (or with malloc when NULL). Returns 0 or the error
 * (see ward_rpc_call). */
static int call_sync_hdr(ward_rpc_client *c, const struct ward__rpc_hdr *h, unsigned method,
                         const ProtobufCMessage *input, uint64_t timeout_ns,
                         ProtobufCMessage **ret_output, struct ward__arena *out_arena)
{
        const ProtobufCMethodDescriptor *m = &c->desc->methods[method];
        const ward_ipc_msg *reply;
        if (ward__rpc_is_oneway(m)) {
                return ward__rpc_send(c->conn, h, input, timeout_ns, NULL, NULL, NULL);
        }
        int e = ward__rpc_send(c->conn, h, input, timeout_ns, &reply, NULL, NULL);
        if (e < 0) {
                return e;
        }
        int err = ward__rpc_peer_error(ward_ipc_msg_status(reply));
        note_reply_message(c, err, reply);
        struct ward__arena *scratch = ward__arena_take(&c->arenas);
        if (err == 0 && scratch) {
                *ret_output = ward__rpc_unpack(m->output, reply, 0, scratch, out_arena);
                err = *ret_output ? 0 : -WARD_E_BAD_MESSAGE;
        } else if (err == 0) {
                err = -ENOMEM;
        }
        ward__arena_give(&c->arenas, scratch);
        ward_ipc_msg_release(c->conn, reply);
        return err;
}

/* span_begin: the call's span starts; req carries its context when the
 * server takes it and the request still fits with it (one that
 * ward_rpc_max_request allows only without it goes without: its handler
 * starts a trace). input is NULL for a short-circuit call. */
static void span_begin(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                       struct ward__rpc_req *req, struct ward__rpc_tcur *saved)
{
        ward__rpc_call_begin(c->desc->name, c->desc->methods[method].name, &req->trace, saved);
        if (input && (c->caps & WARD__RPC_CAP_TRACE) &&
            sizeof(*req) + protobuf_c_message_get_packed_size(input) <=
                ward_ipc_conn_get_max_len(c->conn)) {
                req->hdr.kind = WARD__RPC_CALL_TRACED;
        }
}

static void span_end(ward_rpc_client *c, unsigned method, const struct ward__rpc_tcur *saved)
{
        ward__rpc_call_end(c->desc->name, c->desc->methods[method].name, saved);
}

static __attribute__((noinline)) int
call_sync_traced(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                 uint64_t timeout_ns, ProtobufCMessage **ret_output, struct ward__arena *out_arena)
{
        struct ward__rpc_req req = {.hdr = call_hdr(c, method)};
        struct ward__rpc_tcur saved;
        span_begin(c, method, input, &req, &saved);
        int err = call_sync_hdr(c, &req.hdr, method, input, timeout_ns, ret_output, out_arena);
        span_end(c, method, &saved);
        return err;
}

/* call_sync: call_sync_hdr with this call's header; with tracing on, inside
 * the call's span (the one branch tracing costs when off). */
static int call_sync(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                     uint64_t timeout_ns, ProtobufCMessage **ret_output,
                     struct ward__arena *out_arena)
{
        if (ward__rpc_tracing()) {
                return call_sync_traced(c, method, input, timeout_ns, ret_output, out_arena);
        }
        struct ward__rpc_hdr h = call_hdr(c, method);
        return call_sync_hdr(c, &h, method, input, timeout_ns, ret_output, out_arena);
}

static uint64_t deadline_after(uint64_t timeout_ns)
{
        uint64_t now = ward_now_ns();
        return timeout_ns >= UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

static int may_resend(const ward_rpc_client *c, unsigned method)
{
        return c->all_idempotent || (c->idempotent && c->idempotent[method]);
}

/* call_remote: resolve and call_sync, by deadline. On a connection made with
 * options.reconnect, a server gone first is replaced (ward__ipc_revive), and
 * a call of an idempotent method that lost its server is made again there. */
static int call_remote(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                       uint64_t timeout_ns, ProtobufCMessage **ret_output,
                       struct ward__arena *out_arena)
{
        uint64_t deadline = deadline_after(timeout_ns);
        for (;;) {
                int err = ward__ipc_revive(c->conn, deadline);
                if (err < 0) {
                        return err; /* gone for good, or no server came back in time */
                }
                err = resolve(c);
                uint64_t now = ward_now_ns();
                if (err == 0) {
                        err = now < deadline ? call_sync(c, method, input, deadline - now,
                                                         ret_output, out_arena)
                                             : -ETIMEDOUT;
                }
                if (err != -ECONNRESET || !may_resend(c, method) || ward_now_ns() >= deadline) {
                        return err;
                }
        }
}
static int call_local(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                      uint64_t timeout_ns, ProtobufCMessage **ret_output);

/* remote_call_traced: remote_call inside the call's span, which the
 * request carries to the server (traceparent). */
static __attribute__((noinline)) int remote_call_traced(ward_rpc_client *c, unsigned method,
                                                        const ProtobufCMessage *input,
                                                        uint64_t timeout_ns,
                                                        ProtobufCMessage **ret_output)
{
        struct ward__rpc_trace trace;
        struct ward__rpc_tcur saved;
        ward__rpc_call_begin(c->desc->name, c->desc->methods[method].name, &trace, &saved);
        int err = c->remote->call_traced(c->remote_ctx, method, input, timeout_ns, &trace,
                                         ret_output, c->remote_msg, WARD_RPC_MESSAGE_MAX);
        ward__rpc_call_end(c->desc->name, c->desc->methods[method].name, &saved);
        return err;
}

/* remote_call: one synchronous call through the gRPC transport, its status
 * message into c->remote_msg; with tracing on, inside the call's span (the
 * one branch tracing costs when off). */
static int remote_call(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                       uint64_t timeout_ns, ProtobufCMessage **ret_output)
{
        c->remote_msg[0] = '\0';
        if (ward__rpc_tracing()) {
                return remote_call_traced(c, method, input, timeout_ns, ret_output);
        }
        return c->remote->call(c->remote_ctx, method, input, timeout_ns, ret_output, c->remote_msg,
                               WARD_RPC_MESSAGE_MAX);
}

/* remote_call_again: remote_call; on a client opened with options.reconnect,
 * an idempotent method's call that found no server (UNAVAILABLE) is sent once
 * more when the channel has connected again, within its timeout: the caller
 * sees the answer or -ETIMEDOUT. */
static int remote_call_again(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                             uint64_t timeout_ns, ProtobufCMessage **ret_output)
{
        if (!c->remote_reconnect || !may_resend(c, method)) {
                return remote_call(c, method, input, timeout_ns, ret_output);
        }
        uint64_t deadline = deadline_after(timeout_ns);
        int err = remote_call(c, method, input, timeout_ns, ret_output);
        if (err != -ECONNRESET) {
                return err;
        }
        uint64_t now = ward_now_ns();
        err = now < deadline ? c->remote->wait_ready(c->remote_ctx, deadline - now) : -ETIMEDOUT;
        now = ward_now_ns();
        if (err == 0) {
                err = now < deadline ? remote_call(c, method, input, deadline - now, ret_output)
                                     : -ETIMEDOUT;
        }
        return err;
}

/* call_grpc: a call through the gRPC transport (a grpc: address): always
 * synchronous. A one-way method's empty reply is dropped, as ward_rpc_call
 * promises. */
static int call_grpc(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                     uint64_t timeout_ns, ProtobufCMessage **ret_output)
{
        int err = remote_call_again(c, method, input, timeout_ns, ret_output);
        if (err == 0 && ward__rpc_is_oneway(&c->desc->methods[method])) {
                protobuf_c_message_free_unpacked(*ret_output, NULL);
                *ret_output = NULL;
        }
        return err;
}

/* on_grpc_reply: an asynchronous gRPC call came back (on the loop). */
static void on_grpc_reply(void *arg, int err, const ProtobufCMessage *out, const char *msg)
{
        struct pending *p = arg;
        ward_rpc_client *c = p->client;
        ward__list_unlink(&p->link);
        c->last_error = err;
        snprintf(c->remote_msg, WARD_RPC_MESSAGE_MAX, "%s", msg);
        enter(c);
        p->closure(out, p->closure_data);
        free(p);
        leave(c);
}

/* remote_call_async_traced: remote_call_async inside the call's span,
 * which covers starting the call (the answer comes later, outside any span
 * of this thread, as for a ward client's asynchronous call). */
static __attribute__((noinline)) int remote_call_async_traced(ward_rpc_client *c, unsigned method,
                                                              const ProtobufCMessage *input,
                                                              struct pending *p)
{
        struct ward__rpc_trace trace;
        struct ward__rpc_tcur saved;
        ward__rpc_call_begin(c->desc->name, c->desc->methods[method].name, &trace, &saved);
        int err = c->remote->call_async_traced(c->remote_ctx, method, input, c->timeout_ns, &trace,
                                               on_grpc_reply, p);
        ward__rpc_call_end(c->desc->name, c->desc->methods[method].name, &saved);
        return err;
}

/* remote_call_async: start an asynchronous call through the gRPC transport,
 * answered to on_grpc_reply(p); traced when tracing is on. */
static int remote_call_async(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                             struct pending *p)
{
        if (ward__rpc_tracing()) {
                return remote_call_async_traced(c, method, input, p);
        }
        return c->remote->call_async(c->remote_ctx, method, input, c->timeout_ns, on_grpc_reply, p);
}

/* invoke_grpc_async: a stub's call through the gRPC transport of a client
 * attached to a loop: the closure runs there later. */
static void invoke_grpc_async(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                              ProtobufCClosure closure, void *closure_data)
{
        struct pending *p = calloc(1, sizeof(*p));
        int err = p ? 0 : -ENOMEM;
        if (p) {
                *p = (struct pending){.client = c,
                                      .method = method,
                                      .closure = closure,
                                      .closure_data = closure_data};
                err = remote_call_async(c, method, input, p);
        }
        if (err < 0) {
                free(p);
                c->last_error = err;
                closure(NULL, closure_data);
                return;
        }
        ward__list_prepend(&c->pending, &p->link);
}

/* invoke_grpc: a stub's call through the gRPC transport; without a loop the
 * closure runs before it returns, and the reply is freed after. */
static void invoke_grpc(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                        ProtobufCClosure closure, void *closure_data)
{
        ProtobufCMessage *out = NULL;
        if (c->remote_loop && !ward__rpc_is_oneway(&c->desc->methods[method])) {
                invoke_grpc_async(c, method, input, closure, closure_data);
                return;
        }
        int err = remote_call_again(c, method, input, c->timeout_ns, &out);
        c->last_error = err;
        closure(out, closure_data);
        protobuf_c_message_free_unpacked(out, NULL);
}

int ward_rpc_call(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                  uint64_t timeout_ns, ProtobufCMessage **ret_output)
{
        if (!c || !input || !ret_output || method >= c->desc->n_methods ||
            input->descriptor != c->desc->methods[method].input) {
                return -EINVAL;
        }
        *ret_output = NULL;
        if (c->dead) {
                return -EINVAL;
        }
        int err;
        enter(c); /* replies dispatched while we wait may run closures that free c */
        if (!c->remote) {
                note_message(c, NULL, 0);
        }
        if (c->remote) {
                err = call_grpc(c, method, input, timeout_ns, ret_output);
        } else if (c->local) {
                err = call_local(c, method, input, timeout_ns, ret_output);
        } else {
                err = call_remote(c, method, input, timeout_ns, ret_output, NULL);
        }
        c->last_error = err;
        leave(c);
        return err;
}

/* on_async_reply: decode an asynchronous reply and hand it to the closure. */
static void on_async_reply(ward_ipc_conn *conn, int ipc_err, const ward_ipc_msg *reply, void *arg)
{
        struct pending *p = arg;
        ward_rpc_client *c = p->client;
        ProtobufCMessage *out = NULL;
        (void)conn;
        if (!c) {
                free(p); /* the client was freed while this call flew */
                return;
        }
        const ProtobufCMethodDescriptor *m = &c->desc->methods[p->method];
        int err = ipc_err < 0 ? ipc_err : ward__rpc_peer_error(ward_ipc_msg_status(reply));
        note_reply_message(c, err, ipc_err < 0 ? NULL : reply);
        struct ward__arena *arena = ward__arena_take(&c->arenas);
        if (err == 0) {
                out = arena ? ward__rpc_unpack(m->output, reply, 0, arena, arena) : NULL;
                err = out ? 0 : arena ? -WARD_E_BAD_MESSAGE : -ENOMEM;
        }
        ward__list_unlink(&p->link);
        c->last_error = err;
        enter(c);
        p->closure(out, p->closure_data);
        ward__arena_give(&c->arenas, arena);
        free(p);
        leave(c);
}

static void invoke_async_hdr(ward_rpc_client *c, const struct ward__rpc_hdr *h, unsigned method,
                             const ProtobufCMessage *input, ProtobufCClosure closure,
                             void *closure_data)
{
        struct pending *p = calloc(1, sizeof(*p));
        if (!p) {
                c->last_error = -ENOMEM;
                closure(NULL, closure_data);
                return;
        }
        /* linked before sending: a send that waits for space dispatches earlier
         * replies, whose callbacks unlink their own entries meanwhile */
        *p = (struct pending){
            .client = c, .method = method, .closure = closure, .closure_data = closure_data};
        ward__list_prepend(&c->pending, &p->link);
        int e = ward__rpc_send(c->conn, h, input, c->timeout_ns, NULL, on_async_reply, p);
        if (e < 0) {
                int live = p->client != NULL; /* else the client's free failed it already */
                ward__list_unlink(&p->link);  /* a no-op if the free took it off */
                free(p);
                if (live) {
                        c->last_error = e;
                        closure(NULL, closure_data);
                }
        }
}

/* invoke_async: an asynchronous call; with tracing on, its span covers
 * sending it (the reply comes later, outside any span of this thread). */
static void invoke_async(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                         ProtobufCClosure closure, void *closure_data)
{
        if (ward__rpc_tracing()) {
                struct ward__rpc_req req = {.hdr = call_hdr(c, method)};
                struct ward__rpc_tcur saved;
                span_begin(c, method, input, &req, &saved);
                invoke_async_hdr(c, &req.hdr, method, input, closure, closure_data);
                span_end(c, method, &saved);
                return;
        }
        struct ward__rpc_hdr h = call_hdr(c, method);
        invoke_async_hdr(c, &h, method, input, closure, closure_data);
}

static void on_local_answer(const ProtobufCMessage *out, void *arg)
{
        struct local_call *lc = arg;
        if (lc->abandoned) {
                if (out && !lc->closure) {
                        protobuf_c_message_free_unpacked((ProtobufCMessage *)out, NULL);
                }
                free(lc); /* ward_rpc_call gave up waiting */
                return;
        }
        lc->done = 1;
        lc->err = out ? 0 : -WARD_E_HANDLER_ERROR;
        if (lc->orphan) {
                lc->closure(out, lc->closure_data);
                free(lc);
                return;
        }
        lc->client->last_error = lc->err;
        const char *text = out ? NULL : ward__rpc_server_local_message(lc->client->local);
        note_message(lc->client, text, text ? strnlen(text, WARD_RPC_MESSAGE_MAX) : 0);
        if (lc->closure) {
                ward_rpc_client *c = lc->client;
                enter(c); /* the closure may free the client */
                lc->closure(out, lc->closure_data);
                give_local(c, lc);
                leave(c);
                return;
        }
        /* ward_rpc_call asked for a malloc'ed reply (give_output): it is ours now */
        lc->output = (ProtobufCMessage *)out;
}

static void ignore_answer(const ProtobufCMessage *out, void *arg)
{
        (void)out, (void)arg;
}

/* invoke_server: hand a short-circuit call to the server; with tracing on,
 * inside the call's span, which the handler's continues. */
static int invoke_server(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                         ProtobufCClosure closure, void *closure_data, int give_output)
{
        if (ward__rpc_tracing()) {
                struct ward__rpc_req req;
                struct ward__rpc_tcur saved;
                span_begin(c, method, NULL, &req, &saved);
                int err = ward__rpc_server_invoke_local(c->local, c->desc, c->hash, method, input,
                                                        closure, closure_data, give_output);
                span_end(c, method, &saved);
                return err;
        }
        return ward__rpc_server_invoke_local(c->local, c->desc, c->hash, method, input, closure,
                                             closure_data, give_output);
}

/* invoke_local: a stub call short-circuited into this thread's server. */
static void invoke_local(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                         ProtobufCClosure closure, void *closure_data)
{
        static const Ward__NoReply no_reply = WARD__NO_REPLY__INIT;
        int oneway = ward__rpc_is_oneway(&c->desc->methods[method]);
        struct local_call *lc = oneway ? NULL : take_local(c);
        int err = oneway || lc ? 0 : -ENOMEM;
        if (lc) {
                lc->closure = closure;
                lc->closure_data = closure_data;
        }
        if (err == 0) {
                err = invoke_server(c, method, input, oneway ? ignore_answer : on_local_answer,
                                    oneway ? NULL : lc, 0);
        }
        if (err != 0 || oneway) {
                give_local(c, lc);
                c->last_error = err;
                closure(err == 0 ? &no_reply.base : NULL, closure_data);
        }
}

/* call_local: ward_rpc_call short-circuited; drives the server's loop while a
 * handler answers later. */
static int call_local(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                      uint64_t timeout_ns, ProtobufCMessage **ret_output)
{
        struct local_call *lc = calloc(1, sizeof(*lc));
        if (!lc) {
                return -ENOMEM;
        }
        lc->client = c;
        int oneway = ward__rpc_is_oneway(&c->desc->methods[method]);
        int err = invoke_server(c, method, input, oneway ? ignore_answer : on_local_answer,
                                oneway ? NULL : lc, !oneway);
        if (err != 0 || oneway) {
                free(lc);
                return err;
        }
        if (!lc->done) { /* the handler answers later: run its loop meanwhile */
                uint64_t deadline = ward_now_ns() + timeout_ns;
                ward_loop *loop = ward__rpc_server_loop(c->local);
                while (!lc->done && ward_now_ns() < deadline &&
                       ward_loop_run_once(loop, deadline - ward_now_ns()) >= 0) {
                }
        }
        if (!lc->done) {
                lc->abandoned = 1; /* a later answer frees it */
                return -ETIMEDOUT;
        }
        err = lc->err;
        *ret_output = lc->output;
        free(lc);
        return err;
}

/* invoke: what generated stubs call. Synchronous without a loop, asynchronous
 * (closure on the loop) with one; one-way methods never wait. */
static void invoke_body(ward_rpc_client *c, unsigned method, const ProtobufCMessage *input,
                        ProtobufCClosure closure, void *closure_data)
{
        static const Ward__NoReply no_reply = WARD__NO_REPLY__INIT;
        ProtobufCMessage *out = NULL;
        if (c->remote && method < c->desc->n_methods) {
                invoke_grpc(c, method, input, closure, closure_data);
                return;
        }
        note_message(c, NULL, 0);
        if (c->local && method < c->desc->n_methods) {
                invoke_local(c, method, input, closure, closure_data);
                return;
        }
        if (method >= c->desc->n_methods) {
                c->last_error = -WARD_E_UNKNOWN_METHOD;
                closure(NULL, closure_data);
                return;
        }
        int err = 0;
        if (ward__rpc_is_oneway(&c->desc->methods[method])) {
                err = call_remote(c, method, input, c->timeout_ns, &out, NULL);
                c->last_error = err;
                closure(err == 0 ? &no_reply.base : NULL, closure_data);
                return;
        }
        if (ward_ipc_conn_get_loop(c->conn)) {
                err = ward__ipc_revive(c->conn, deadline_after(c->timeout_ns));
                if (err == 0) {
                        err = resolve(c);
                }
                if (err == 0) {
                        invoke_async(c, method, input, closure, closure_data);
                        return;
                }
                c->last_error = err;
                closure(NULL, closure_data);
                return;
        }
        struct ward__arena *arena = ward__arena_take(&c->arenas);
        err = arena ? call_remote(c, method, input, c->timeout_ns, &out, arena) : -ENOMEM;
        c->last_error = err;
        closure(out, closure_data);
        ward__arena_give(&c->arenas, arena);
}

/* invoke: what generated stubs call. A closure may free the client: enter and
 * leave keep it alive until this frame is done. */
static void invoke(ProtobufCService *service, unsigned method, const ProtobufCMessage *input,
                   ProtobufCClosure closure, void *closure_data)
{
        ward_rpc_client *c = (ward_rpc_client *)service;
        if (c->dead) {
                c->last_error = -EINVAL;
                closure(NULL, closure_data);
                return;
        }
        enter(c);
        invoke_body(c, method, input, closure, closure_data);
        leave(c);
}

static void destroy(ProtobufCService *service)
{
        ward_rpc_client_free((ward_rpc_client *)service);
}

static int client_new(ward_ipc_conn *conn, const ProtobufCServiceDescriptor *desc,
                      ward_rpc_client **ret);

int ward_rpc_client_new(ward_ipc_conn *conn, const ProtobufCServiceDescriptor *desc,
                        ward_rpc_client **ret)
{
        if (!conn) {
                return -EINVAL;
        }
        return client_new(conn, desc, ret);
}

/* open_grpc: a client whose calls go to a gRPC server (address
 * "grpc:HOST:PORT", or over TLS "grpcs:HOST:PORT"). */
static int open_grpc(const char *target, const ProtobufCServiceDescriptor *desc, int tls,
                     const struct ward_ipc_options *opts, ward_rpc_client **ret)
{
        const struct ward__rpc_remote_ops *ops;
        struct ward_ipc_options o;
        ward_rpc_client *c = NULL;
        ward_ipc_options_init(&o);
        if (opts && (ward__options_copy(&o, sizeof(o), opts) < 0 || o.reconnect > 1)) {
                return -EINVAL;
        }
        int r = ward__rpc_remote_load(&ops);
        if (r == 0) {
                r = client_new(NULL, desc, &c);
        }
        if (r == 0) {
                c->remote_msg = calloc(1, WARD_RPC_MESSAGE_MAX);
                r = !c->remote_msg ? -ENOMEM
                    : tls          ? ops->open_tls(target, desc, &c->remote_ctx)
                                   : ops->open(target, desc, &c->remote_ctx);
        }
        if (r < 0) {
                if (c) {
                        free(c->remote_msg);
                        free(c);
                }
                return r;
        }
        c->remote = ops;
        c->remote_reconnect = (int)o.reconnect;
        *ret = c;
        return 0;
}

int ward_rpc_client_open(const char *address, const ProtobufCServiceDescriptor *desc,
                         const struct ward_ipc_options *opts, ward_rpc_client **ret)
{
        ward_ipc_conn *conn = NULL;
        if (!address) {
                return -EINVAL;
        }
        size_t prefix = strlen(WARD__RPC_GRPC_PREFIX), tls_prefix = strlen(WARD__RPC_GRPCS_PREFIX);
        if (strncmp(address, WARD__RPC_GRPC_PREFIX, prefix) == 0) {
                return open_grpc(address + prefix, desc, 0, opts, ret);
        }
        if (strncmp(address, WARD__RPC_GRPCS_PREFIX, tls_prefix) == 0) {
                return open_grpc(address + tls_prefix, desc, 1, opts, ret);
        }
        ward_rpc_server *local = ward__rpc_local_find(address);
        int r = local ? 0 : ward_ipc_connect(address, opts, &conn);
        if (r >= 0) {
                r = client_new(conn, desc, ret);
        }
        if (r < 0) {
                ward_ipc_conn_close(conn);
                return r;
        }
        (*ret)->local = local;
        (*ret)->owns_conn = 1;
        return 0;
}

static int client_new(ward_ipc_conn *conn, const ProtobufCServiceDescriptor *desc,
                      ward_rpc_client **ret)
{
        if (!desc || !ret || desc->magic != PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC) {
                return -EINVAL;
        }
        ward_rpc_client *c = calloc(1, sizeof(*c));
        if (!c) {
                return -ENOMEM;
        }
        c->base = (ProtobufCService){.descriptor = desc, .invoke = invoke, .destroy = destroy};
        c->conn = conn;
        /* calls carry the service id resolve() learned of this server: only
         * call_remote may reconnect, and resolves again when it did */
        ward__ipc_revive_explicitly(conn);
        c->desc = desc;
        c->hash = ward_rpc_service_hash(desc);
        c->timeout_ns = DEFAULT_TIMEOUT_NS;
        ward__list_init(&c->pending);
        *ret = c;
        return 0;
}

/* really_free: the client's memory, once no frame of ours is on the stack. */
static void really_free(ward_rpc_client *c)
{
        free(c->idempotent);
        free(c->remote_msg);
        if (c->owns_conn) {
                ward_ipc_conn_close(c->conn);
        }
        ward__arena_pool_free(&c->arenas);
        if (c->spare && c->spare_busy) {
                c->spare->orphan = 1; /* its answer frees it */
        } else {
                free(c->spare);
        }
        free(c);
}

ward_rpc_client *ward_rpc_client_free(ward_rpc_client *c)
{
        if (!c || c->dead) {
                return NULL;
        }
        c->dead = 1;
        enter(c);
        if (c->remote) { /* its calls in flight are cancelled, never answered */
                c->remote->close(c->remote_ctx);
        }
        /* calls in flight: fail them now; their IPC callbacks, if they still
         * come, find p->client NULL and only free the record */
        while (!ward__list_empty(&c->pending)) {
                struct pending *p = ward__list_entry(c->pending.next, struct pending, link);
                ward__list_unlink(&p->link);
                p->client = NULL;
                p->closure(NULL, p->closure_data);
                p->closure = NULL;
                if (c->remote) {
                        free(p); /* the transport no longer knows it */
                }
        }
        leave(c); /* frees now, or when the outermost frame of ours returns */
        return NULL;
}

ProtobufCService *ward_rpc_client_service(ward_rpc_client *c)
{
        return c ? &c->base : NULL;
}

void ward_rpc_client_set_timeout(ward_rpc_client *c, uint64_t timeout_ns)
{
        if (c) {
                c->timeout_ns = timeout_ns;
        }
}

int ward_rpc_client_last_error(ward_rpc_client *c)
{
        return c ? c->last_error : -EINVAL;
}

int ward_rpc_client_attach(ward_rpc_client *c, ward_loop *loop)
{
        if (!c || !loop || c->dead) {
                return -EINVAL;
        }
        if (!c->remote) {
                return c->conn ? ward_ipc_conn_attach(c->conn, loop) : -EINVAL;
        }
        int err = c->remote->attach(c->remote_ctx, loop);
        if (err == 0) {
                c->remote_loop = loop;
        }
        return err;
}

const char *ward_rpc_client_last_message(ward_rpc_client *c)
{
        return c && c->remote_msg ? c->remote_msg : "";
}

int ward_rpc_client_set_idempotent(ward_rpc_client *c, unsigned method, int idempotent)
{
        if (!c || c->dead || (method != WARD_RPC_ALL_METHODS && method >= c->desc->n_methods)) {
                return -EINVAL;
        }
        if (method == WARD_RPC_ALL_METHODS) {
                c->all_idempotent = idempotent != 0;
                if (!idempotent && c->idempotent) {
                        memset(c->idempotent, 0, c->desc->n_methods);
                }
                return 0;
        }
        if (!c->idempotent) {
                c->idempotent = calloc(c->desc->n_methods, 1);
                if (!c->idempotent) {
                        return -ENOMEM;
                }
        }
        c->idempotent[method] = idempotent != 0;
        return 0;
}
