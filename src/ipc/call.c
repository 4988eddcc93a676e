/* The public send, call and reply entry points. */
#include <errno.h>

#include "ipc/ipc-internal.h"
#include "ipc/reconnect.h"

static int check(ward_ipc_conn *c)
{
        if (!c) {
                return -EINVAL;
        }
        if (ward__conn_forked(c)) {
                return -ECHILD;
        }
        return c->closing ? -ECANCELED : c->error;
}

/* revive: check(c), reconnecting first a connection that may (reconnect.c). */
static int revive(ward_ipc_conn *c, uint64_t deadline)
{
        int r = check(c);
        if (r == -ECONNRESET && c->opts.reconnect && !c->revive_explicit) {
                r = ward__ipc_revive(c, deadline);
        }
        return r;
}

/* wait_reply: dispatch until the synchronous call's reply is in, or fail. */
static int wait_reply(ward_ipc_conn *c, uint64_t deadline)
{
        for (;;) {
                int n = ward__conn_dispatch(c);
                if (c->sync_done) {
                        return 0;
                }
                if (c->closing) {
                        return -ECANCELED; /* a callback closed c meanwhile */
                }
                if (n < 0) {
                        return n;
                }
                if (ward_now_ns() >= deadline) {
                        return -ETIMEDOUT; /* even while the peer keeps sending others */
                }
                if (!c->loop) {
                        ward__conn_expire_calls(c, ward_now_ns());
                }
                int r = ward__conn_wait_rx(c, deadline);
                if (r < 0) {
                        return c->sync_done ? 0 : r; /* a reply taken in before the end */
                }
        }
}

/* sync_call: the request for id was sent (sent == 0) or not (sent < 0): wait
 * for its reply. */
static int sync_call(ward_ipc_conn *c, uint64_t id, int sent, uint64_t deadline,
                     const ward_ipc_msg **ret_reply)
{
        int r = sent;
        if (r == 0) {
                r = wait_reply(c, deadline);
        }
        c->sync_id = 0;
        if (sent == 0 && r == -ETIMEDOUT) {
                ward__calls_abandon(&c->calls, id); /* its reply may still come: drop it */
        }
        if (ward__conn_maybe_finish(c)) {
                return -ECANCELED; /* a callback closed c while we waited */
        }
        ward__conn_rearm(c);
        if (r < 0) {
                return r;
        }
        *ret_reply = &c->reply;
        return 0;
}

/* begin_sync: the checks and set-up every synchronous call shares; a
 * connection that may is reconnected by deadline (revive). */
static int begin_sync(ward_ipc_conn *c, int may_revive, uint64_t deadline,
                      const ward_ipc_msg **ret_reply, uint64_t *ret_id)
{
        int r = may_revive ? revive(c, deadline) : check(c);
        if (r < 0) {
                return r;
        }
        if (!ret_reply) {
                return -EINVAL;
        }
        if (c->sync_id) {
                return -EBUSY; /* a synchronous call on c is already waiting below us */
        }
        ward__conn_release_reply(c);
        *ret_id = c->next_id++;
        c->sync_id = *ret_id;
        c->sync_done = 0;
        return 0;
}

int ward_ipc_call_flags(ward_ipc_conn *c, const void *req, size_t len, uint64_t timeout_ns,
                        unsigned flags, const ward_ipc_msg **ret_reply)
{
        if ((!req && len) || (flags & ~WARD_IPC_CALL_IDEMPOTENT)) {
                return -EINVAL;
        }
        uint64_t deadline = ward__deadline(timeout_ns);
        for (;;) {
                uint64_t id;
                int r = begin_sync(c, 1, deadline, ret_reply, &id);
                if (r < 0) {
                        return r; /* nothing sent; a connection that could not be revived */
                }
                r = ward__conn_send(c, WARD__IPC_REC_REQUEST, id, 0, req, len);
                r = sync_call(c, id, r, deadline, ret_reply);
                /* the server ended before it answered: another may, if the
                 * request can be carried out twice (begin_sync reconnects) */
                if (r != -ECONNRESET || !(flags & WARD_IPC_CALL_IDEMPOTENT) || !c->opts.reconnect ||
                    ward_now_ns() >= deadline) {
                        return r;
                }
        }
}

int ward_ipc_call(ward_ipc_conn *c, const void *req, size_t len, uint64_t timeout_ns,
                  const ward_ipc_msg **ret_reply)
{
        return ward_ipc_call_flags(c, req, len, timeout_ns, 0, ret_reply);
}

int ward_ipc_call_buf(ward_ipc_conn *c, ward_ipc_buf *b, uint64_t timeout_ns,
                      const ward_ipc_msg **ret_reply)
{
        uint64_t id;
        /* no reconnect here: b lies in this connection's pool */
        int r = begin_sync(c, 0, 0, ret_reply, &id);
        if (r < 0) {
                if (c && b) {
                        ward_ipc_buf_free(c, b);
                }
                return r;
        }
        r = ward__conn_send_slot(c, WARD__IPC_REC_REQUEST, id, 0, (struct ward__slot *)(void *)b);
        return sync_call(c, id, r, ward__deadline(timeout_ns), ret_reply);
}

