/* Lending a sleeping loop to another thread (ward_loop_try_acquire).
 *
 * The owner parks the loop around each blocking epoll_wait of ward_loop_run
 * and takes it back when the wait returns; a borrower may take it only while
 * it is parked. (Not in a bare ward_loop_run_once: a caller looping on it
 * until some condition holds would sleep on, not knowing that a borrower
 * changed it; ward_loop_run returns only for a stop, which wakes it.) So
 * at any moment one thread at most acts for the loop, and the hand-overs are
 * atomic exchanges (acquire on taking, release on giving back) that order
 * everything one did before the other sees the loop. The owner pays two
 * atomic operations per blocking wait and nothing when it does not block.
 *
 * A borrower cannot reorder work: it is refused while posts are queued. A
 * source it frees while the owner holds an epoll batch that names it stays
 * allocated (dead) until the owner's reap after that batch, because the owner
 * is inside ward_loop_run_once (loop->running) the whole time it is parked.
 */
#include <errno.h>

#include "core/futex.h"
#include "loop/loop-internal.h"

static __thread const ward_loop *held; /* the loop this thread borrowed */

void ward__loop_park(ward_loop *loop)
{
        atomic_store_explicit(&loop->loan, WARD__LOAN_PARKED, memory_order_release);
}

void ward__loop_unpark(ward_loop *loop)
{
        uint32_t seen = WARD__LOAN_PARKED;
        for (;;) {
                switch (seen) {
                case WARD__LOAN_PARKED:
                        if (atomic_compare_exchange_weak_explicit(
                                &loop->loan, &seen, WARD__LOAN_OWNED, memory_order_acquire,
                                memory_order_acquire)) {
                                return;
                        }
                        continue;
                case WARD__LOAN_OWNED: /* a borrower handed it straight back to us */
                        return;
                case WARD__LOAN_LENT:
                        if (!atomic_compare_exchange_weak_explicit(
                                &loop->loan, &seen, WARD__LOAN_LENT_WAITED, memory_order_acquire,
                                memory_order_acquire)) {
                                continue;
                        }
                        break;
                default:
                        break;
                }
                ward__futex(&loop->loan, FUTEX_WAIT_PRIVATE, WARD__LOAN_LENT_WAITED, NULL);
                seen = atomic_load_explicit(&loop->loan, memory_order_acquire);
        }
}

bool ward__loop_held(const ward_loop *loop)
{
        return loop && held == loop;
}

int ward_loop_try_acquire(ward_loop *loop)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (held) {
                return -EBUSY; /* one loop at a time, and never the same one twice */
        }
        uint32_t seen = WARD__LOAN_PARKED;
        if (!atomic_compare_exchange_strong_explicit(&loop->loan, &seen, WARD__LOAN_LENT,
                                                     memory_order_acquire, memory_order_relaxed)) {
                return -EBUSY;
        }
        held = loop;
        loop->loan_polls = loop->polls_added;
        /* Work queued before this call runs first, in order: posts (the owner is
         * waking for them) and a borrower's defers (due in the owner's next round,
         * before any later post). */
        if (atomic_load_explicit(&loop->posts_pending, memory_order_relaxed) ||
            loop->n_defers > 0) {
                ward_loop_release(loop);
                return -EBUSY;
        }
        return 0;
}

void ward_loop_release(ward_loop *loop)
{
        if (!ward__loop_held(loop)) {
                return;
        }
        held = NULL;
        if (ward__loop_forked(loop)) {
                return; /* a child's copy: the wake fd is the parent's */
        }
        /* Before giving it back, after which the owner may free the loop. A new
         * poll source must be called before the owner sleeps again (a defer wakes
         * the owner by itself, as for an embedded loop). */
        if (loop->polls_added != loop->loan_polls) {
                ward__wake_write(loop);
        }
        uint32_t seen = WARD__LOAN_LENT;
        if (!atomic_compare_exchange_strong_explicit(&loop->loan, &seen, WARD__LOAN_PARKED,
                                                     memory_order_release, memory_order_relaxed)) {
                /* The owner woke meanwhile and waits: hand the loop straight to it,
                 * or a borrower taking it again and again could starve it. */
                atomic_store_explicit(&loop->loan, WARD__LOAN_OWNED, memory_order_release);
                ward__futex(&loop->loan, FUTEX_WAKE_PRIVATE, 1, NULL);
        }
}
