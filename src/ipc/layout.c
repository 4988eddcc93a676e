/* Layout of a connection's mapping, computed the same way by both sides. */
#include <errno.h>

#include "ipc/layout.h"

static size_t align_up(size_t v, size_t a)
{
        return (v + a - 1) & ~(a - 1);
}

static int sizes_valid(uint32_t ring, uint32_t pool)
{
        int ring_ok =
            ring >= WARD__IPC_RING_MIN && ring <= WARD__IPC_RING_MAX && (ring & (ring - 1)) == 0;
        int pool_ok = pool <= WARD__IPC_POOL_MAX && pool % WARD__IPC_POOL_ALIGN == 0;
        return ring_ok && pool_ok;
}

/* place: lay out one direction from *off on, advancing *off. */
static void place(struct ward__ipc_chan_layout *ch, uint32_t ring, uint32_t pool, size_t *off)
{
        ch->ctl_off = *off;
        *off = align_up(*off + sizeof(struct ward__ipc_chan_ctl), WARD__IPC_POOL_ALIGN);
        ch->ring_off = *off;
        ch->ring_bytes = ring;
        *off += ring;
        ch->pool_off = *off;
        ch->pool_bytes = pool;
        *off += pool;
}

int ward__ipc_layout_compute(uint32_t ring_c2s, uint32_t pool_c2s, uint32_t ring_s2c,
                             uint32_t pool_s2c, struct ward__ipc_layout *ret)
{
        if (!sizes_valid(ring_c2s, pool_c2s) || !sizes_valid(ring_s2c, pool_s2c)) {
                return -EINVAL;
        }
        size_t off = 0;
        place(&ret->c2s, ring_c2s, pool_c2s, &off);
        place(&ret->s2c, ring_s2c, pool_s2c, &off);
        ret->total = off;
        return 0;
}
