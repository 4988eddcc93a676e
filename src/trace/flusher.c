/* The background flusher: every flush interval, write the threads' pending
 * events to their files, free the slots of exited threads, and pick up a
 * level set from outside (`ward trace level PID LEVEL`). */
#include <errno.h>
#include <time.h>

#include <ward/time.h>

#include "trace/tracer.h"

static void pick_up_level(struct ward__tracer *tr)
{
        int level = __atomic_load_n(&tr->shm->level, __ATOMIC_RELAXED);
        if (level != tr->last_level && level >= 0 && level <= WARD_TRACE_VERBOSE) {
                tr->last_level = level;
                __atomic_store_n(&ward__trace_level, level, __ATOMIC_RELAXED);
        }
}

/* The flusher wakes at least every LEVEL_POLL_NS to pick up a level set from
 * outside, and flushes every flush interval. */
#define LEVEL_POLL_NS 20000000u

static void *flusher_main(void *arg)
{
        struct ward__tracer *tr = arg;
        uint64_t interval = tr->opts.flush_interval_ns;
        uint64_t tick = interval < LEVEL_POLL_NS ? interval : LEVEL_POLL_NS;
        struct timespec ts = {(time_t)(tick / 1000000000u), (long)(tick % 1000000000u)};
        uint64_t next_flush = ward_now_ns() + interval;
        while (!atomic_load(&tr->stop)) {
                nanosleep(&ts, NULL);
                pick_up_level(tr);
                if (ward_now_ns() >= next_flush) {
                        ward__trace_calibrate(tr);
                        ward__trace_flush_all(tr, 0);
                        next_flush = ward_now_ns() + interval;
                }
        }
        return NULL;
}

int ward__trace_flusher_start(struct ward__tracer *tr)
{
        int r = pthread_create(&tr->flusher, NULL, flusher_main, tr);
        if (r != 0) {
                return -r;
        }
        tr->flusher_running = 1;
        return 0;
}

void ward__trace_flusher_stop(struct ward__tracer *tr)
{
        atomic_store(&tr->stop, 1);
        if (tr->flusher_running) {
                pthread_join(tr->flusher, NULL);
                tr->flusher_running = 0;
        }
}
