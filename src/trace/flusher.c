/* The background flusher: it writes the threads' pending events to their
 * files every flush interval, and at once when a producer's ring crosses the
 * watermark (ward__trace_kick); it frees the slots of exited threads and
 * picks up a level set from outside (`ward trace level PID LEVEL`).
 *
 * Sleeping and waking is a futex on kick_seq. The flusher announces that it
 * sleeps, then looks at the rings; a producer publishes its write position,
 * then looks at the announcement (both with a full fence between): either
 * the flusher sees the ring over the watermark and does not sleep, or the
 * producer sees it asleep and wakes it. kick_pending, cleared before each
 * sleep, keeps it to one futex wake per sleep however many producers ask. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ward/time.h>

#include "guard/guard.h"
#include "trace/tracer.h"

/* The flusher wakes at least every LEVEL_POLL_NS to pick up a level set from
 * outside, and flushes every flush interval. */
#define LEVEL_POLL_NS 20000000u

/* A pass writes at most this much of one thread's ring before it moves to
 * the next thread, so that one fast thread does not keep the others waiting
 * (and their rings filling) while its ring is written. */
#define PASS_QUANTUM (512u * 1024)

static void pick_up_level(struct ward__tracer *tr)
{
        int level = __atomic_load_n(&tr->shm->level, __ATOMIC_RELAXED);
        if (level != tr->last_level && level >= 0 && level <= WARD_TRACE_VERBOSE) {
                tr->last_level = level;
                __atomic_store_n(&ward__trace_level, level, __ATOMIC_RELAXED);
        }
}

static void count(uint64_t *counter)
{
        __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static void futex_wake(atomic_uint *word)
{
        int saved = errno; /* a producer's: the traced program's */
        syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        errno = saved;
}

void ward__trace_kick(struct ward__tracer *tr)
{
        atomic_thread_fence(memory_order_seq_cst); /* our write position, then the flag */
        if (!atomic_load_explicit(&tr->sleeping, memory_order_acquire) ||
            atomic_exchange_explicit(&tr->kick_pending, 1, memory_order_relaxed)) {
                return;
        }
        atomic_fetch_add(&tr->kick_seq, 1);
        futex_wake(&tr->kick_seq);
        count(&tr->stats.kicks);
}

/* over_watermark: some ring is at least at the watermark. */
static int over_watermark(struct ward__tracer *tr)
{
        uint64_t mark = WARD__TRACE_WATERMARK(tr->opts.buffer_size);
        for (uint32_t i = 0; i < tr->opts.max_threads; i++) {
                struct ward__trace_slot *h = ward__trace_slot_hdr(tr, i);
                if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != WARD__TRACE_SLOT_FREE &&
                    __atomic_load_n(&h->write, __ATOMIC_ACQUIRE) -
                            __atomic_load_n(&h->read, __ATOMIC_RELAXED) >=
                        mark) {
                        return 1;
                }
        }
        return 0;
}

/* sleep_until: sleep until deadline (CLOCK_MONOTONIC ns) or a kick. Returns
 * 1 when kicked, or when a ring is already over the watermark (then it does
 * not sleep), 0 at the deadline. */
static int sleep_until(struct ward__tracer *tr, uint64_t deadline)
{
        atomic_store_explicit(&tr->kick_pending, 0, memory_order_relaxed);
        unsigned seq = atomic_load(&tr->kick_seq);
        atomic_store(&tr->sleeping, 1); /* the flag, then the rings */
        atomic_thread_fence(memory_order_seq_cst);
        if (over_watermark(tr) || atomic_load(&tr->stop)) {
                atomic_store(&tr->sleeping, 0);
                return 1;
        }
        uint64_t now = ward_now_ns();
        if (now < deadline) {
                uint64_t ns = deadline - now;
                struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
                syscall(SYS_futex, &tr->kick_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
        }
        atomic_store(&tr->sleeping, 0);
        int kicked = atomic_load(&tr->kick_seq) != seq;
        count(kicked ? &tr->stats.wakeups_kick : &tr->stats.wakeups_timer);
        return kicked;
}

/* flush_passes: passes until every ring is drained to where it was when the
 * last pass reached it; a producer faster than the disk keeps the flusher
 * here, which is where it should be then. */
static void flush_passes(struct ward__tracer *tr)
{
        int more = 1;
        ward__trace_calibrate(tr);
        while (more && !atomic_load(&tr->stop)) {
                more = 0;
                if (ward__trace_flush_pass(tr, 0, PASS_QUANTUM, &more) == -EBUSY) {
                        return; /* ward_trace_flush is writing: it drains all */
                }
                count(&tr->stats.passes);
                pick_up_level(tr);
        }
}

static void *flusher_main(void *arg)
{
        struct ward__tracer *tr = arg;
        ward__guard_thread_enter(); /* its own alternate stack when guarded */
        uint64_t interval = tr->opts.flush_interval_ns;
        uint64_t now = ward_now_ns(), next_flush = now + interval, next_poll = now + LEVEL_POLL_NS;
        while (!atomic_load(&tr->stop)) {
                int kicked = sleep_until(tr, next_flush < next_poll ? next_flush : next_poll);
                now = ward_now_ns();
                if (now >= next_poll) {
                        pick_up_level(tr);
                        next_poll = now + LEVEL_POLL_NS;
                }
                if (kicked || now >= next_flush) {
                        flush_passes(tr);
                        next_flush = ward_now_ns() + interval;
                }
        }
        return NULL;
}

int ward__trace_flusher_start(struct ward__tracer *tr)
{
        /* the flusher takes none of the program's signals: started by
         * WARD_TRACE before main blocks SIGTERM for its loop, it would
         * otherwise be the thread a process-directed SIGTERM kills us in.
         * The signals of a fault stay open: blocked, a fault in the flusher
         * would kill the process without running a crash handler (the
         * guardian's, ward/guard.h) */
        static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT};
        sigset_t all, old;
        sigfillset(&all);
        for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
                sigdelset(&all, faults[i]);
        }
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = pthread_create(&tr->flusher, NULL, flusher_main, tr);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                return -r;
        }
        tr->flusher_running = 1;
        return 0;
}

void ward__trace_flusher_stop(struct ward__tracer *tr)
{
        atomic_store(&tr->stop, 1);
        atomic_fetch_add(&tr->kick_seq, 1); /* after stop: see sleep_until */
        futex_wake(&tr->kick_seq);
        if (tr->flusher_running) {
                pthread_join(tr->flusher, NULL);
                tr->flusher_running = 0;
        }
}

int ward__trace_get_stats(struct ward__trace_stats *out)
{
        struct ward__tracer *tr = __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
        if (!tr) {
                return -ENOTCONN;
        }
        out->kicks = __atomic_load_n(&tr->stats.kicks, __ATOMIC_RELAXED);
        out->wakeups_kick = __atomic_load_n(&tr->stats.wakeups_kick, __ATOMIC_RELAXED);
        out->wakeups_timer = __atomic_load_n(&tr->stats.wakeups_timer, __ATOMIC_RELAXED);
        out->passes = __atomic_load_n(&tr->stats.passes, __ATOMIC_RELAXED);
        return 0;
}
