/* Zero-copy pool allocator (sender side) and release ring (both sides). */
#include <errno.h>
#include <string.h>

#include "ipc/pool.h"

#define SLOT_MASK (WARD__IPC_POOL_SLOTS - 1)

void ward__pool_init(struct ward__pool *p, struct ward__ipc_chan_ctl *ctl, uint8_t *base,
                     uint32_t size)
{
        memset(p, 0, sizeof(*p));
        p->ctl = ctl;
        p->base = base;
        p->size = size;
}

/* advance: free the oldest slots, in order, while they are released. */
static void advance(struct ward__pool *p)
{
        while (p->seq_tail != p->seq_head) {
                struct ward__slot *s = &p->slots[p->seq_tail & SLOT_MASK];
                if (s->state != WARD__IPC_SLOT_RELEASED) {
                        break;
                }
                p->tail = s->end;
                s->state = WARD__IPC_SLOT_FREE;
                p->seq_tail++;
        }
        if (p->seq_tail == p->seq_head && p->size) {
                /* empty: start again at offset 0, so a steady stream of calls keeps
                 * reusing the same warm pages instead of faulting in the whole pool */
                p->head = (p->head + p->size - 1) / p->size * p->size;
                p->tail = p->head;
        }
}

static int take_release(struct ward__pool *p, uint32_t seq)
{
        struct ward__slot *s = &p->slots[seq & SLOT_MASK];
        if (s->state != WARD__IPC_SLOT_SENT || s->seq != seq) {
                return -EPROTO;
        }
        s->state = WARD__IPC_SLOT_RELEASED;
        return 0;
}

int ward__pool_collect(struct ward__pool *p)
{
        uint64_t h = atomic_load_explicit(&p->ctl->rel_head, memory_order_acquire);
        if (h < p->rel_tail || h - p->rel_tail > WARD__IPC_POOL_SLOTS) {
                return -EPROTO;
        }
        int n = 0;
        for (; p->rel_tail != h; p->rel_tail++, n++) {
                uint32_t seq = atomic_load_explicit(&p->ctl->rel[p->rel_tail & SLOT_MASK],
                                                    memory_order_relaxed);
                if (take_release(p, seq) < 0) {
                        return -EPROTO;
                }
        }
        atomic_store_explicit(&p->ctl->rel_tail, p->rel_tail, memory_order_release);
        advance(p);
        return n;
}

/* place: where a buffer of alen bytes would start, or -EAGAIN if it does not fit. */
static int place(struct ward__pool *p, uint64_t alen, uint64_t *ret_start)
{
        uint64_t pos = p->head % p->size;
        uint64_t skip = pos + alen > p->size ? p->size - pos : 0;
        if (p->seq_head - p->seq_tail >= WARD__IPC_POOL_SLOTS ||
            p->head + skip + alen - p->tail > p->size) {
                return -EAGAIN;
        }
        *ret_start = p->head + skip;
        return 0;
}

static uint64_t alloc_len(uint64_t len)
{
        uint64_t alen = (len + WARD__IPC_CACHELINE - 1) & ~(uint64_t)(WARD__IPC_CACHELINE - 1);
        return alen ? alen : WARD__IPC_CACHELINE;
}

int ward__pool_can_alloc(struct ward__pool *p, uint64_t len)
{
        uint64_t start, alen = alloc_len(len);
        int r = ward__pool_collect(p);
        if (r < 0) {
                return r;
        }
        /* a buffer that can never fit is "allocatable": alloc reports -EMSGSIZE */
        return alen > p->size || place(p, alen, &start) == 0;
}

int ward__pool_alloc(struct ward__pool *p, uint64_t len, struct ward__slot **ret)
{
        uint64_t start, alen = alloc_len(len);
        if (len > p->size || alen > p->size) {
                return -EMSGSIZE;
        }
        int r = place(p, alen, &start);
        if (r == -EAGAIN) {
                r = ward__pool_collect(p);
                r = r < 0 ? r : place(p, alen, &start);
        }
        if (r < 0) {
                return r;
        }
        struct ward__slot *s = &p->slots[p->seq_head & SLOT_MASK];
        *s = (struct ward__slot){.start = start,
                                 .end = start + alen,
                                 .ptr = p->base + start % p->size,
                                 .len = len,
                                 .seq = p->seq_head,
                                 .state = WARD__IPC_SLOT_HELD};
        p->head = s->end;
        p->seq_head++;
        *ret = s;
        return 0;
}

void ward__pool_give_back(struct ward__pool *p, struct ward__slot *s)
{
        s->state = WARD__IPC_SLOT_RELEASED;
        advance(p);
}

int ward__pool_owns(struct ward__pool *p, const struct ward__slot *s)
{
        return s >= p->slots && s < p->slots + WARD__IPC_POOL_SLOTS &&
               s->state == WARD__IPC_SLOT_HELD;
}

int ward__pool_ref_check(const struct ward__ipc_pool_ref *ref, uint32_t pool_size)
{
        if (ref->offset > pool_size || ref->len > pool_size - ref->offset) {
                return -EPROTO;
        }
        return 0;
}

int ward__pool_release(struct ward__ipc_chan_ctl *ctl, uint64_t *rel_head, uint32_t seq)
{
        uint64_t t = atomic_load_explicit(&ctl->rel_tail, memory_order_acquire);
        if (t > *rel_head || *rel_head - t >= WARD__IPC_POOL_SLOTS) {
                return -EPROTO;
        }
        atomic_store_explicit(&ctl->rel[*rel_head & SLOT_MASK], seq, memory_order_relaxed);
        (*rel_head)++;
        atomic_store_explicit(&ctl->rel_head, *rel_head, memory_order_release);
        return 0;
}
