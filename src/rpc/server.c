/* The RPC server: services hosted on one IPC server, requests decoded into a
 * per-call arena and dispatched through each service's invoke. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/list.h"
#include "reflect.pb-c.h"
#include "rpc/rpc-internal.h"
#include "rpc/rpc-trace.h"
#include "rpc/wire.h"

#define CALL_MAGIC 0x4c4c4143u /* "CALL": marks a live struct call */

struct ward_rpc_server {
        ward_ipc_server *ipc;
        ward_loop *loop;
        struct ward__hosted *svcs;
        unsigned n, cap;
        struct ward__list calls; /* struct call.link: handlers that have not answered yet */
        struct ward__arena_pool arenas;
        struct ward_ipc_peer self; /* the caller of a short-circuit call: us, as at start */
        struct call *spare;        /* one freed call kept: most servers have one at a time */
        int depth;                 /* handlers of ours on the stack */
        int dead;                  /* freed while depth > 0: the last leave() frees */
        const char *local_message; /* ward_rpc_fail's, while a short-circuit closure runs */
};

static void really_free(ward_rpc_server *s);

static void enter(ward_rpc_server *s)
{
        s->depth++;
}

/* leave: a handler returned; 1 when it was the last and freed the server. */
static int leave(ward_rpc_server *s)
{
        if (--s->depth == 0 && s->dead) {
                really_free(s);
                return 1;
        }
        return 0;
}

/* One request being served: what the closure needs to answer it. */
struct call {
        uint32_t magic;
        ward_rpc_server *srv;
        ward_ipc_conn *conn; /* NULL once the client has gone */
        uint64_t call_id;
        const ProtobufCMethodDescriptor *method;
        struct ward_ipc_peer peer;
        int answered;
        ProtobufCClosure local; /* short-circuit: the caller's closure */
        void *local_data;
        int give_output;         /* short-circuit: the closure takes a malloc'ed reply */
        ward_rpc_bytes_fn bytes; /* ward_rpc_server_call_bytes: who takes the packed reply */
        void *bytes_arg;
        const char *message;    /* ward_rpc_fail's, while its answer is sent */
        struct ward__list link; /* in srv->calls */
};

static struct call *call_alloc(ward_rpc_server *s)
{
        struct call *k = s->spare;
        if (k) {
                s->spare = NULL;
                memset(k, 0, sizeof(*k));
                return k;
        }
        return calloc(1, sizeof(*k));
}

static void call_free(ward_rpc_server *s, struct call *k)
{
        k->magic = 0;
        if (!s->spare) {
                s->spare = k;
        } else {
                free(k);
        }
}

static void reply_status(ward_ipc_conn *conn, uint64_t id, int status)
{
        if (conn && id) {
                ward_ipc_reply(conn, id, status, NULL, 0);
        }
}

/* reply_copied: pack out here and copy it into the reply, which waits for
 * room up to the connection's send_timeout_ns. */
static int reply_copied(struct call *k, const ProtobufCMessage *out, size_t len)
{
        uint8_t small[1024];
        uint8_t *buf = len <= sizeof(small) ? small : malloc(len);
        if (!buf) {
                return -ENOMEM;
        }
        protobuf_c_message_pack(out, buf);
        int r = ward_ipc_reply(k->conn, k->call_id, WARD_RPC_OK, buf, len);
        if (buf != small) {
                free(buf);
        }
        return r;
}

/* send_reply: pack out into the reply: straight into shared memory when it is
 * big and the pool has room now, else through a copy that waits for room (up
 * to send_timeout_ns). A reply that can never fit is an error the caller sees
 * (WARD_RPC_REPLY_TOO_LARGE). A client that has taken nothing back for that
 * long cannot be answered: it is dropped (its calls end with -ECONNRESET)
 * rather than let it stall this loop again on each next reply. */
