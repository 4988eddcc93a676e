/* mech_spin.c: floor-spin, bare shared-memory cache-line ping-pong: the
 * hardware floor. One cache line carries a sequence number each way; both sides
 * spin with the CPU's pause hint and never make a syscall. The payload size is
 * ignored, so it runs at 64 B only. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "cell.h"
#include "mech.h"

#define STOP UINT64_MAX
#define GIVE_UP_NS 10000000000ull /* a client whose server died must not spin forever */

/* 128 bytes apart: adjacent-line prefetchers fetch cache lines in pairs. */
struct spin_shared {
        _Alignas(128) _Atomic uint64_t ping; /* client -> server */
        _Alignas(128) _Atomic uint64_t pong; /* server -> client */
};

struct spin_state {
        struct spin_shared *sh;
        uint64_t seq; /* the client's */
};

static int spin_setup(struct mech_ctx *ctx)
{
        void *p = mmap(NULL, sizeof(struct spin_shared), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                return -errno;
        }
        struct spin_state *s = calloc(1, sizeof(*s));
        if (!s) {
                munmap(p, sizeof(struct spin_shared));
                return -ENOMEM;
        }
        s->sh = p;
        ctx->state = s;
        return 0;
}

static int spin_serve(struct mech_ctx *ctx)
{
        struct spin_shared *sh = ((struct spin_state *)ctx->state)->sh;
        uint64_t last = 0;
        mech_ready(ctx, 0);
        for (;;) {
                uint64_t v;
                while ((v = atomic_load_explicit(&sh->ping, memory_order_acquire)) == last) {
                        cpu_relax();
                }
                if (v == STOP) {
                        return 0;
                }
                atomic_store_explicit(&sh->pong, v, memory_order_release);
                last = v;
        }
}

static int spin_client_open(struct mech_ctx *ctx)
{
        (void)ctx;
        return 0;
}

/* Only the wait is a loop, and it looks at the clock once in 64 Ki spins. */
static int spin_round_trip(struct mech_ctx *ctx)
{
        struct spin_state *s = ctx->state;
        uint64_t seq = ++s->seq, deadline = 0;
        atomic_store_explicit(&s->sh->ping, seq, memory_order_release);
        for (unsigned n = 1; atomic_load_explicit(&s->sh->pong, memory_order_acquire) != seq; n++) {
                cpu_relax();
                if (n % 65536 != 0) {
                        continue;
                }
                if (!deadline) {
                        deadline = now_ns() + GIVE_UP_NS;
                } else if (now_ns() > deadline) {
                        return -ETIMEDOUT;
                }
        }
        return 0;
}

static void spin_client_close(struct mech_ctx *ctx)
{
        struct spin_state *s = ctx->state;
        atomic_store_explicit(&s->sh->ping, STOP, memory_order_release);
}

static void spin_teardown(struct mech_ctx *ctx)
{
        struct spin_state *s = ctx->state;
        if (s && s->sh) {
                munmap(s->sh, sizeof(*s->sh));
        }
        free(s);
        ctx->state = NULL;
}

const struct mech mech_floor_spin = {
    .name = "floor-spin",
    .only_size = 64,
    .setup = spin_setup,
    .serve = spin_serve,
    .client_open = spin_client_open,
    .round_trip = spin_round_trip,
    .client_close = spin_client_close,
    .teardown = spin_teardown,
};
