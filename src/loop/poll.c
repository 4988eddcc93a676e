/* Poll sources and the spin mode they enable (shared-memory IPC spinning).
 *
 * While any poll source says WARD_POLL_BUSY the loop does not sleep: it calls
 * the poll sources again and again, and looks at its epoll fd (without waiting)
 * only about every SPIN_CHECK_NS, reading the clock only every SPIN_CLOCK_EVERY
 * rounds, so a busy round costs the poll calls and a pause instruction. It
 * returns to dispatch when that look finds events, when a post or defer is
 * pending, when ward_loop_stop was called, or when the caller's timeout ran out.
 * Work a poll source finds is handled by its own callbacks inside its poll fn,
 * so the loop need not return for it.
 */
#include <errno.h>
#include <sys/epoll.h>

#include "loop/loop-internal.h"

#define SPIN_CHECK_NS 50000u /* between epoll checks while spinning */
#define SPIN_CLOCK_EVERY 64u /* spin rounds between clock reads */

/* cpu_relax: tell the CPU we are spinning (saves power, frees the sibling
 * hyper-thread, avoids a memory-order flush when the spin ends). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
}

int ward_loop_add_poll(ward_loop *loop, ward_poll_fn fn, void *arg, ward_source **ret)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (!fn) {
                return -EINVAL;
        }
        ward_source *s;
        r = ward__source_new(loop, WARD__SOURCE_POLL, arg, &s);
        if (r < 0) {
                return r;
        }
        s->u.poll.fn = fn;
        ward__list_append(&loop->polls, &s->kind);
        loop->n_polls++;
        loop->polls_added++;
        return ward__source_publish(s, ret);
}

/* call_polls: one round over the poll sources. True when any is busy. A source
 * freed during the round stays linked (dead) until the reap, so walking on is
 * safe; one added during the round is called in it. */
static bool call_polls(ward_loop *loop)
{
        bool busy = false;
        for (struct ward__list *l = loop->polls.next; l != &loop->polls; l = l->next) {
                ward_source *s = ward__container_of(l, ward_source, kind);
                if (!s->dead && s->u.poll.fn(s, s->arg) == WARD_POLL_BUSY) {
                        busy = true;
                }
        }
        return busy;
}

/* must_return: work that only a dispatch can do, or a stop request. Plain loads
 * (relaxed atomics), cheap enough for every spin round. */
static bool must_return(ward_loop *loop)
{
        return loop->n_defers > 0 ||
               atomic_load_explicit(&loop->posts_pending, memory_order_relaxed) ||
               atomic_load_explicit(&loop->stop, memory_order_relaxed);
}

/* remaining: what is left of a deadline (UINT64_MAX: none) at now. */
static uint64_t remaining(uint64_t deadline, uint64_t now)
{
        if (deadline == UINT64_MAX) {
                return UINT64_MAX;
        }
        return deadline > now ? deadline - now : 0;
}

/* spin: call the poll sources until one of the reasons to return (see the top of
 * the file). A fast path: keep it free of syscalls and clock reads per round. */
static int spin(ward_loop *loop, uint64_t timeout_ns)
{
        uint64_t now = ward_now_ns();
        /* Saturate: a huge timeout is forever, not a deadline in the past. */
        uint64_t deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
        uint64_t next_check = now + SPIN_CHECK_NS;
        for (uint32_t round = 1;; round++) {
                if (must_return(loop)) {
                        return ward__loop_wait(loop, 0);
                }
                if (round % SPIN_CLOCK_EVERY == 0) {
                        now = ward_now_ns();
                        if (now >= next_check || now >= deadline) {
                                int n = ward__loop_wait(loop, 0);
                                if (n != 0 || now >= deadline) {
                                        return n;
                                }
                                next_check = now + SPIN_CHECK_NS;
                        }
                }
                cpu_relax();
                /* No batch is in flight between rounds: sources the poll fns freed
                 * can go now rather than pile up during a long spin. */
                if (loop->dead) {
                        ward__loop_reap(loop);
                }
                if (!call_polls(loop)) {
                        return ward__loop_wait(loop, remaining(deadline, ward_now_ns()));
                }
        }
}

int ward__poll_wait(ward_loop *loop, uint64_t timeout_ns)
{
        if (!call_polls(loop) || timeout_ns == 0) {
                return ward__loop_wait(loop, timeout_ns);
        }
        return spin(loop, timeout_ns);
}
