/* Pacing a producer at a given rate, shared by ward's and LTTng's paced runs.
 * Events go out in batches of about 100 us worth; between batches the thread
 * sleeps (it does not spin) until the next batch is due, so the core is free
 * as it would be in a program that does work between its events. A producer
 * that falls behind emits at once; either way it stops when its time is up. */
#ifndef BENCH_TRACE_PACE_H
#define BENCH_TRACE_PACE_H

#include <stdint.h>
#include <time.h>

struct pace {
        double rate;      /* events per second */
        uint64_t t0, end; /* CLOCK_MONOTONIC ns */
        long batch;
        long done; /* events handed out so far */
};

static inline uint64_t pace_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void pace_start(struct pace *p, double rate, uint64_t duration_ns)
{
        p->rate = rate;
        p->t0 = pace_now();
        p->end = p->t0 + duration_ns;
        p->batch = rate >= 10000 ? (long)(rate / 10000) : 1;
        p->done = 0;
}

/* pace_next: how many events to emit now, after sleeping until they are due;
 * 0 when the duration is over. */
static inline long pace_next(struct pace *p)
{
        uint64_t due = p->t0 + (uint64_t)((double)p->done * 1e9 / p->rate);
        uint64_t now = pace_now();
        if (due >= p->end || now >= p->end) {
                return 0;
        }
        if (due > now) {
                struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
        p->done += p->batch;
        return p->batch;
}

#endif
