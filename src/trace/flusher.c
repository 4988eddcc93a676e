/* The background flusher: one thread per lane (tracer.h). Each writes its
 * lane's threads' pending events to their files every flush interval, and
 * at once when one of their rings crosses the watermark (ward__trace_kick);
 * it frees the slots of exited threads. Lane 0 also picks up a level set
 * from outside (`ward trace level PID LEVEL`). A lane none of whose slots
 * is taken sleeps until a thread claims one (ward__trace_wake_idle).
 *
 * Sleeping and waking is a futex on the lane's kick_seq. The flusher
 * announces that it sleeps, then looks at its rings; a producer publishes its
 * write position (or its claim), then looks at the announcement (both with a
 * full fence between): either the flusher sees the ring over the watermark
 * (or the slot taken) and does not sleep (or sleeps with its timer), or the
 * producer sees it asleep and wakes it. kick_pending, cleared before each
 * sleep, keeps it to one futex wake per sleep however many producers ask. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
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

void ward__trace_kick(struct ward__tracer *tr, uint32_t lane)
{
        struct ward__trace_lane *l = &tr->lanes[lane];
        atomic_thread_fence(memory_order_seq_cst); /* our write position, then the flag */
        if (!atomic_load_explicit(&l->sleeping, memory_order_acquire) ||
            atomic_exchange_explicit(&l->kick_pending, 1, memory_order_relaxed)) {
                return;
        }
        atomic_fetch_add(&l->kick_seq, 1);
        futex_wake(&l->kick_seq);
        count(&tr->stats.kicks);
}

void ward__trace_wake_idle(struct ward__tracer *tr, uint32_t lane)
{
        struct ward__trace_lane *l = &tr->lanes[lane];
        atomic_thread_fence(memory_order_seq_cst); /* our claim, then the flag */
        if (atomic_load(&l->idle)) {
                atomic_fetch_add(&l->kick_seq, 1);
                futex_wake(&l->kick_seq);
        }
}

/* What a lane's slots need of its flusher now. */
enum lane_need { LANE_IDLE, LANE_TIMER, LANE_NOW };

/* lane_need: NOW when a ring of the lane is at least at the watermark,
 * TIMER when a slot is taken, IDLE when none is. */
static enum lane_need lane_need(struct ward__tracer *tr, uint32_t lane)
{
        uint64_t mark = WARD__TRACE_WATERMARK(tr->opts.buffer_size);
        enum lane_need need = LANE_IDLE;
        for (uint32_t i = lane; i < tr->opts.max_threads; i += tr->nlanes) {
                struct ward__trace_slot *h = ward__trace_slot_hdr(tr, i);
                if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == WARD__TRACE_SLOT_FREE) {
                        continue;
                }
                need = LANE_TIMER;
                if (__atomic_load_n(&h->write, __ATOMIC_ACQUIRE) -
                        __atomic_load_n(&h->read, __ATOMIC_RELAXED) >=
                    mark) {
                        return LANE_NOW;
                }
        }
        return need;
}

/* How a lane's sleep ended. */
enum woke { WOKE_TIMER, WOKE_KICK, WOKE_FROM_IDLE };

/* sleep_until: sleep until deadline (CLOCK_MONOTONIC ns) or a kick. A lane
 * other than 0 none of whose slots is taken sleeps, with idle set, until a
 * thread claims one (ward__trace_wake_idle): WOKE_FROM_IDLE, its flush
 * interval starts then. WOKE_KICK is a ring over the watermark, found
 * before sleeping or by a producer's kick. */
