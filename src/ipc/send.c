/* Sending: records into our ring, payloads into our pool, and the wake-up. */
#include <errno.h>
#include <string.h>

#include "ipc/ipc-internal.h"
#include "ipc/wake.h"

static int ring_has_room(ward_ipc_conn *c, const void *arg)
{
        struct ward__ipc_rec *rec;
        uint32_t payload = *(const uint32_t *)arg;
        /* a reserve without commit writes nothing visible: a cheap probe */
        uint64_t head = c->tx.head;
        int r = ward__ring_tx_reserve(&c->tx, payload, &rec);
        c->tx.head = head;
        return r != -EAGAIN;
}

/* reserve: room for a record, waiting up to send_timeout_ns. */
static int reserve(ward_ipc_conn *c, uint32_t payload, struct ward__ipc_rec **ret)
{
        uint64_t deadline = 0;
        for (;;) {
                int r = ward__ring_tx_reserve(&c->tx, payload, ret);
                if (r != -EAGAIN) {
                        if (r == -EPROTO) {
                                ward__conn_fail(c, r);
                        }
                        return r;
                }
                if (!deadline) {
                        deadline = ward__deadline(c->opts.send_timeout_ns);
                }
                r = ward__conn_wait_space(c, deadline, ring_has_room, &payload);
                if (r < 0) {
                        return r;
                }
        }
}

static void publish(ward_ipc_conn *c, struct ward__ipc_rec *rec, const struct ward__ipc_rec *h)
{
        memcpy(rec, h, sizeof(*h));
        ward__ring_tx_commit(&c->tx, h->size);
        struct ward__ipc_chan_ctl *ctl = c->tx.ctl;
        ward__wake_if_sleeping(&ctl->consumer_sleep, &ctl->consumer_futex, c->wake_fd);
}

static int usable(ward_ipc_conn *c)
{
        if (ward__conn_forked(c)) {
                return -ECHILD;
        }
        return c->error;
}

static int pool_has_room(ward_ipc_conn *c, const void *arg)
{
        return ward__pool_can_alloc(&c->pool, *(const size_t *)arg) != 0;
}

int ward__conn_alloc(ward_ipc_conn *c, size_t len, uint64_t deadline, struct ward__slot **ret)
{
        for (;;) {
                int r = ward__pool_alloc(&c->pool, len, ret);
                if (r != -EAGAIN) {
                        if (r == -EPROTO) {
                                ward__conn_fail(c, r);
                        }
                        return r;
                }
                r = ward__conn_wait_space(c, deadline, pool_has_room, &len);
                if (r < 0) {
                        return r;
                }
        }
}

int ward__conn_send_slot(ward_ipc_conn *c, uint8_t type, uint64_t call_id, int32_t status,
                         struct ward__slot *s)
{
        struct ward__ipc_rec *rec;
        int r = usable(c);
        if (r == 0 && !ward__pool_owns(&c->pool, s)) {
                return -EINVAL;
        }
        if (r == 0) {
                r = reserve(c, sizeof(struct ward__ipc_pool_ref), &rec);
        }
        if (r < 0) {
                if (ward__pool_owns(&c->pool, s)) {
                        ward__pool_give_back(&c->pool, s);
                }
                return r;
        }
        struct ward__ipc_pool_ref ref = {
            .offset = s->start % c->pool.size, .len = s->len, .seq = s->seq};
        struct ward__ipc_rec h = {.size = sizeof(ref),
                                  .type = type,
                                  .flags = WARD__IPC_REC_POOL,
                                  .status = status,
                                  .call_id = call_id};
        memcpy((uint8_t *)rec + sizeof(h), &ref, sizeof(ref));
        s->state = WARD__IPC_SLOT_SENT;
        publish(c, rec, &h);
        return 0;
}

/* send_pooled: a payload too big for the ring, copied once into our pool. */
static int send_pooled(ward_ipc_conn *c, uint8_t type, uint64_t call_id, int32_t status,
                       const void *data, size_t len)
{
        struct ward__slot *s;
        int r = ward__conn_alloc(c, len, ward__deadline(c->opts.send_timeout_ns), &s);
        if (r < 0) {
                return r;
        }
        memcpy(s->ptr, data, len);
        return ward__conn_send_slot(c, type, call_id, status, s);
}

int ward__conn_send(ward_ipc_conn *c, uint8_t type, uint64_t call_id, int32_t status,
                    const void *data, size_t len)
{
        struct ward__ipc_rec *rec;
        int r = usable(c);
        if (r < 0) {
                return r;
        }
        if (len > c->opts.inline_max) {
                return send_pooled(c, type, call_id, status, data, len);
        }
        r = reserve(c, (uint32_t)len, &rec);
        if (r < 0) {
                return r;
        }
        struct ward__ipc_rec h = {
            .size = (uint32_t)len, .type = type, .status = status, .call_id = call_id};
        if (len) {
                memcpy((uint8_t *)rec + sizeof(h), data, len);
        }
        publish(c, rec, &h);
        return 0;
}