static void send_reply(struct call *k, const ProtobufCMessage *out)
{
        size_t len = protobuf_c_message_get_packed_size(out);
        ward_ipc_buf *b;
        int r;
        if (len > WARD__RPC_INLINE_MAX) {
                r = ward_ipc_buf_alloc(k->conn, len, 0, &b);
                if (r == 0) {
                        protobuf_c_message_pack(out, ward_ipc_buf_data(b));
                        r = ward_ipc_reply_buf(k->conn, k->call_id, WARD_RPC_OK, b);
                } else if (r == -ETIMEDOUT) {
                        r = reply_copied(k, out, len); /* no room now: wait for it */
                }
        } else {
                r = reply_copied(k, out, len);
        }
        if (r == -ENOMEM) {
                reply_status(k->conn, k->call_id, WARD_RPC_SERVER_ERROR);
        } else if (r == -EMSGSIZE) {
                reply_status(k->conn, k->call_id, WARD_RPC_REPLY_TOO_LARGE);
        } else if (r == -ETIMEDOUT) {
                ward_ipc_conn_close(k->conn);
        }
}

/* answer_local: a short-circuit reply goes through pack and unpack too, so the
 * caller sees exactly what a remote caller would (and never aliases handler
 * memory). */
static void answer_local(struct call *k, const ProtobufCMessage *out)
{
        static const uint8_t none[1];
        ProtobufCMessage *copy = NULL;
        struct ward__arena *arena = ward__arena_take(&k->srv->arenas);
        if (arena && out && out->descriptor == k->method->output) {
                size_t len = protobuf_c_message_get_packed_size(out);
                uint8_t *buf = len ? arena->alloc.alloc(arena, len) : (uint8_t *)none;
                if (buf) {
                        protobuf_c_message_pack(out, buf);
                        copy = protobuf_c_message_unpack(
                            k->method->output, k->give_output ? NULL : &arena->alloc, len, buf);
                }
        }
        k->srv->local_message = copy ? NULL : k->message;
        k->local(copy, k->local_data);
        k->srv->local_message = NULL;
        ward__arena_give(&k->srv->arenas, arena);
}

/* reply_failed: a handler failed the call; its message, if it gave one, rides
 * with the status (clients that do not read it lose nothing). */
static void reply_failed(struct call *k)
{
        size_t len = k->message ? strnlen(k->message, WARD_RPC_MESSAGE_MAX) : 0;
        ward_ipc_reply(k->conn, k->call_id, WARD_RPC_HANDLER_ERROR, k->message, len);
}

/* answer_bytes: a ward_rpc_server_call_bytes call: the reply packed for its
 * caller; a one-way method's answer is the empty message whatever the
 * handler passed. */
static void answer_bytes(struct call *k, const ProtobufCMessage *out)
{
        uint8_t small[1024];
        if (ward__rpc_is_oneway(k->method)) {
                k->bytes(k->bytes_arg, 0, small, 0, NULL);
                return;
        }
        if (!out || out->descriptor != k->method->output) {
                k->bytes(k->bytes_arg, -WARD_E_HANDLER_ERROR, NULL, 0, k->message);
                return;
        }
        size_t len = protobuf_c_message_get_packed_size(out);
        uint8_t *buf = len <= sizeof(small) ? small : malloc(len);
        if (!buf) {
                k->bytes(k->bytes_arg, -WARD_E_SERVER_ERROR, NULL, 0, NULL);
                return;
        }
        protobuf_c_message_pack(out, buf);
        k->bytes(k->bytes_arg, 0, buf, len, NULL);
        if (buf != small) {
                free(buf);
        }
}

/* on_done: the closure handed to handlers. May run inside invoke or later. */
static void on_done(const ProtobufCMessage *out, void *closure_data)
{
        struct call *k = closure_data;
        if (!k || k->magic != CALL_MAGIC || k->answered) {
                return;
        }
        k->answered = 1;
        if (k->local) {
                answer_local(k, out);
        } else if (k->bytes) {
                answer_bytes(k, out);
        } else if (k->conn && k->call_id) {
                if (!out) {
                        reply_failed(k);
                } else if (out->descriptor != k->method->output) {
                        reply_status(k->conn, k->call_id, WARD_RPC_HANDLER_ERROR);
                } else {
                        send_reply(k, out);
                }
        }
        ward__list_unlink(&k->link);
        call_free(k->srv, k);
}

