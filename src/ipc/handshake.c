/* Handshake packet checks. Packets are copied whole before any field is read. */
#include <errno.h>
#include <string.h>

#include "ipc/handshake.h"
#include "ipc/layout.h"

int ward__hello_decode(const void *buf, size_t len, struct ward__hello *ret)
{
        struct ward__hello h;
        if (len != sizeof(h)) {
                return -EPROTO;
        }
        memcpy(&h, buf, sizeof(h));
        if (h.magic != WARD__HS_MAGIC || h.version != WARD__HS_VERSION ||
            h.type != WARD__HS_HELLO || h.flags != 0) {
                return -EPROTO;
        }
        *ret = h;
        return 0;
}

static int reject_status(int32_t status)
{
        switch (status) {
        case -EACCES:
        case -EPERM:
        case -ENOMEM:
        case -EMFILE:
        case -ENFILE:
        case -EBUSY:
        case -EPROTO:
                return status;
        default:
                return -EACCES;
        }
}

int ward__welcome_decode(const void *buf, size_t len, struct ward__welcome *ret)
{
        struct ward__welcome w;
        struct ward__ipc_layout lay;
        if (len != sizeof(w)) {
                return -EPROTO;
        }
        memcpy(&w, buf, sizeof(w));
        if (w.magic != WARD__HS_MAGIC || w.version != WARD__HS_VERSION) {
                return -EPROTO;
        }
        if (w.type == WARD__HS_REJECT) {
                return reject_status(w.status);
        }
        if (w.type != WARD__HS_WELCOME || w.status != 0 ||
            ward__ipc_layout_compute(w.ring_c2s, w.pool_c2s, w.ring_s2c, w.pool_s2c, &lay) < 0 ||
            lay.total != w.total) {
                return -EPROTO;
        }
        *ret = w;
        return 0;
}

int ward__bye_decode(const void *buf, size_t len)
{
        struct ward__bye b;
        if (len != sizeof(b)) {
                return -EPROTO;
        }
        memcpy(&b, buf, sizeof(b));
        if (b.magic != WARD__HS_MAGIC || b.version != WARD__HS_VERSION || b.type != WARD__HS_BYE) {
                return -EPROTO;
        }
        return 0;
}

uint32_t ward__clamp_ring(uint32_t want, uint32_t cap)
{
        uint32_t r = WARD__IPC_RING_MIN;
        while (r < want && r < WARD__IPC_RING_MAX) {
                r <<= 1;
        }
        while (r > cap && r > WARD__IPC_RING_MIN) {
                r >>= 1;
        }
        return r;
}

uint32_t ward__clamp_pool(uint32_t want, uint32_t cap)
{
        uint64_t p =
            ((uint64_t)want + WARD__IPC_POOL_ALIGN - 1) & ~(uint64_t)(WARD__IPC_POOL_ALIGN - 1);
        if (p > cap) {
                p = cap & ~(WARD__IPC_POOL_ALIGN - 1);
        }
        return p > WARD__IPC_POOL_MAX ? WARD__IPC_POOL_MAX : (uint32_t)p;
}
