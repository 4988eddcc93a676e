/* The connection handshake over SOCK_SEQPACKET: one HELLO packet from the client,
 * one WELCOME packet (with the sealed memfd and a doorbell socket) or REJECT.
 * Decoders take raw packet bytes from an untrusted peer. */
#ifndef WARD_IPC_HANDSHAKE_H
#define WARD_IPC_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#define WARD__HS_MAGIC 0x3143504944524157ull /* "WARDIPC1", little-endian */
#define WARD__HS_VERSION 4u /* 3: a memfd and a doorbell stream socket; 4: pid and start */

enum { WARD__HS_HELLO = 1, WARD__HS_WELCOME = 2, WARD__HS_REJECT = 3, WARD__HS_BYE = 4 };

/* The one packet allowed on the socket after the handshake: "I close on purpose". */
struct ward__bye {
        uint64_t magic;
        uint32_t version;
        uint32_t type;
};

/* Who sends a HELLO or WELCOME, in its own words: its pid and start time
 * (/proc/PID/stat field 22; 0 when unknown). Believed only where the kernel
 * agrees (the pid SO_PEERCRED reports) and /proc shows that same process: then
 * the peer's process itself is watched (a pidfd), not only the socket. */
struct ward__hs_self {
        int32_t pid;
        uint32_t reserved;
        uint64_t start;
};

struct ward__hello {
        uint64_t magic;
        uint32_t version;
        uint32_t type;
        uint32_t ring_bytes; /* wanted, per direction */
        uint32_t pool_bytes;
        uint32_t flags;
        uint32_t reserved;
        struct ward__hs_self self;
};

struct ward__welcome {
        uint64_t magic;
        uint32_t version;
        uint32_t type;  /* WELCOME or REJECT */
        int32_t status; /* REJECT: why (negative errno) */
        uint32_t ring_c2s, pool_c2s, ring_s2c, pool_s2c;
        uint32_t reserved;
        uint64_t total; /* size of the memfd */
        struct ward__hs_self self;
};

/* ward__hello_decode: check a HELLO packet of len bytes. Returns 0 or -EPROTO. */
int ward__hello_decode(const void *buf, size_t len, struct ward__hello *ret);

/* ward__welcome_decode: check a WELCOME/REJECT packet. For REJECT returns its
 * status (a negative errno, -EACCES if it is not a plausible one); for WELCOME
 * returns 0 after checking the sizes give a valid layout of exactly total bytes.
 * Otherwise -EPROTO. */
int ward__welcome_decode(const void *buf, size_t len, struct ward__welcome *ret);

/* ward__bye_decode: is this packet a BYE? 0 or -EPROTO. */
int ward__bye_decode(const void *buf, size_t len);

/* ward__hs_self_fill: our pid and start time, for a HELLO or WELCOME (peer.c). */
void ward__hs_self_fill(struct ward__hs_self *self);

/* ward__clamp_size: a wanted size brought into [lo, cap]: rings rounded up to a
 * power of two, pools up to a multiple of 4 KiB. */
uint32_t ward__clamp_ring(uint32_t want, uint32_t cap);
uint32_t ward__clamp_pool(uint32_t want, uint32_t cap);

#endif