static int find_service(ward_rpc_server *s, const char *name)
{
        for (unsigned i = 0; i < s->n; i++) { /* the same descriptor: no strcmp */
                if (s->svcs[i].service->descriptor->name == name) {
                        return (int)i;
                }
        }
        for (unsigned i = 0; i < s->n; i++) {
                if (strcmp(s->svcs[i].service->descriptor->name, name) == 0) {
                        return (int)i;
                }
        }
        return -1;
}

static void on_resolve(ward_rpc_server *s, ward_ipc_conn *conn, const ward_ipc_msg *m)
{
        char name[WARD__RPC_NAME_MAX + 1];
        uint64_t hash;
        uint32_t caps;
        const uint8_t *data = ward_ipc_msg_data(m);
        uint64_t id = ward_ipc_msg_call_id(m);
        size_t hdr = sizeof(struct ward__rpc_hdr);
        if (ward__rpc_resolve_decode(data + hdr, ward_ipc_msg_len(m) - hdr, &hash, name, &caps) <
            0) {
                reply_status(conn, id, WARD_RPC_BAD_MESSAGE);
                return;
        }
        int i = find_service(s, name);
        if (i < 0) {
                reply_status(conn, id, WARD_RPC_UNKNOWN_SERVICE);
        } else if (s->svcs[i].hash != hash) {
                reply_status(conn, id, WARD_RPC_SCHEMA_MISMATCH);
        } else {
                /* the caps only to a client that offered some: older ones
                 * want exactly the id */
                struct ward__rpc_resolved r = {.id = (uint32_t)i, .caps = WARD__RPC_CAP_TRACE};
                ward_ipc_reply(conn, id, WARD_RPC_OK, &r, caps ? sizeof(r) : sizeof(r.id));
        }
}

static struct call *call_new(ward_rpc_server *s, ward_ipc_conn *conn, uint64_t id,
                             const ProtobufCMethodDescriptor *method)
{
        struct call *k = call_alloc(s);
        if (!k) {
                return NULL;
        }
        *k = (struct call){
            .magic = CALL_MAGIC, .srv = s, .conn = conn, .call_id = id, .method = method};
        ward_ipc_conn_get_peer(conn, &k->peer);
        ward__list_prepend(&s->calls, &k->link);
        return k;
}

/* invoke_traced: svc's handler inside its span, which continues the
 * caller's (in, from a CALL_TRACED; else NULL). */
static __attribute__((noinline)) void invoke_traced(ProtobufCService *svc, unsigned method,
                                                    ProtobufCMessage *in, struct call *k,
                                                    const struct ward__rpc_trace *ctx, int local)
{
        struct ward__rpc_tcur saved;
        const char *sname = svc->descriptor->name, *mname = svc->descriptor->methods[method].name;
        ward__rpc_serve_begin(sname, mname, ctx, local, &saved);
        svc->invoke(svc, method, in, on_done, k);
        ward__rpc_serve_end(sname, mname, &saved);
}

/* on_call: decode the request into an arena and run the handler. The input
 * lives only during invoke: a handler that answers later copies what it needs. */
