/* One direction's ring of records: the producer side and the consumer side.
 * Single producer, single consumer, no locks; indices are 64-bit byte counters
 * that never wrap. Every index the peer wrote is checked before use. */
#ifndef WARD_IPC_RING_H
#define WARD_IPC_RING_H

#include <stdint.h>

#include "ipc/layout.h"

#define WARD__IPC_REC_HDR ((uint32_t)sizeof(struct ward__ipc_rec))

struct ward__ring_tx {
        struct ward__ipc_chan_ctl *ctl;
        uint8_t *data;
        uint32_t cap;
        uint64_t head;       /* private: the next byte we write */
        uint64_t tail_cache; /* last tail we read from the consumer */
};

struct ward__ring_rx {
        struct ward__ipc_chan_ctl *ctl;
        uint8_t *data;
        uint32_t cap;
        uint64_t tail;       /* private: the next byte we read */
        uint64_t head_cache; /* last head we read from the producer */
        uint32_t cur;        /* bytes of the record returned by the last peek */
};

void ward__ring_tx_init(struct ward__ring_tx *tx, struct ward__ipc_chan_ctl *ctl, uint8_t *data,
                        uint32_t cap);
void ward__ring_rx_init(struct ward__ring_rx *rx, struct ward__ipc_chan_ctl *ctl, uint8_t *data,
                        uint32_t cap);

/* ward__ring_tx_reserve: room for a record with payload bytes. Returns 0 and
 * *ret (where to write header and payload), -EAGAIN (no room now), -EMSGSIZE
 * (never fits), or -EPROTO (the consumer's tail is impossible). */
int ward__ring_tx_reserve(struct ward__ring_tx *tx, uint32_t payload, struct ward__ipc_rec **ret);

/* ward__ring_tx_commit: publish the record reserved last (release store of head). */
void ward__ring_tx_commit(struct ward__ring_tx *tx, uint32_t payload);

/* ward__ring_rx_peek: the next record, copied header in *hdr and payload in
 * place at *ret_payload. Returns 1 (a record), 0 (empty) or -EPROTO (the
 * producer wrote something impossible). */
int ward__ring_rx_peek(struct ward__ring_rx *rx, struct ward__ipc_rec *hdr,
                       const uint8_t **ret_payload);

/* ward__ring_rx_advance: step past the record returned by the last peek,
 * privately: the producer may not reuse its bytes until ward__ring_rx_publish. */
void ward__ring_rx_advance(struct ward__ring_rx *rx);

/* ward__ring_rx_publish: give every byte read so far back to the producer. */
void ward__ring_rx_publish(struct ward__ring_rx *rx);

/* ward__ring_rx_ready: does the ring hold unread bytes? (cheap; no checks) */
int ward__ring_rx_ready(struct ward__ring_rx *rx);

#endif
