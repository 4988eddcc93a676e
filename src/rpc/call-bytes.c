/* ward_rpc_call_bytes and ward_rpc_call_bytes_async: calls with packed
 * bytes, for callers without the generated code (ward call, ward gateway).
 * See ward/rpc-json.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ward/rpc-json.h>

#include "rpc/rpc-internal.h"
#include "rpc/rpc-trace.h"
#include "rpc/wire.h"

/* send_call: the header and req in one message; a reply or none (one_way).
 * A large one is put together in the shared pool: one copy of req, not two. */
static int send_call(ward_ipc_conn *conn, uint32_t id, unsigned method, int one_way,
                     const void *req, size_t len, uint64_t timeout_ns, const ward_ipc_msg **reply)
{
        struct ward__rpc_hdr h = {
            .magic = WARD__RPC_MAGIC, .kind = WARD__RPC_CALL, .service = id, .method = method};
        if (sizeof(h) + len > WARD__RPC_INLINE_MAX) {
                ward_ipc_buf *b;
                int e = ward_ipc_buf_alloc(conn, sizeof(h) + len, timeout_ns, &b);
                if (e < 0) {
                        return e;
                }
                uint8_t *p = ward_ipc_buf_data(b);
                memcpy(p, &h, sizeof(h));
                memcpy(p + sizeof(h), req, len);
                return one_way ? ward_ipc_send_buf(conn, b)
                               : ward_ipc_call_buf(conn, b, timeout_ns, reply);
        }
        uint8_t *buf = malloc(sizeof(h) + len + 1);
        if (!buf) {
                return -ENOMEM;
        }
        memcpy(buf, &h, sizeof(h));
        if (len) {
                memcpy(buf + sizeof(h), req, len);
        }
        int e = one_way ? ward_ipc_send(conn, buf, sizeof(h) + len)
                        : ward_ipc_call(conn, buf, sizeof(h) + len, timeout_ns, reply);
        free(buf);
        return e;
}

int ward_rpc_call_bytes(ward_ipc_conn *conn, const char *service, uint64_t schema_hash,
                        unsigned method, int one_way, const void *req, size_t len,
                        uint64_t timeout_ns, uint8_t **ret, size_t *ret_len)
{
        const ward_ipc_msg *reply = NULL;
        uint32_t id;
        if (!conn || !service || (!req && len) || !ret || !ret_len) {
                return -EINVAL;
        }
        *ret = NULL;
        *ret_len = 0;
        int e = ward__rpc_resolve(conn, service, schema_hash, timeout_ns, &id);
        if (e < 0) {
                return e;
        }
        e = send_call(conn, id, method, one_way, req, len, timeout_ns, &reply);
        if (e < 0 || one_way) {
                return e;
        }
        e = ward__rpc_peer_error(ward_ipc_msg_status(reply));
        size_t n = ward_ipc_msg_len(reply);
        if (e == 0) {
                *ret = malloc(n + 1);
                if (*ret) {
                        memcpy(*ret, ward_ipc_msg_data(reply), n); /* copied once, then decoded */
                        *ret_len = n;
                }
                e = *ret ? 0 : -ENOMEM;
        }
        ward_ipc_msg_release(conn, reply);
        return e;
}

int ward_rpc_resolve(ward_ipc_conn *conn, const char *service, uint64_t schema_hash,
                     uint64_t timeout_ns, uint32_t *ret_id)
{
        if (!conn || !service || !ret_id) {
                return -EINVAL;
        }
        return ward__rpc_resolve(conn, service, schema_hash, timeout_ns, ret_id);
}

/* Who waits for an asynchronous bytes call. */
struct waiter {
        ward_rpc_bytes_fn fn;
        void *arg;
};

/* on_bytes_reply: the server's answer (or the transport's verdict). The
 * reply's bytes lie in shared memory: each is read once, by the copy fn
 * makes, or into message. */
static void on_bytes_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        struct waiter w = *(struct waiter *)arg;
        char message[WARD_RPC_MESSAGE_MAX + 1];
        (void)c;
        free(arg);
        if (status < 0) {
                w.fn(w.arg, status, NULL, 0, NULL);
                return;
        }
        int e = ward__rpc_peer_error(ward_ipc_msg_status(reply));
        size_t n = ward_ipc_msg_len(reply);
        if (e == 0) {
                w.fn(w.arg, 0, ward_ipc_msg_data(reply), n, NULL);
                return;
        }
        if (e == -WARD_E_HANDLER_ERROR && n > 0) {
                n = n < WARD_RPC_MESSAGE_MAX ? n : WARD_RPC_MESSAGE_MAX;
                memcpy(message, ward_ipc_msg_data(reply), n);
                message[n] = '\0';
                w.fn(w.arg, e, NULL, 0, message);
                return;
        }
        w.fn(w.arg, e, NULL, 0, NULL);
}

/* send_async: the header and req in one message, answered to on_bytes_reply
 * with w, or sent one-way when w is NULL; in the shared pool when large, as
 * send_call. */