static void on_call(ward_rpc_server *s, ward_ipc_conn *conn, const ward_ipc_msg *m,
                    const struct ward__rpc_hdr *h)
{
        uint64_t id = ward_ipc_msg_call_id(m);
        if (h->service >= s->n) {
                reply_status(conn, id, WARD_RPC_UNKNOWN_SERVICE);
                return;
        }
        ProtobufCService *svc = s->svcs[h->service].service;
        if (h->method >= svc->descriptor->n_methods) {
                reply_status(conn, id, WARD_RPC_UNKNOWN_METHOD);
                return;
        }
        const ProtobufCMethodDescriptor *method = &svc->descriptor->methods[h->method];
        struct ward__arena *arena = ward__arena_take(&s->arenas);
        size_t skip = ward__rpc_body_offset(h->kind);
        ProtobufCMessage *in =
            arena ? ward__rpc_unpack(method->input, m, skip, arena, arena) : NULL;
        struct call *k = in ? call_new(s, conn, id, method) : NULL;
        if (!k) {
                reply_status(conn, id, in || !arena ? WARD_RPC_SERVER_ERROR : WARD_RPC_BAD_MESSAGE);
        } else if (ward__rpc_tracing()) {
                struct ward__rpc_trace ctx;
                int has =
                    h->kind == WARD__RPC_CALL_TRACED &&
                    ward__rpc_trace_decode(ward_ipc_msg_data(m), ward_ipc_msg_len(m), &ctx) == 0;
                invoke_traced(svc, h->method, in, k, has ? &ctx : NULL, 0);
        } else {
                svc->invoke(svc, h->method, in, on_done, k);
        }
        ward__arena_give(&s->arenas, arena);
}

static void on_request(ward_ipc_conn *conn, const ward_ipc_msg *m, void *arg)
{
        ward_rpc_server *s = arg;
        struct ward__rpc_hdr h;
        if (s->dead) {
                return; /* freed by an earlier handler of this batch */
        }
        if (ward__rpc_hdr_decode(ward_ipc_msg_data(m), ward_ipc_msg_len(m), &h) < 0) {
                reply_status(conn, ward_ipc_msg_call_id(m), WARD_RPC_BAD_MESSAGE);
                return;
        }
        enter(s); /* a handler may free s: not under our feet */
        if (h.kind == WARD__RPC_RESOLVE) {
                on_resolve(s, conn, m);
        } else if (h.kind == WARD__RPC_REFLECT) {
                ward__rpc_reflect_reply(s->svcs, s->n, conn, ward_ipc_msg_call_id(m));
        } else { /* CALL or CALL_TRACED */
                on_call(s, conn, m, &h);
        }
        leave(s);
}

/* on_conn: a client went away: its unanswered calls can no longer be answered. */
static void on_conn(ward_ipc_conn *conn, int event, int error, void *arg)
{
        ward_rpc_server *s = arg;
        (void)error;
        if (event != WARD_IPC_CLOSED) {
                return;
        }
        for (struct ward__list *n = s->calls.next; n != &s->calls; n = n->next) {
                struct call *k = ward__list_entry(n, struct call, link);
                if (k->conn == conn) {
                        k->conn = NULL;
                }
        }
}

