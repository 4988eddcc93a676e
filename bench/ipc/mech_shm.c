/* mech_shm.c: floor-shm, shared memory and futexes with the payload copied in
 * and out: the copy floor. The client copies size bytes into a shared buffer
 * and wakes the server, which copies them out into a private buffer, copies its
 * reply in and wakes the client, which copies the reply out. Waiters always
 * sleep in FUTEX_WAIT (no spinning), so every hand-over costs a wake and a
 * sleep, as ward's WARD_IPC_WAIT_BLOCK does; the four copies are the ones ward
 * makes on its copying path when, as this benchmark has it, both sides copy
 * out what they receive. */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mech.h"

#define PAGE 4096u
#define GIVE_UP_S 10 /* a client whose server died must not wait forever */

/* The futex words count hand-overs; 128 bytes apart so neither side's line
 * is dragged along with the other's. */
struct shm_ctl {
        _Alignas(128) _Atomic uint32_t req; /* sequence of the last request */
        _Alignas(128) _Atomic uint32_t rep; /* sequence of the last reply */
        _Atomic uint32_t stop;
};

struct shm_state {
        struct shm_ctl *ctl; /* one shared mapping: control page, request, reply */
        char *req_buf, *rep_buf;
        size_t map_len;
        char *mine, *theirs; /* private: what we send, where we copy what we receive */
        uint32_t seq;        /* the client's */
};

static size_t page_up(size_t n)
{
        return (n + PAGE - 1) / PAGE * PAGE;
}

/* Shared (not FUTEX_PRIVATE_FLAG) operations: the word lives in a MAP_SHARED
 * mapping seen by two processes. */
static int futex_wait(_Atomic uint32_t *w, uint32_t val, const struct timespec *timeout)
{
        long r = syscall(SYS_futex, w, FUTEX_WAIT, val, timeout, NULL, 0);
        return r < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
}

static void futex_wake(_Atomic uint32_t *w)
{
        syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int shm_setup(struct mech_ctx *ctx)
{
        struct shm_state *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        ctx->state = s;
        s->map_len = PAGE + 2 * page_up(ctx->size);
        char *p = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                return -errno;
        }
        s->ctl = (struct shm_ctl *)p;
        s->req_buf = p + PAGE;
        s->rep_buf = p + PAGE + page_up(ctx->size);
        return 0;
}

static int alloc_private(struct shm_state *s, size_t size)
{
        s->mine = malloc(size);
        s->theirs = malloc(size);
        if (!s->mine || !s->theirs) {
                return -ENOMEM;
        }
        fill(s->mine, size, 0x5a);
        fill(s->theirs, size, 0);
        return 0;
}

static int shm_serve(struct mech_ctx *ctx)
{
        struct shm_state *s = ctx->state;
        int r = alloc_private(s, ctx->size);
        if (r < 0) {
                return r;
        }
        mech_ready(ctx, 0);
        uint32_t last = 0;
        for (;;) {
                uint32_t v;
                while ((v = atomic_load_explicit(&s->ctl->req, memory_order_acquire)) == last) {
                        r = futex_wait(&s->ctl->req, last, NULL);
                        if (r < 0) {
                                return r;
                        }
                }
                if (atomic_load_explicit(&s->ctl->stop, memory_order_relaxed)) {
                        return 0;
                }
                memcpy(s->theirs, s->req_buf, ctx->size);
                memcpy(s->rep_buf, s->mine, ctx->size);
                atomic_store_explicit(&s->ctl->rep, v, memory_order_release);
                futex_wake(&s->ctl->rep);
                last = v;
        }
}

static int shm_client_open(struct mech_ctx *ctx)
{
        return alloc_private(ctx->state, ctx->size);
}

static int shm_round_trip(struct mech_ctx *ctx)
{
        struct shm_state *s = ctx->state;
        const struct timespec give_up = {.tv_sec = GIVE_UP_S};
        memcpy(s->req_buf, s->mine, ctx->size);
        uint32_t seq = ++s->seq;
        atomic_store_explicit(&s->ctl->req, seq, memory_order_release);
        futex_wake(&s->ctl->req);
        uint32_t v;
        while ((v = atomic_load_explicit(&s->ctl->rep, memory_order_acquire)) != seq) {
                int r = futex_wait(&s->ctl->rep, v, &give_up);
                if (r < 0) {
                        return r;
                }
        }
        memcpy(s->theirs, s->rep_buf, ctx->size);
        return 0;
}

static void shm_client_close(struct mech_ctx *ctx)
{
        struct shm_state *s = ctx->state;
        atomic_store_explicit(&s->ctl->stop, 1, memory_order_relaxed);
        atomic_store_explicit(&s->ctl->req, s->seq + 1, memory_order_release);
        futex_wake(&s->ctl->req);
        free(s->mine);
        free(s->theirs);
}

static void shm_teardown(struct mech_ctx *ctx)
{
        struct shm_state *s = ctx->state;
        if (s && s->ctl) {
                munmap(s->ctl, s->map_len);
        }
        free(s);
        ctx->state = NULL;
}

const struct mech mech_floor_shm = {
    .name = "floor-shm",
    .setup = shm_setup,
    .serve = shm_serve,
    .client_open = shm_client_open,
    .round_trip = shm_round_trip,
    .client_close = shm_client_close,
    .teardown = shm_teardown,
};
