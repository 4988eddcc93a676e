/* Zero-copy pools. Each direction's sender owns a pool in the shared mapping:
 * it allocates buffers first-in first-out, the receiver reads them in place and
 * hands each back by its sequence number through a small release ring. The
 * sender's bookkeeping is private memory; only sequence numbers cross over, and
 * each is checked against what the sender actually sent. */
#ifndef WARD_IPC_POOL_H
#define WARD_IPC_POOL_H

#include <stdint.h>

#include "ipc/layout.h"

enum ward__ipc_slot_state {
        WARD__IPC_SLOT_FREE = 0,
        WARD__IPC_SLOT_HELD,     /* allocated, owned by the application */
        WARD__IPC_SLOT_SENT,     /* in the receiver's hands */
        WARD__IPC_SLOT_RELEASED, /* given back, waiting for older slots to go */
};

/* A buffer of the sender's pool; this is what ward_ipc_buf is. */
struct ward__slot {
        uint64_t start, end; /* byte counters in the pool, [start, end) */
        uint8_t *ptr;
        uint64_t len;
        uint32_t seq;
        uint32_t state;
};

struct ward__pool {
        struct ward__ipc_chan_ctl *ctl; /* the direction whose release ring we drain */
        uint8_t *base;
        uint32_t size;
        uint64_t head, tail;         /* byte counters */
        uint32_t seq_head, seq_tail; /* allocation sequence numbers */
        uint64_t rel_tail;           /* private copy of ctl->rel_tail */
        struct ward__slot slots[WARD__IPC_POOL_SLOTS];
};

void ward__pool_init(struct ward__pool *p, struct ward__ipc_chan_ctl *ctl, uint8_t *base,
                     uint32_t size);

/* ward__pool_alloc: a buffer of len bytes. Returns 0 and *ret, -EAGAIN (full
 * now), -EMSGSIZE (can never fit), or -EPROTO (the receiver wrote a bad release). */
int ward__pool_alloc(struct ward__pool *p, uint64_t len, struct ward__slot **ret);

/* ward__pool_can_alloc: would ward__pool_alloc(len) succeed now (after taking the
 * receiver's releases)? 1, 0, or -EPROTO. */
int ward__pool_can_alloc(struct ward__pool *p, uint64_t len);

/* ward__pool_give_back: the application drops a buffer it never sent. */
void ward__pool_give_back(struct ward__pool *p, struct ward__slot *s);

/* ward__pool_collect: take the receiver's releases. Returns how many, or -EPROTO. */
int ward__pool_collect(struct ward__pool *p);

/* ward__pool_owns: is s one of p's slots, held by the application? */
int ward__pool_owns(struct ward__pool *p, const struct ward__slot *s);

/* Receiver side: ward__pool_ref_check validates a reference against the size of
 * the sender's pool (0 or -EPROTO); ward__pool_release hands seq back through the
 * release ring of ctl (our private head in *rel_head). Returns 0 or -EPROTO. */
int ward__pool_ref_check(const struct ward__ipc_pool_ref *ref, uint32_t pool_size);
int ward__pool_release(struct ward__ipc_chan_ctl *ctl, uint64_t *rel_head, uint32_t seq);

#endif
