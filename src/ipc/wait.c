/* Waiting for the peer: spin as the policy allows, then sleep on a futex in the
 * shared mapping. Sleeps are cut into slices so a dead peer (its process gone,
 * or the socket at EOF) is noticed within one slice even though a dead process
 * never wakes the futex. */
#include <errno.h>
#include <stdatomic.h>

#include "ipc/ipc-internal.h"
#include "ipc/wake.h"

#define SLICE_NS 10000000ull     /* how often a sleeper checks that the peer lives */
#define SPIN_CHECK_NS 1000000ull /* how often a spinner does */
#define SPIN_CLOCK_EVERY 128     /* spin iterations between clock reads */

uint64_t ward__deadline(uint64_t timeout_ns)
{
        uint64_t now = ward_now_ns();
        return timeout_ns >= UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

static int rx_ready(ward_ipc_conn *c, const void *arg)
{
        (void)arg;
        return ward__ring_rx_ready(&c->rx);
}

/* spin: call cond until it holds, the spin budget or deadline ends, or the peer
 * is gone. Returns 1 (cond holds), 0 (budget over), -ETIMEDOUT or the error. */
static int spin(ward_ipc_conn *c, uint64_t deadline, ward__cond_fn cond, const void *arg)
{
        uint64_t now = ward_now_ns(), checked = now;
        uint64_t until = c->opts.wait == WARD_IPC_WAIT_SPIN ? UINT64_MAX : now + c->opts.spin_ns;
        for (unsigned i = 1;; i++) {
                if (cond(c, arg)) {
                        return 1;
                }
                ward__cpu_relax();
                if (i % SPIN_CLOCK_EVERY) {
                        continue;
                }
                now = ward_now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                if (now - checked >= SPIN_CHECK_NS) {
                        checked = now;
                        if (ward__conn_check_peer(c) < 0) {
                                return c->error;
                        }
                }
                if (now >= until) {
                        return 0;
                }
        }
}

/* sleep_on: announce sleep in *sleep, re-check cond, sleep one slice on *futex. */
static int sleep_on(ward_ipc_conn *c, _Atomic uint32_t *sleep, _Atomic uint32_t *futex,
                    uint64_t deadline, ward__cond_fn cond, const void *arg)
{
        uint64_t now = ward_now_ns();
        if (now >= deadline) {
                return -ETIMEDOUT;
        }
        uint64_t slice = deadline - now < SLICE_NS ? deadline - now : SLICE_NS;
        uint32_t v = atomic_load(futex);
        atomic_store(sleep, WARD__IPC_SLEEP_FUTEX);
        atomic_thread_fence(memory_order_seq_cst); /* announce, then look: never the reverse */
        if (!cond(c, arg)) {
                ward__futex_wait(futex, v, slice);
        }
        atomic_store(sleep, WARD__IPC_AWAKE);
        return 0;
}

/* wait_for: the common wait: spin per policy, then sleep in slices. */
static int wait_for(ward_ipc_conn *c, _Atomic uint32_t *sleep, _Atomic uint32_t *futex,
                    uint64_t deadline, ward__cond_fn cond, const void *arg)
{
        if (c->opts.wait != WARD_IPC_WAIT_BLOCK) {
                int r = spin(c, deadline, cond, arg);
                if (r != 0) {
                        return r < 0 ? r : 0;
                }
        }
        for (;;) {
                if (cond(c, arg)) {
                        return 0;
                }
                int r = sleep_on(c, sleep, futex, deadline, cond, arg);
                if (r < 0) {
                        return r;
                }
                if (cond(c, arg)) {
                        return 0;
                }
                if (ward__conn_check_peer(c) < 0) {
                        return c->error;
                }
        }
}

int ward__conn_wait_rx(ward_ipc_conn *c, uint64_t deadline)
{
        struct ward__ipc_chan_ctl *ctl = c->rx.ctl;
        return wait_for(c, &ctl->consumer_sleep, &ctl->consumer_futex, deadline, rx_ready, NULL);
}

int ward__conn_wait_space(ward_ipc_conn *c, uint64_t deadline, ward__cond_fn has_space,
                          const void *arg)
{
        struct ward__ipc_chan_ctl *ctl = c->tx.ctl;
        if (!c->is_server_side && c->depth == 0) {
                /* drain replies meanwhile: a server blocked on a full reply ring
                 * is waiting for exactly that */
                ward__conn_dispatch(c);
        }
        if (c->closing) {
                return -ECANCELED; /* a callback closed c meanwhile */
        }
        if (c->error) {
                return c->error;
        }
        return wait_for(c, &ctl->producer_sleep, &ctl->producer_futex, deadline, has_space, arg);
}
