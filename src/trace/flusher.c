/* The background flusher: one thread per lane (tracer.h). Each writes its
 * lane's threads' pending events to their files every flush interval, and
 * at once when one of their rings crosses the watermark (ward__trace_kick);
 * it frees the slots of exited threads. Lane 0 also picks up a level set
 * from outside (`ward trace level PID LEVEL`), starts the thread of a lane
 * once one of its rings is busy (and writes that lane's slots until then),
 * and starts the reaper once a file nears its rotation: a process that
 * traces little has one flusher. A lane none of whose slots is taken
 * sleeps until a thread claims one (ward__trace_wake_idle).
 *
 * Sleeping and waking is a futex on the lane's kick_seq. The flusher
 * announces that it sleeps, then looks at its rings; a producer publishes its
 * write position (or its claim), then looks at the announcement (both with a
 * full fence between): either the flusher sees the ring over the watermark
 * (or the slot taken) and does not sleep (or sleeps with its timer), or the
 * producer sees it asleep and wakes it. kick_pending, cleared before each
 * sleep, keeps it to one futex wake per sleep however many producers ask. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <ward/time.h>

#include "core/futex.h"
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

/* lane_running: lane has a thread of its own (lane 0 always has); lane 0
 * flushes the others until they do. */
static int lane_running(struct ward__tracer *tr, uint32_t lane)
{
        return lane == 0 || atomic_load_explicit(&tr->lanes[lane].running, memory_order_acquire);
}

void ward__trace_kick(struct ward__tracer *tr, uint32_t lane)
{
        struct ward__trace_lane *l = &tr->lanes[lane_running(tr, lane) ? lane : 0];
        atomic_thread_fence(memory_order_seq_cst); /* our write position, then the flag */
        if (!atomic_load_explicit(&l->sleeping, memory_order_acquire) ||
            atomic_exchange_explicit(&l->kick_pending, 1, memory_order_relaxed)) {
                return;
        }
        atomic_fetch_add(&l->kick_seq, 1);
        ward__trace_futex_wake(&l->kick_seq);
        count(&tr->stats.kicks);
}

void ward__trace_wake_idle(struct ward__tracer *tr, uint32_t lane)
{
        struct ward__trace_lane *l = &tr->lanes[lane]; /* without a thread: never idle */
        atomic_thread_fence(memory_order_seq_cst);     /* our claim, then the flag */
        if (atomic_load(&l->idle)) {
                atomic_fetch_add(&l->kick_seq, 1);
                ward__trace_futex_wake(&l->kick_seq);
        }
}

/* What a lane's slots need of its flusher now. */
enum lane_need { LANE_IDLE, LANE_TIMER, LANE_NOW };

/* lane_fill: the most bytes pending in a taken ring of the lane, or -1
 * when none of its slots is taken. */
static int64_t lane_fill(struct ward__tracer *tr, uint32_t lane)
{
        int64_t most = -1;
        uint32_t n = ward__trace_slots_seen(tr);
        for (uint32_t i = lane; i < n; i += tr->nlanes) {
                struct ward__trace_slot *h = ward__trace_slot_hdr(tr, i);
                if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == WARD__TRACE_SLOT_FREE) {
                        continue;
                }
                uint64_t fill = __atomic_load_n(&h->write, __ATOMIC_ACQUIRE) -
                                __atomic_load_n(&h->read, __ATOMIC_RELAXED);
                most = (int64_t)fill > most ? (int64_t)fill : most;
        }
        return most;
}

/* one_lane_need: NOW when a ring of the lane is at least at the watermark,
 * TIMER when a slot is taken, IDLE when none is. */
static enum lane_need one_lane_need(struct ward__tracer *tr, uint32_t lane)
{
        int64_t fill = lane_fill(tr, lane);
        if (fill < 0) {
                return LANE_IDLE;
        }
        return (uint64_t)fill >= WARD__TRACE_WATERMARK(tr->opts.buffer_size) ? LANE_NOW
                                                                             : LANE_TIMER;
}

/* How a lane's sleep ended. */
enum woke { WOKE_TIMER, WOKE_KICK, WOKE_FROM_IDLE };

/* lane_need: what the slots l writes need: its own, and for lane 0 those
 * of the lanes without a thread yet. */
