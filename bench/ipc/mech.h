/* mech.h: what ward-bench-ipc knows about a mechanism it measures.
 *
 * Every (mechanism, size, run) cell gets fresh processes. The parent calls
 * setup() (shared resources children inherit across fork), forks the server,
 * which sets up, calls mech_ready() and serves until the client says stop; once
 * the server is ready the parent forks the client, which runs client_open(),
 * times round_trip() many times and ends with client_close(), which also tells
 * the server to stop. After forking both the parent calls release() (drop what
 * only the children should hold), and after both exit, teardown().
 *
 * Every hook returns 0 or a negative errno. ctx is per cell; each process has
 * its own copy of ctx and of what state points to (fork), except memory that
 * setup() mapped shared.
 */
#ifndef BENCH_IPC_MECH_H
#define BENCH_IPC_MECH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_LINE 64 /* cache line */

struct mech_ctx {
        const struct mech *mech;
        size_t size;   /* payload bytes each way */
        unsigned cell; /* unique per cell in this benchmark process */
        char name[96]; /* a name unique to this cell: "ward-bench-<pid>-<cell>" */
        int ready_fd;  /* server: where mech_ready() reports */
        void *state;   /* the mechanism's own */
};

struct mech {
        const char *name;
        size_t only_size;                      /* 0: every size; else the only size it runs at */
        int (*setup)(struct mech_ctx *ctx);    /* parent, before forking; optional */
        void (*release)(struct mech_ctx *ctx); /* parent, after forking both; optional */
        /* server child: set up, mech_ready(ctx, 0), serve until the client stops;
         * an error before mech_ready() is reported to the parent for it */
        int (*serve)(struct mech_ctx *ctx);
        int (*client_open)(struct mech_ctx *ctx);   /* client child */
        int (*round_trip)(struct mech_ctx *ctx);    /* client child, timed */
        void (*client_close)(struct mech_ctx *ctx); /* client child; stops the server */
        void (*teardown)(struct mech_ctx *ctx);     /* parent, after both exited; optional */
};

extern const struct mech mech_floor_pipe;
extern const struct mech mech_floor_spin;
extern const struct mech mech_floor_shm;
extern const struct mech mech_ward_block;
extern const struct mech mech_ward_spin;
extern const struct mech mech_ward_zerocopy_block;
extern const struct mech mech_ward_zerocopy_spin;
extern const struct mech mech_zeromq;
extern const struct mech mech_nng;

/* mech_ready: the server reports that it listens (err 0) or failed to set up. */
void mech_ready(struct mech_ctx *ctx, int err);

/* Zero-copy payloads: write or read only the first and the last cache line of
 * p[0..len). touch_read returns a value derived from the bytes so the reads
 * cannot be optimised away. */
void touch_write(void *p, size_t len, uint8_t v);
uint64_t touch_read(const void *p, size_t len);

/* fill: a recognisable payload for copying mechanisms. */
void fill(void *p, size_t len, uint8_t v);

/* cpu_relax: the spin-wait hint of this CPU. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ volatile("yield" ::: "memory");
#else
        __asm__ volatile("" ::: "memory");
#endif
}

#endif