/* async_sent: finish an asynchronous call whose request send returned r. */
static int async_sent(ward_ipc_conn *c, struct ward__call *call, int r, uint64_t *ret_id)
{
        if (r < 0) {
                /* if the call is gone from the table, fn ran already (a close while
                 * we waited for room): it was told; do not tell the caller twice */
                return ward__calls_take(&c->calls, call->id, call) ? r : 0;
        }
        ward__conn_update_timer(c);
        if (ret_id) {
                *ret_id = call->id;
        }
        return 0;
}

int ward_ipc_call_async(ward_ipc_conn *c, const void *req, size_t len, uint64_t timeout_ns,
                        ward_ipc_reply_fn fn, void *arg, uint64_t *ret_id)
{
        int r = revive(c, ward__deadline(timeout_ns));
        if (r < 0) {
                return r;
        }
        if (!fn || (!req && len)) {
                return -EINVAL;
        }
        struct ward__call call = {
            .id = c->next_id++, .deadline = ward__deadline(timeout_ns), .fn = fn, .arg = arg};
        r = ward__calls_add(&c->calls, &call);
        if (r < 0) {
                return r;
        }
        r = ward__conn_send(c, WARD__IPC_REC_REQUEST, call.id, 0, req, len);
        return async_sent(c, &call, r, ret_id);
}

int ward_ipc_call_buf_async(ward_ipc_conn *c, ward_ipc_buf *b, uint64_t timeout_ns,
                            ward_ipc_reply_fn fn, void *arg, uint64_t *ret_id)
{
        int r = check(c);
        if (r < 0 || !b || !fn) {
                ward_ipc_buf_free(c, b);
                return r < 0 ? r : -EINVAL;
        }
        struct ward__call call = {
            .id = c->next_id++, .deadline = ward__deadline(timeout_ns), .fn = fn, .arg = arg};
        r = ward__calls_add(&c->calls, &call);
        if (r < 0) {
                ward_ipc_buf_free(c, b);
                return r;
        }
        r = ward__conn_send_slot(c, WARD__IPC_REC_REQUEST, call.id, 0,
                                 (struct ward__slot *)(void *)b);
        return async_sent(c, &call, r, ret_id);
}

int ward_ipc_send(ward_ipc_conn *c, const void *data, size_t len)
{
        int r = revive(c, c ? ward__deadline(c->opts.connect_timeout_ns) : 0);
        if (r < 0) {
                return r;
        }
        if (!data && len) {
                return -EINVAL;
        }
        return ward__conn_send(c, WARD__IPC_REC_ONEWAY, 0, 0, data, len);
}

int ward_ipc_reply(ward_ipc_conn *c, uint64_t call_id, int32_t status, const void *data, size_t len)
{
        int r = check(c);
        if (r < 0) {
                return r;
        }
        if (call_id == 0 || (!data && len)) {
                return -EINVAL;
        }
        return ward__conn_send(c, WARD__IPC_REC_REPLY, call_id, status, data, len);
}

int ward_ipc_buf_alloc(ward_ipc_conn *c, size_t len, uint64_t timeout_ns, ward_ipc_buf **ret)
{
        struct ward__slot *s;
        int r = revive(c, ward__deadline(timeout_ns));
        if (r < 0) {
                return r;
        }
        if (!ret) {
                return -EINVAL;
        }
        r = ward__conn_alloc(c, len, ward__deadline(timeout_ns), &s);
        if (r < 0) {
                return r;
        }
        *ret = (ward_ipc_buf *)(void *)s;
        return 0;
}

void ward_ipc_buf_free(ward_ipc_conn *c, ward_ipc_buf *b)
{
        struct ward__slot *s = (struct ward__slot *)(void *)b;
        if (c && s && ward__pool_owns(&c->pool, s)) {
                ward__pool_give_back(&c->pool, s);
        }
}

int ward_ipc_send_buf(ward_ipc_conn *c, ward_ipc_buf *b)
{
        int r = check(c);
        if (r < 0 || !b) {
                ward_ipc_buf_free(c, b);
                return r < 0 ? r : -EINVAL;
        }
        return ward__conn_send_slot(c, WARD__IPC_REC_ONEWAY, 0, 0, (struct ward__slot *)(void *)b);
}

int ward_ipc_reply_buf(ward_ipc_conn *c, uint64_t call_id, int32_t status, ward_ipc_buf *b)
{
        int r = check(c);
        if (r < 0 || !b || call_id == 0) {
                ward_ipc_buf_free(c, b);
                return r < 0 ? r : -EINVAL;
        }
        return ward__conn_send_slot(c, WARD__IPC_REC_REPLY, call_id, status,
                                    (struct ward__slot *)(void *)b);
}

void ward_ipc_msg_release(ward_ipc_conn *c, const ward_ipc_msg *m)
{
        if (c && m == &c->reply) {
                ward__conn_release_reply(c);
        }
}

int ward_ipc_conn_process(ward_ipc_conn *c)
{
        int r = check(c);
        if (r < 0 && r != c->error) {
                return r;
        }
        int n = ward__conn_dispatch(c);
        c->depth++;
        if (!c->loop) {
                ward__conn_check_peer(c); /* a loop watches the socket and the pidfd itself */
        }
        ward__conn_expire_calls(c, ward_now_ns());
        c->depth--;
        if (ward__conn_maybe_finish(c)) {
                return -ECANCELED;
        }
        if (c->error) {
                ward__conn_cancel_calls(c, c->error);
                return c->error;
        }
        return n;
}
