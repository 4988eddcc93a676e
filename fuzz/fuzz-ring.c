/* Fuzz the ring consumer: the bytes a hostile producer controls (its head index
 * and every byte of the ring) come from the input; the consumer must reject or
 * walk them without reading outside the ring or the pool. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/layout.h"
#include "ipc/pool.h"
#include "ipc/ring.h"

#define CAP 4096u
#define POOL 8192u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const uint8_t *pool, const struct ward__ipc_pool_ref *ref, volatile uint8_t *sink)
{
        if (ref->len) {
                *sink ^= pool[ref->offset];
                *sink ^= pool[ref->offset + ref->len - 1];
        }
}

static void walk(struct ward__ring_rx *rx, const uint8_t *pool)
{
        volatile uint8_t sink = 0;
        for (int i = 0; i < 1024; i++) {
                struct ward__ipc_rec h;
                const uint8_t *p;
                if (ward__ring_rx_peek(rx, &h, &p) <= 0) {
                        return;
                }
                if (h.flags & WARD__IPC_REC_POOL) {
                        struct ward__ipc_pool_ref ref;
                        memcpy(&ref, p, sizeof(ref));
                        if (ward__pool_ref_check(&ref, POOL) == 0) {
                                touch(pool, &ref, &sink);
                        }
                } else if (h.size) {
                        sink ^= p[0];
                        sink ^= p[h.size - 1];
                }
                ward__ring_rx_advance(rx);
                ward__ring_rx_publish(rx);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__ipc_chan_ctl *ctl = aligned_alloc(WARD__IPC_CACHELINE, sizeof(*ctl));
        uint8_t *ring = malloc(CAP);
        uint8_t *pool = malloc(POOL);
        uint64_t head = 0, start = 0;
        memset(ctl, 0, sizeof(*ctl));
        memset(ring, 0, CAP);
        memset(pool, 0, POOL);
        if (size >= 16) {
                memcpy(&head, data, 8);
                memcpy(&start, data + 8, 8);
                data += 16;
                size -= 16;
        }
        start &= ~(uint64_t)7; /* our own tail is always aligned */
        memcpy(ring, data, size < CAP ? size : CAP);
        atomic_store(&ctl->head, head);
        atomic_store(&ctl->tail, start);
        struct ward__ring_rx rx;
        ward__ring_rx_init(&rx, ctl, ring, CAP);
        rx.tail = rx.head_cache = start;
        walk(&rx, pool);
        free(pool);
        free(ring);
        free(ctl);
        return 0;
}