static enum lane_need lane_need(struct ward__tracer *tr, uint32_t lane)
{
        enum lane_need need = one_lane_need(tr, lane);
        for (uint32_t k = 1; lane == 0 && need != LANE_NOW && k < tr->nlanes; k++) {
                if (!lane_running(tr, k)) {
                        enum lane_need other = one_lane_need(tr, k);
                        need = other > need ? other : need;
                }
        }
        return need;
}

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
                        ward__futex(&l->kick_seq, FUTEX_WAIT_PRIVATE, seq, NULL);
                }
                atomic_store(&l->idle, 0);
                atomic_store(&l->sleeping, 0);
                return WOKE_FROM_IDLE;
        }
        uint64_t now = ward_now_ns();
        if (now < deadline) {
                uint64_t ns = deadline - now;
                struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
                ward__futex(&l->kick_seq, FUTEX_WAIT_PRIVATE, seq, &ts);
        }
        atomic_store(&l->sleeping, 0);
        int kicked = atomic_load(&l->kick_seq) != seq;
        count(kicked ? &tr->stats.wakeups_kick : &tr->stats.wakeups_timer);
        return kicked ? WOKE_KICK : WOKE_TIMER;
}

/* start_lane: lane's thread (ward__trace_thread_start). 0 or -errno. */
static int start_lane(struct ward__tracer *tr, uint32_t lane);

/* start_needed_threads: lane 0 starts the thread of a lane when one of its
 * rings is busy (until then lane 0 writes them), and the reaper
 * when a file nears its rotation; a thread that cannot be started is not
 * tried again (lane 0 goes on doing its work). */
static void start_needed_threads(struct ward__tracer *tr)
{
        for (uint32_t k = 1; k < tr->nlanes; k++) {
                struct ward__trace_lane *l = &tr->lanes[k];
                /* busy: a ring an eighth full (about 3 M events a second,
                 * or lane 0 is behind) */
                if (!lane_running(tr, k) && !l->start_failed &&
                    lane_fill(tr, k) >= (int64_t)(tr->opts.buffer_size / 8)) {
                        l->start_failed = start_lane(tr, k) < 0;
                }
        }
        if (atomic_load(&tr->rotation_near) && !atomic_load(&tr->reaper.running) &&
            !tr->reaper.start_failed) {
                tr->reaper.start_failed = ward__trace_reaper_start(tr) < 0;
        }
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
                for (uint32_t k = 0; k < tr->nlanes; k++) {
                        if (k != l->index && (l->index != 0 || lane_running(tr, k))) {
                                continue; /* lane 0 writes those without a thread */
                        }
                        if (ward__trace_flush_pass(tr, k, 0, PASS_QUANTUM, &more) == -EBUSY) {
                                return; /* ward_trace_flush is writing: it drains all */
                        }
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
                if (l->index == 0 && !atomic_load(&tr->stop)) {
                        start_needed_threads(tr);
                }
                if (woke == WOKE_KICK || now >= next_flush) {
                        flush_passes(l);
                        next_flush = ward_now_ns() + interval;
                }
        }
        return NULL;
}

static int start_lane(struct ward__tracer *tr, uint32_t lane)
{
        struct ward__trace_lane *l = &tr->lanes[lane];
        int r = ward__trace_thread_start(&l->thread, flusher_main, l);
        if (r == 0) {
                atomic_store_explicit(&l->running, 1, memory_order_release);
        }
        return r;
}

int ward__trace_flusher_start(struct ward__tracer *tr)
{
        for (uint32_t i = 0; i < tr->nlanes; i++) {
                tr->lanes[i].tr = tr;
                tr->lanes[i].index = i;
        }
        return start_lane(tr, 0); /* lane 0 starts the others when needed */
}

void ward__trace_flusher_stop(struct ward__tracer *tr)
{
        atomic_store(&tr->stop, 1);
        for (uint32_t i = 0; i < tr->nlanes; i++) {
                struct ward__trace_lane *l = &tr->lanes[i];
                atomic_fetch_add(&l->kick_seq, 1); /* after stop: see sleep_until */
                ward__trace_futex_wake(&l->kick_seq);
        }
        /* lane 0 first: it starts no thread once it has returned */
        for (uint32_t i = 0; i < tr->nlanes; i++) {
                struct ward__trace_lane *l = &tr->lanes[i];
                if (atomic_load(&l->running)) {
                        pthread_join(l->thread, NULL);
                        atomic_store(&l->running, 0);
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