static enum woke sleep_until(struct ward__trace_lane *l, uint64_t deadline)
{
        struct ward__tracer *tr = l->tr;
        atomic_store_explicit(&l->kick_pending, 0, memory_order_relaxed);
        unsigned seq = atomic_load(&l->kick_seq);
        atomic_store(&l->sleeping, 1); /* the flag, then the rings */
        atomic_thread_fence(memory_order_seq_cst);
        enum lane_need need = lane_need(tr, l->index);
        if (need == LANE_NOW || atomic_load(&tr->stop)) {
                atomic_store(&l->sleeping, 0);
                return WOKE_KICK;
        }
        if (need == LANE_IDLE && l->index > 0) {
                atomic_store(&l->idle, 1); /* the flag, then the slots again */
                atomic_thread_fence(memory_order_seq_cst);
                if (lane_need(tr, l->index) == LANE_IDLE) {
                        syscall(SYS_futex, &l->kick_seq, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
                }
                atomic_store(&l->idle, 0);
                atomic_store(&l->sleeping, 0);
                return WOKE_FROM_IDLE;
        }
        uint64_t now = ward_now_ns();
        if (now < deadline) {
                uint64_t ns = deadline - now;
                struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
                syscall(SYS_futex, &l->kick_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
        }
        atomic_store(&l->sleeping, 0);
        int kicked = atomic_load(&l->kick_seq) != seq;
        count(kicked ? &tr->stats.wakeups_kick : &tr->stats.wakeups_timer);
        return kicked ? WOKE_KICK : WOKE_TIMER;
}

/* flush_passes: passes of the lane until each of its rings is drained to
 * where it was when the last pass reached it; a producer faster than the
 * disk keeps the flusher here, which is where it should be then. */
static void flush_passes(struct ward__trace_lane *l)
{
        struct ward__tracer *tr = l->tr;
        int more = 1;
        ward__trace_calibrate(tr);
        while (more && !atomic_load(&tr->stop)) {
                more = 0;
                if (ward__trace_flush_pass(tr, l->index, 0, PASS_QUANTUM, &more) == -EBUSY) {
                        return; /* ward_trace_flush is writing: it drains all */
                }
                count(&tr->stats.passes);
                if (l->index == 0) {
                        pick_up_level(tr);
                }
        }
}

static void *flusher_main(void *arg)
{
        struct ward__trace_lane *l = arg;
        struct ward__tracer *tr = l->tr;
        ward__guard_thread_enter(); /* its own alternate stack when guarded */
        if (getenv("XB")) {
                struct sched_param sp = {0};
                pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
        }
        uint64_t interval = tr->opts.flush_interval_ns;
        uint64_t now = ward_now_ns(), next_flush = now + interval, next_poll = now + LEVEL_POLL_NS;
        while (!atomic_load(&tr->stop)) {
                uint64_t deadline =
                    l->index == 0 && next_poll < next_flush ? next_poll : next_flush;
                enum woke woke = sleep_until(l, deadline);
                now = ward_now_ns();
                if (woke == WOKE_FROM_IDLE) {
                        next_flush = now + interval;
                        continue;
                }
                if (l->index == 0 && now >= next_poll) {
                        pick_up_level(tr);
                        next_poll = now + LEVEL_POLL_NS;
                }
                if (woke == WOKE_KICK || now >= next_flush) {
                        flush_passes(l);
                        next_flush = ward_now_ns() + interval;
                }
        }
        return NULL;
}

int ward__trace_flusher_start(struct ward__tracer *tr)
{
        /* the flushers take none of the program's signals: started by
         * WARD_TRACE before main blocks SIGTERM for its loop, one would
         * otherwise be the thread a process-directed SIGTERM kills us in.
         * The signals of a fault stay open: blocked, a fault in a flusher
         * would kill the process without running a crash handler (the
         * guardian's, ward/guard.h) */
        static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT};
        sigset_t all, old;
        sigfillset(&all);
        for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
                sigdelset(&all, faults[i]);
        }
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = 0;
        for (uint32_t i = 0; r == 0 && i < tr->nlanes; i++) {
                struct ward__trace_lane *l = &tr->lanes[i];
                l->tr = tr;
                l->index = i;
                r = pthread_create(&l->thread, NULL, flusher_main, l);
                l->running = r == 0;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                ward__trace_flusher_stop(tr);
                return -r;
        }
        return 0;
}

void ward__trace_flusher_stop(struct ward__tracer *tr)
{
        atomic_store(&tr->stop, 1);
        for (uint32_t i = 0; i < tr->nlanes; i++) {
                struct ward__trace_lane *l = &tr->lanes[i];
                atomic_fetch_add(&l->kick_seq, 1); /* after stop: see sleep_until */
                futex_wake(&l->kick_seq);
        }
        for (uint32_t i = 0; i < tr->nlanes; i++) {
                struct ward__trace_lane *l = &tr->lanes[i];
                if (l->running) {
                        pthread_join(l->thread, NULL);
                        l->running = 0;
                }
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
