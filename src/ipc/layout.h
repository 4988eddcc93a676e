/* The shared-memory layout of one connection, and the wire formats in it.
 *
 * One sealed memfd holds, for each direction (client->server, server->client):
 * a control block (indices and wake-up words, each on its own cache line), a
 * byte ring of records, and a zero-copy pool owned by that direction's sender.
 * Both sides compute the layout from the four sizes in the handshake; no offset
 * is ever read from shared memory. Everything in here is written by one side
 * and may be scribbled on by the other: readers copy, then check.
 */
#ifndef WARD_IPC_LAYOUT_H
#define WARD_IPC_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define WARD__IPC_CACHELINE 64
#define WARD__IPC_RING_MIN (4u << 10)
#define WARD__IPC_RING_MAX (64u << 20)
#define WARD__IPC_POOL_MAX (1u << 30)
#define WARD__IPC_POOL_ALIGN 4096u
#define WARD__IPC_POOL_SLOTS 256u /* buffers in flight per direction; power of two */

/* Sleep states a consumer (or a producer waiting for space) announces. */
enum {
        WARD__IPC_AWAKE = 0,
        WARD__IPC_SLEEP_FUTEX = 1, /* blocked in futex_wait on the matching futex word */
        WARD__IPC_SLEEP_LOOP = 2,  /* back in its event loop, woken by a packet on the socket */
};

struct ward__ipc_line {
        _Alignas(WARD__IPC_CACHELINE) char pad[WARD__IPC_CACHELINE];
};

/* Control block of one direction. */
struct ward__ipc_chan_ctl {
        /* written by the producer */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint64_t head;
        /* written by the consumer */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint64_t tail;
        /* consumer's sleep state (written by both), futex word (bumped by producer) */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint32_t consumer_sleep;
        _Atomic uint32_t consumer_futex;
        /* producer waiting for ring or pool space */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint32_t producer_sleep;
        _Atomic uint32_t producer_futex;
        /* pool buffers given back by the consumer: a ring of sequence numbers */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint64_t rel_head; /* written by the consumer */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint64_t rel_tail; /* written by the producer */
        _Alignas(WARD__IPC_CACHELINE) _Atomic uint32_t rel[WARD__IPC_POOL_SLOTS];
};

/* Where one direction lives inside the mapping. */
struct ward__ipc_chan_layout {
        size_t ctl_off;
        size_t ring_off;
        uint32_t ring_bytes;
        size_t pool_off;
        uint32_t pool_bytes;
};

struct ward__ipc_layout {
        struct ward__ipc_chan_layout c2s, s2c;
        size_t total;
};

/* ward__ipc_layout_compute: the layout for these sizes. Returns 0, or -EINVAL when a
 * size is out of range (ring not a power of two in [RING_MIN, RING_MAX], pool not
 * a multiple of POOL_ALIGN or above POOL_MAX). */
int ward__ipc_layout_compute(uint32_t ring_c2s, uint32_t pool_c2s, uint32_t ring_s2c,
                             uint32_t pool_s2c, struct ward__ipc_layout *ret);

/* Record header in a ring; records are 8-byte aligned and never straddle the end. */
struct ward__ipc_rec {
        uint32_t size; /* payload bytes after the header */
        uint8_t type;  /* enum ward__ipc_rec_type */
        uint8_t flags; /* WARD__IPC_REC_POOL: payload is a struct ward__ipc_pool_ref */
        uint16_t reserved;
        int32_t status;
        uint32_t reserved2;
        uint64_t call_id;
};

enum ward__ipc_rec_type {
        WARD__IPC_REC_PAD = 1, /* filler up to the end of the ring */
        WARD__IPC_REC_REQUEST = 2,
        WARD__IPC_REC_REPLY = 3,
        WARD__IPC_REC_ONEWAY = 4,
};

#define WARD__IPC_REC_POOL 0x1

/* A payload in the sender's pool. */
struct ward__ipc_pool_ref {
        uint64_t offset;
        uint64_t len;
        uint32_t seq; /* handed back through the release ring */
        uint32_t reserved;
};

#endif
