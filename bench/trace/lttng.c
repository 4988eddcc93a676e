/* ward-bench-trace-lttng THREADS EVENTS: LTTng-UST tracef() of the same
 * event, timed per thread; prints ns per event (mean of the threads). Run by
 * `ward bench trace` inside an active session. */
#define _POSIX_C_SOURCE 200809L
#include <lttng/tracef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct worker {
        long events;
        double ns;
};

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *run(void *arg)
{
        struct worker *w = arg;
        const char *s = "abc";
        for (long i = 0; i < 1000; i++) { /* warm-up: the session registers us */
                tracef("warm-up %ld", i);
        }
        double t0 = now_ns();
        for (long i = 0; i < w->events; i++) {
                tracef("value %d name %s", (int)i, s);
        }
        w->ns = (now_ns() - t0) / (double)w->events;
        return NULL;
}

int main(int argc, char **argv)
{
        int threads = argc > 2 ? atoi(argv[1]) : 1;
        long events = argc > 2 ? atol(argv[2]) : 1000000;
        struct worker w[8];
        pthread_t t[8];
        struct timespec settle = {0, 200000000}; /* registration with the session daemon */
        if (threads < 1 || threads > 8 || events < 1) {
                return 2;
        }
        nanosleep(&settle, NULL);
        for (int i = 0; i < threads; i++) {
                w[i].events = events;
                pthread_create(&t[i], NULL, run, &w[i]);
        }
        double sum = 0;
        for (int i = 0; i < threads; i++) {
                pthread_join(t[i], NULL);
                sum += w[i].ns;
        }
        printf("%.2f\n", sum / threads);
        return 0;
}
