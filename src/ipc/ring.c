/* The record ring. The fast paths here run once per message: keep them short. */
#include <errno.h>
#include <string.h>

#include "ipc/ring.h"

static uint32_t rec_bytes(uint32_t payload)
{
        return WARD__IPC_REC_HDR + ((payload + 7u) & ~7u);
}

void ward__ring_tx_init(struct ward__ring_tx *tx, struct ward__ipc_chan_ctl *ctl, uint8_t *data,
                        uint32_t cap)
{
        *tx = (struct ward__ring_tx){.ctl = ctl, .data = data, .cap = cap};
}

void ward__ring_rx_init(struct ward__ring_rx *rx, struct ward__ipc_chan_ctl *ctl, uint8_t *data,
                        uint32_t cap)
{
        *rx = (struct ward__ring_rx){.ctl = ctl, .data = data, .cap = cap};
}

/* tx_room: 0 when want more bytes fit, re-reading the consumer's tail when the
 * cache says full; -EAGAIN when they do not, -EPROTO when the tail is impossible. */
static int tx_room(struct ward__ring_tx *tx, uint64_t want)
{
        if (tx->head - tx->tail_cache + want <= tx->cap) {
                return 0;
        }
        uint64_t t = atomic_load_explicit(&tx->ctl->tail, memory_order_acquire);
        if (t > tx->head || tx->head - t > tx->cap) {
                return -EPROTO;
        }
        tx->tail_cache = t;
        return tx->head - t + want <= tx->cap ? 0 : -EAGAIN;
}

int ward__ring_tx_reserve(struct ward__ring_tx *tx, uint32_t payload, struct ward__ipc_rec **ret)
{
        if (payload > tx->cap / 2 || rec_bytes(payload) > tx->cap / 2) {
                return -EMSGSIZE; /* with a skip to the end, more could never fit */
        }
        uint32_t need = rec_bytes(payload);
        uint32_t pos = (uint32_t)(tx->head & (tx->cap - 1));
        uint32_t contig = tx->cap - pos;
        uint32_t skip = contig < need ? contig : 0;
        int r = tx_room(tx, (uint64_t)skip + need);
        if (r < 0) {
                return r;
        }
        if (skip >= WARD__IPC_REC_HDR) {
                struct ward__ipc_rec pad = {.size = skip - WARD__IPC_REC_HDR,
                                            .type = WARD__IPC_REC_PAD};
                memcpy(tx->data + pos, &pad, sizeof(pad));
        }
        tx->head += skip;
        *ret = (struct ward__ipc_rec *)(void *)(tx->data + (tx->head & (tx->cap - 1)));
        return 0;
}

void ward__ring_tx_commit(struct ward__ring_tx *tx, uint32_t payload)
{
        tx->head += rec_bytes(payload);
        atomic_store_explicit(&tx->ctl->head, tx->head, memory_order_release);
}

/* rx_refresh: re-read the producer's head; -EPROTO if it cannot be right. */
static int rx_refresh(struct ward__ring_rx *rx)
{
        uint64_t h = atomic_load_explicit(&rx->ctl->head, memory_order_acquire);
        if (h < rx->tail || h - rx->tail > rx->cap || (h & 7u) != 0) {
                return -EPROTO;
        }
        rx->head_cache = h;
        return 0;
}

static int rec_valid(const struct ward__ipc_rec *h, uint32_t contig, uint64_t avail)
{
        if (h->size > contig - WARD__IPC_REC_HDR || rec_bytes(h->size) > contig ||
            rec_bytes(h->size) > avail) {
                return 0;
        }
        if (h->type < WARD__IPC_REC_REQUEST || h->type > WARD__IPC_REC_ONEWAY) {
                return 0;
        }
        if (h->flags & ~WARD__IPC_REC_POOL) {
                return 0;
        }
        return !(h->flags & WARD__IPC_REC_POOL) || h->size == sizeof(struct ward__ipc_pool_ref);
}

/* rx_skip_end: step over a tail gap or a PAD record. 1 if skipped, 0 if not, <0 bad. */
static int rx_skip_end(struct ward__ring_rx *rx, uint32_t contig, uint64_t avail,
                       const struct ward__ipc_rec *h)
{
        if (contig >= WARD__IPC_REC_HDR && h->type != WARD__IPC_REC_PAD) {
                return 0;
        }
        if (avail < contig ||
            (contig >= WARD__IPC_REC_HDR && h->size != contig - WARD__IPC_REC_HDR)) {
                return -EPROTO;
        }
        rx->tail += contig;
        atomic_store_explicit(&rx->ctl->tail, rx->tail, memory_order_release);
        return 1;
}

int ward__ring_rx_peek(struct ward__ring_rx *rx, struct ward__ipc_rec *hdr,
                       const uint8_t **ret_payload)
{
        for (;;) {
                if (rx->tail == rx->head_cache) {
                        int r = rx_refresh(rx);
                        if (r < 0 || rx->tail == rx->head_cache) {
                                return r;
                        }
                }
                uint32_t pos = (uint32_t)(rx->tail & (rx->cap - 1));
                uint32_t contig = rx->cap - pos;
                uint64_t avail = rx->head_cache - rx->tail;
                memset(hdr, 0, sizeof(*hdr));
                if (contig >= WARD__IPC_REC_HDR) {
                        memcpy(hdr, rx->data + pos, sizeof(*hdr)); /* copy once, then check */
                }
                int s = rx_skip_end(rx, contig, avail, hdr);
                if (s < 0) {
                        return s;
                }
                if (s > 0) {
                        continue;
                }
                if (!rec_valid(hdr, contig, avail)) {
                        return -EPROTO;
                }
                rx->cur = rec_bytes(hdr->size);
                *ret_payload = rx->data + pos + WARD__IPC_REC_HDR;
                return 1;
        }
}

void ward__ring_rx_advance(struct ward__ring_rx *rx)
{
        rx->tail += rx->cur;
        rx->cur = 0;
}

void ward__ring_rx_publish(struct ward__ring_rx *rx)
{
        atomic_store_explicit(&rx->ctl->tail, rx->tail, memory_order_release);
}

int ward__ring_rx_ready(struct ward__ring_rx *rx)
{
        return atomic_load_explicit(&rx->ctl->head, memory_order_acquire) != rx->tail;
}