static int send_async(ward_ipc_conn *conn, const struct ward__rpc_req *h, const void *req,
                      size_t len, uint64_t timeout_ns, struct waiter *w)
{
        size_t hlen = ward__rpc_body_offset(h->hdr.kind);
        if (hlen + len > WARD__RPC_INLINE_MAX) {
                ward_ipc_buf *b;
                int e = ward_ipc_buf_alloc(conn, hlen + len, timeout_ns, &b);
                if (e < 0) {
                        return e;
                }
                uint8_t *p = ward_ipc_buf_data(b);
                memcpy(p, h, hlen);
                memcpy(p + hlen, req, len);
                return w ? ward_ipc_call_buf_async(conn, b, timeout_ns, on_bytes_reply, w, NULL)
                         : ward_ipc_send_buf(conn, b);
        }
        uint8_t *buf = malloc(hlen + len + 1);
        if (!buf) {
                return -ENOMEM;
        }
        memcpy(buf, h, hlen);
        if (len) {
                memcpy(buf + hlen, req, len);
        }
        int e = w ? ward_ipc_call_async(conn, buf, hlen + len, timeout_ns, on_bytes_reply, w, NULL)
                  : ward_ipc_send(conn, buf, hlen + len);
        free(buf);
        return e;
}

static const uint8_t none[1]; /* a one-way call's empty answer */

/* waiter_new: who the reply of a call answered to fn(arg) goes to, in *ret:
 * NULL for a one-way call, which has no reply. 0 or -ENOMEM. */
static int waiter_new(int one_way, ward_rpc_bytes_fn fn, void *arg, struct waiter **ret)
{
        *ret = NULL;
        if (one_way) {
                return 0;
        }
        if (!(*ret = malloc(sizeof(**ret)))) {
                return -ENOMEM;
        }
        **ret = (struct waiter){.fn = fn, .arg = arg};
        return 0;
}

/* sent: e, the sending's result, after which w is freed when the call did
 * not go, and a one-way call that went is answered (the empty message: all
 * it answers). */
static int sent(int e, struct waiter *w, int one_way, ward_rpc_bytes_fn fn, void *arg)
{
        if (e < 0) {
                free(w);
        } else if (one_way) {
                fn(arg, 0, none, 0, NULL);
        }
        return e;
}

int ward_rpc_call_bytes_async(ward_ipc_conn *conn, uint32_t service_id, unsigned method,
                              int one_way, const void *req, size_t len, uint64_t timeout_ns,
                              ward_rpc_bytes_fn fn, void *arg)
{
        if (!conn || (!req && len) || !fn) {
                return -EINVAL;
        }
        struct waiter *w;
        int e = waiter_new(one_way, fn, arg, &w);
        if (e < 0) {
                return e;
        }
        struct ward__rpc_req h = {.hdr = {.magic = WARD__RPC_MAGIC,
                                          .kind = WARD__RPC_CALL,
                                          .service = service_id,
                                          .method = method}};
        return sent(send_async(conn, &h, req, len, timeout_ns, w), w, one_way, fn, arg);
}

int ward_rpc_resolve_traced(ward_ipc_conn *conn, const char *service, uint64_t schema_hash,
                            uint64_t timeout_ns, uint32_t *ret_id, int *ret_traced)
{
        uint32_t caps = 0;
        if (!conn || !service || !ret_id || !ret_traced) {
                return -EINVAL;
        }
        *ret_traced = 0;
        int e = ward__rpc_resolve_caps(conn, service, schema_hash, timeout_ns, WARD__RPC_CAP_TRACE,
                                       ret_id, &caps);
        *ret_traced = e == 0 && (caps & WARD__RPC_CAP_TRACE);
        return e;
}

/* call_traced: ward_rpc_call_bytes_traced_async with tracing on: the call's
 * span around the sending, its context in the request when the server takes
 * it and the request still fits with it. One-way when w is NULL. */
static __attribute__((noinline)) int call_traced(ward_ipc_conn *conn, uint32_t service_id,
                                                 unsigned method, const char *service,
                                                 const char *method_name, int traced,
                                                 const void *req, size_t len, uint64_t timeout_ns,
                                                 struct waiter *w)
{
        struct ward__rpc_tcur saved;
        struct ward__rpc_req h = {.hdr = {.magic = WARD__RPC_MAGIC,
                                          .kind = WARD__RPC_CALL,
                                          .service = service_id,
                                          .method = method}};
        ward__rpc_call_begin(service, method_name, &h.trace, &saved);
        if (traced && sizeof(h) + len <= ward_ipc_conn_get_max_len(conn)) {
                h.hdr.kind = WARD__RPC_CALL_TRACED;
        }
        int e = send_async(conn, &h, req, len, timeout_ns, w);
        ward__rpc_call_end(service, method_name, &saved);
        return e;
}

int ward_rpc_call_bytes_traced_async(ward_ipc_conn *conn, uint32_t service_id, unsigned method,
                                     const char *service, const char *method_name, int traced,
                                     int one_way, const void *req, size_t len, uint64_t timeout_ns,
                                     ward_rpc_bytes_fn fn, void *arg)
{
        if (!ward__rpc_tracing()) {
                return ward_rpc_call_bytes_async(conn, service_id, method, one_way, req, len,
                                                 timeout_ns, fn, arg);
        }
        if (!conn || (!req && len) || !fn || !service || !method_name) {
                return -EINVAL;
        }
        struct waiter *w;
        int e = waiter_new(one_way, fn, arg, &w);
        if (e < 0) {
                return e;
        }
        e = call_traced(conn, service_id, method, service, method_name, traced, req, len,
                        timeout_ns, w);
        return sent(e, w, one_way, fn, arg);
}
