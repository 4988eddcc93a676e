/* Receiving: turn records of the incoming ring into callbacks and replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc-internal.h"
#include "ipc/wake.h"

/* msg_from_record: the message a checked record describes, or -EPROTO when its
 * pool reference points outside the peer's pool. */
static int msg_from_record(ward_ipc_conn *c, const struct ward__ipc_rec *h, const uint8_t *payload,
                           struct ward_ipc_msg *m)
{
        *m = (struct ward_ipc_msg){.call_id = h->call_id,
                                   .status = h->type == WARD__IPC_REC_REPLY ? h->status : 0};
        if (!(h->flags & WARD__IPC_REC_POOL)) {
                m->data = payload;
                m->len = h->size;
                return 0;
        }
        struct ward__ipc_pool_ref ref;
        memcpy(&ref, payload, sizeof(ref));
        if (ward__pool_ref_check(&ref, c->rx_pool_bytes) < 0) {
                return -EPROTO;
        }
        m->data = c->rx_pool + ref.offset;
        m->len = ref.len;
        m->pooled = 1;
        m->seq = ref.seq;
        return 0;
}

/* release_msg: hand a pool buffer back to the peer, waking it if it waits. */
static void release_msg(ward_ipc_conn *c, const struct ward_ipc_msg *m)
{
        if (!m->pooled || c->error) {
                return;
        }
        if (ward__pool_release(c->rx.ctl, &c->rel_head, m->seq) < 0) {
                ward__conn_fail(c, -EPROTO);
                return;
        }
        ward__wake_if_sleeping(&c->rx.ctl->producer_sleep, &c->rx.ctl->producer_futex, -1);
}

void ward__conn_release_reply(ward_ipc_conn *c)
{
        if (c->reply_live) {
                release_msg(c, &c->reply);
                c->reply_live = 0;
        }
}

/* keep_sync_reply: the reply the synchronous call waits for. Inline bytes are
 * copied out of the ring; pooled ones stay in place until released. */
static int keep_sync_reply(ward_ipc_conn *c, const struct ward_ipc_msg *m)
{
        c->reply = *m;
        if (!m->pooled) {
                if (m->len > c->reply_cap) {
                        void *n = realloc(c->reply_buf, m->len);
                        if (!n) {
                                return -ENOMEM;
                        }
                        c->reply_buf = n;
                        c->reply_cap = m->len;
                }
                if (m->len) {
                        memcpy(c->reply_buf, m->data, m->len);
                }
                c->reply.data = c->reply_buf;
        }
        c->reply_live = 1;
        c->sync_done = 1;
        return 0;
}

/* on_reply: hand a reply to its call. A reply that answers no call of ours
 * (never made, answered already) is -EPROTO: dropping it would leave the call
 * it was meant for waiting, forever without a timeout. A late reply to a call
 * that timed out is dropped. */
static int on_reply(ward_ipc_conn *c, const struct ward_ipc_msg *m)
{
        struct ward__call call;
        if (c->sync_id && m->call_id == c->sync_id && !c->sync_done) {
                if (keep_sync_reply(c, m) < 0) {
                        ward__conn_fail(c, -ENOMEM);
                }
                return 0;
        }
        if (ward__calls_take(&c->calls, m->call_id, &call)) {
                call.fn(c, 0, m, call.arg);
        } else if (m->call_id >= c->next_id || !ward__calls_take_late(&c->calls, m->call_id)) {
                return -EPROTO;
        }
        release_msg(c, m);
        return 0;
}

/* may_send: is this a record the peer may send at all? A request has a call
 * id, a one-way message has none, a reply answers one (a reply with id 0
 * would answer a one-way message). */
static int may_send(const struct ward__ipc_rec *h)
{
        return h->type == WARD__IPC_REC_ONEWAY ? h->call_id == 0 : h->call_id != 0;
}

static void on_message(ward_ipc_conn *c, const struct ward_ipc_msg *m)
{
        if (c->on_msg) {
                c->on_msg(c, m, c->on_msg_arg);
        }
        release_msg(c, m);
}

/* dispatch_one: handle the next record. 1 if one was handled, 0 if the ring is
 * empty, or the connection's error. */
static int dispatch_one(ward_ipc_conn *c)
{
        struct ward__ipc_rec h;
        const uint8_t *payload;
        struct ward_ipc_msg m;
        int r = ward__ring_rx_peek(&c->rx, &h, &payload);
        if (r <= 0) {
                if (r < 0) {
                        ward__conn_fail(c, r);
                }
                return r < 0 ? c->error : 0;
        }
        if (!may_send(&h) || msg_from_record(c, &h, payload, &m) < 0) {
                ward__conn_fail(c, -EPROTO);
                return c->error;
        }
        /* step past the record first, so a callback that calls on this connection
         * sees the next one; its bytes stay ours until the publish below */
        ward__ring_rx_advance(&c->rx);
        r = 0;
        if (h.type == WARD__IPC_REC_REPLY) {
                r = on_reply(c, &m);
        } else {
                on_message(c, &m);
        }
        if (r < 0) {
                ward__conn_fail(c, r);
                return c->error;
        }
        ward__ring_rx_publish(&c->rx);
        ward__wake_if_sleeping(&c->rx.ctl->producer_sleep, &c->rx.ctl->producer_futex, -1);
        return 1;
}

/* At most this many records per call: a peer that keeps refilling its ring must
 * not keep us (and the loop we run on) here forever. */
#define DISPATCH_BUDGET 256

int ward__conn_dispatch(ward_ipc_conn *c)
{
        int n = 0, r;
        c->depth++;
        while (n < DISPATCH_BUDGET && !c->error && !c->closing && (r = dispatch_one(c)) > 0) {
                n++;
        }
        c->depth--;
        return c->error ? c->error : n;
}

void ward__conn_cancel_calls(ward_ipc_conn *c, int err)
{
        struct ward__call call;
        while (ward__calls_take_any(&c->calls, &call)) {
                call.fn(c, err, NULL, call.arg);
        }
}

int ward__conn_expire_calls(ward_ipc_conn *c, uint64_t now)
{
        struct ward__call call;
        int n = 0;
        while (ward__calls_take_expired(&c->calls, now, &call)) {
                ward__calls_abandon(&c->calls, call.id);
                call.fn(c, -ETIMEDOUT, NULL, call.arg);
                n++;
        }
        return n;
}