int ward_rpc_server_new(ward_loop *loop, const char *address, const struct ward_ipc_options *opts,
                        ward_rpc_server **ret)
{
        if (!ret) {
                return -EINVAL;
        }
        ward_rpc_server *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        s->loop = loop;
        ward__list_init(&s->calls);
        /* read once: three syscalls per short-circuit call would cost more than the call */
        s->self = (struct ward_ipc_peer){.pid = getpid(), .uid = geteuid(), .gid = getegid()};
        int r = ward_ipc_server_new(loop, address, opts, on_request, s, &s->ipc);
        if (r >= 0) {
                r = ward_ipc_server_set_conn_handler(s->ipc, on_conn, s);
        }
        if (r >= 0) {
                r = ward__rpc_local_register(address, s, loop);
        }
        if (r < 0) {
                ward_rpc_server_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int ward_rpc_server_add(ward_rpc_server *s, ProtobufCService *service)
{
        if (!s || !service || !service->descriptor || !service->invoke ||
            service->descriptor->magic != PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC) {
                return -EINVAL;
        }
        if (find_service(s, service->descriptor->name) >= 0) {
                return -EEXIST;
        }
        if (s->n == s->cap) {
                unsigned ncap = s->cap ? s->cap * 2 : 8;
                struct ward__hosted *n = realloc(s->svcs, ncap * sizeof(*n));
                if (!n) {
                        return -ENOMEM;
                }
                s->svcs = n;
                s->cap = ncap;
        }
        s->svcs[s->n++] = (struct ward__hosted){.service = service,
                                                .hash = ward_rpc_service_hash(service->descriptor)};
        return 0;
}

/* Freeing inside a handler (or its closure) would pull the call, the arena
 * and the server from under on_call: the connections close at once (the IPC
 * server defers what its own callbacks use), the memory goes as the
 * outermost handler returns. */
ward_rpc_server *ward_rpc_server_free(ward_rpc_server *s)
{
        if (!s || s->dead) {
                return NULL;
        }
        ward__rpc_local_unregister(s);
        s->ipc = ward_ipc_server_free(s->ipc);
        s->dead = 1;
        /* no connection can carry an answer any more (the one under a running
         * handler lives on until it returns, but only to refuse) */
        for (struct ward__list *n = s->calls.next; n != &s->calls; n = n->next) {
                ward__list_entry(n, struct call, link)->conn = NULL;
        }
        if (s->depth == 0) {
                really_free(s);
        }
        return NULL;
}

static void really_free(ward_rpc_server *s)
{
        while (!ward__list_empty(&s->calls)) {
                struct call *k = ward__list_entry(s->calls.next, struct call, link);
                ward__list_unlink(&k->link);
                if (k->local && !k->answered) {
                        k->local(NULL, k->local_data); /* exactly once, even now */
                } else if (k->bytes && !k->answered) {
                        k->bytes(k->bytes_arg, -ECANCELED, NULL, 0, NULL);
                }
                k->magic = 0;
                free(k);
        }
        ward__arena_pool_free(&s->arenas);
        free(s->spare);
        free(s->svcs);
        free(s);
}

ward_ipc_server *ward_rpc_server_ipc(ward_rpc_server *s)
{
        return s ? s->ipc : NULL;
}

int ward_rpc_caller(void *closure_data, struct ward_ipc_peer *ret)
{
        struct call *k = closure_data;
        if (!k || !ret || k->magic != CALL_MAGIC) {
                return -EINVAL;
        }
        *ret = k->peer;
        return 0;
}

const char *ward__rpc_server_local_message(ward_rpc_server *s)
{
        return s ? s->local_message : NULL;
}

ward_loop *ward__rpc_server_loop(ward_rpc_server *s)
{
        return s->loop;
}

int ward_rpc_server_describe(ward_rpc_server *s, struct Ward__Reflect__Description **ret)
{
        uint8_t *buf;
        size_t len;
        if (!s || !ret) {
                return -EINVAL;
        }
        int r = ward__rpc_describe_pack(s->svcs, s->n, &buf, &len);
        if (r < 0) {
                return r;
        }
        *ret = ward__reflect__description__unpack(NULL, len, buf);
        free(buf);
        return *ret ? 0 : -ENOMEM;
}

ward_loop *ward_rpc_server_get_loop(ward_rpc_server *s)
{
        return s ? s->loop : NULL;
}

int ward_rpc_fail(void *closure_data, const char *message)
{
        struct call *k = closure_data;
        if (!k || k->magic != CALL_MAGIC || k->answered) {
                return -EINVAL;
        }
        k->message = message;
        on_done(NULL, k);
        return 0;
}

/* method_named: the index of the method called name in desc, or -1. */
static int method_named(const ProtobufCServiceDescriptor *desc, const char *name)
{
        for (unsigned i = 0; i < desc->n_methods; i++) {
                if (strcmp(desc->methods[i].name, name) == 0) {
                        return (int)i;
                }
        }
        return -1;
}

int ward_rpc_server_call_bytes(ward_rpc_server *s, const char *service, const char *method,
                               const void *req, size_t len, const struct ward_ipc_peer *peer,
                               ward_rpc_bytes_fn fn, void *arg)
{
        if (!s || s->dead || !service || !method || (!req && len) || !fn) {
                return -EINVAL;
        }
        int i = find_service(s, service);
        if (i < 0) {
                return -WARD_E_UNKNOWN_SERVICE;
        }
        ProtobufCService *svc = s->svcs[i].service;
        int m = method_named(svc->descriptor, method);
        if (m < 0) {
                return -WARD_E_UNKNOWN_METHOD;
        }
        const ProtobufCMethodDescriptor *md = &svc->descriptor->methods[m];
        struct ward__arena *arena = ward__arena_take(&s->arenas);
        uint8_t *buf = arena ? arena->alloc.alloc(arena, len + 1) : NULL;
        if (!buf) {
                ward__arena_give(&s->arenas, arena);
                return -ENOMEM;
        }
        if (len) {
                memcpy(buf, req, len); /* private: protobuf-c reads its input twice */
        }
        ProtobufCMessage *in = ward__rpc_unpack_private(md->input, buf, len, arena, arena);
        struct call *k = in ? call_alloc(s) : NULL;
        if (!k) {
                ward__arena_give(&s->arenas, arena);
                return in ? -ENOMEM : -WARD_E_BAD_MESSAGE;
        }
        *k = (struct call){
            .magic = CALL_MAGIC,
            .srv = s,
            .method = md,
            .peer = peer ? *peer : (struct ward_ipc_peer){.uid = (uid_t)-1, .gid = (gid_t)-1},
            .bytes = fn,
            .bytes_arg = arg};
        ward__list_prepend(&s->calls, &k->link);
        enter(s);
        if (ward__rpc_tracing()) { /* a child of the caller's span (a bridge's) */
                invoke_traced(svc, (unsigned)m, in, k, NULL, 1);
        } else {
                svc->invoke(svc, (unsigned)m, in, on_done, k);
        }
        ward__arena_give(&s->arenas, arena);
        leave(s);
        return 0;
}

/* pack_unpack: the request as the handler would receive it from afar. */
static ProtobufCMessage *pack_unpack(const ProtobufCMessage *in, struct ward__arena *arena)
{
        static const uint8_t none[1];
        size_t len = protobuf_c_message_get_packed_size(in);
        uint8_t *buf = len ? arena->alloc.alloc(arena, len) : (uint8_t *)none;
        if (!buf) {
                return NULL;
        }
        protobuf_c_message_pack(in, buf);
        return protobuf_c_message_unpack(in->descriptor, &arena->alloc, len, buf);
}

int ward__rpc_server_invoke_local(ward_rpc_server *s, const ProtobufCServiceDescriptor *desc,
                                  uint64_t hash, unsigned method, const ProtobufCMessage *input,
                                  ProtobufCClosure closure, void *closure_data, int give_output)
{
        int i = find_service(s, desc->name);
        if (i < 0) {
                return -WARD_E_UNKNOWN_SERVICE;
        }
        if (s->svcs[i].hash != hash) {
                return -WARD_E_SCHEMA_MISMATCH;
        }
        ProtobufCService *svc = s->svcs[i].service;
        struct ward__arena *arena = ward__arena_take(&s->arenas);
        ProtobufCMessage *in = arena ? pack_unpack(input, arena) : NULL;
        struct call *k = in ? call_alloc(s) : NULL;
        if (!k) {
                ward__arena_give(&s->arenas, arena);
                return in || !arena ? -ENOMEM : -WARD_E_BAD_MESSAGE;
        }
        *k = (struct call){.magic = CALL_MAGIC,
                           .srv = s,
                           .method = &svc->descriptor->methods[method],
                           .peer = s->self,
                           .local = closure,
                           .local_data = closure_data,
                           .give_output = give_output};
        ward__list_prepend(&s->calls, &k->link);
        enter(s);
        if (ward__rpc_tracing()) {
                invoke_traced(svc, method, in, k, NULL, 1);
        } else {
                svc->invoke(svc, method, in, on_done, k);
        }
        ward__arena_give(&s->arenas, arena);
        leave(s);
        return 0;
}
