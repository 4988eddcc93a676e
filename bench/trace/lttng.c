/* ward-bench-trace-lttng: LTTng-UST tracef() of the same event as the other
 * methods, run by `ward bench trace` inside an active session.
 *
 *   ward-bench-trace-lttng THREADS EVENTS      as fast as possible; prints ns
 *                                              per event (mean of the threads)
 *   ward-bench-trace-lttng pace THREADS RATE MS  each thread at RATE/THREADS
 *                                              events/s for MS ms; prints
 *                                              "emitted N seconds S"
 */
#define _POSIX_C_SOURCE 200809L
#include <lttng/tracef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pace.h"

struct worker {
        long events;
        double rate;
        uint64_t duration_ns;
        double ns;
        long emitted;
};

static void *run(void *arg)
{
        struct worker *w = arg;
        const char *s = "abc";
        for (long i = 0; i < 1000; i++) { /* warm-up: the session registers us */
                tracef("warm-up %ld", i);
        }
        uint64_t t0 = pace_now();
        for (long i = 0; i < w->events; i++) {
                tracef("value %d name %s", (int)i, s);
        }
        w->ns = (double)(pace_now() - t0) / (double)w->events;
        return NULL;
}

/* run_paced: no warm-up, so that every event read back is a paced one */
static void *run_paced(void *arg)
{
        struct worker *w = arg;
        const char *s = "abc";
        struct pace p;
        long i = 0;
        pace_start(&p, w->rate, w->duration_ns);
        for (long n; (n = pace_next(&p)) > 0;) {
                for (long k = 0; k < n; k++, i++) {
                        tracef("value %d name %s", (int)i, s);
                }
        }
        w->emitted = i;
        w->ns = (double)(pace_now() - p.t0);
        return NULL;
}

/* parse: the workers from the command line; -1 when it is not usable */
static int parse(int argc, char **argv, struct worker *w, int *threads, int *paced)
{
        *paced = argc == 5 && strcmp(argv[1], "pace") == 0;
        if (argc != 3 && !*paced) {
                return -1;
        }
        *threads = atoi(argv[1 + *paced]);
        if (*threads < 1 || *threads > 8) {
                return -1;
        }
        for (int i = 0; i < *threads; i++) {
                w[i] = (struct worker){0};
                if (*paced) {
                        w[i].rate = atof(argv[3]) / *threads;
                        w[i].duration_ns = (uint64_t)atol(argv[4]) * 1000000u;
                } else {
                        w[i].events = atol(argv[2]);
                }
                if (*paced ? w[i].rate <= 0 || w[i].duration_ns == 0 : w[i].events < 1) {
                        return -1;
                }
        }
        return 0;
}

int main(int argc, char **argv)
{
        int threads, paced;
        struct worker w[8];
        pthread_t t[8];
        struct timespec settle = {0, 200000000}; /* registration with the session daemon */
        if (parse(argc, argv, w, &threads, &paced) < 0) {
                return 2;
        }
        nanosleep(&settle, NULL);
        for (int i = 0; i < threads; i++) {
                pthread_create(&t[i], NULL, paced ? run_paced : run, &w[i]);
        }
        double sum = 0, longest = 0;
        long emitted = 0;
        for (int i = 0; i < threads; i++) {
                pthread_join(t[i], NULL);
                sum += w[i].ns;
                emitted += w[i].emitted;
                longest = w[i].ns > longest ? w[i].ns : longest;
        }
        if (paced) {
                printf("emitted %ld seconds %.6f\n", emitted, longest / 1e9);
        } else {
                printf("%.2f\n", sum / threads);
        }
        return 0;
}
