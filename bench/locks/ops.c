/* The lock loops: see ops.h. pthread and preload run the same plain pthread
 * code (preload is that code under libward-locks.so); ward and ward-order the
 * same ward_mutex code, with lock-order checking off or on. */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <ward/lock.h>

#include "ops.h"

const char *const variant_names[V_COUNT] = {"pthread", "ward", "ward-order", "preload"};
const char *const case_names[C_COUNT] = {"uncontended", "contended", "nested"};

static pthread_mutex_t pa = PTHREAD_MUTEX_INITIALIZER, pb = PTHREAD_MUTEX_INITIALIZER;
static ward_mutex wa = WARD_MUTEX_INIT("bench-a"), wb = WARD_MUTEX_INIT("bench-b");
static volatile uint64_t shared_counter;

struct loop {
        int ward;
        long n;
};

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lock_unlock(const struct loop *l)
{
        if (l->ward) {
                for (long i = 0; i < l->n; i++) {
                        ward_mutex_lock(&wa);
                        shared_counter++;
                        ward_mutex_unlock(&wa);
                }
        } else {
                for (long i = 0; i < l->n; i++) {
                        pthread_mutex_lock(&pa);
                        shared_counter++;
                        pthread_mutex_unlock(&pa);
                }
        }
}

static void nested(const struct loop *l)
{
        if (l->ward) {
                for (long i = 0; i < l->n; i++) {
                        ward_mutex_lock(&wa);
                        ward_mutex_lock(&wb);
                        shared_counter++;
                        ward_mutex_unlock(&wb);
                        ward_mutex_unlock(&wa);
                }
        } else {
                for (long i = 0; i < l->n; i++) {
                        pthread_mutex_lock(&pa);
                        pthread_mutex_lock(&pb);
                        shared_counter++;
                        pthread_mutex_unlock(&pb);
                        pthread_mutex_unlock(&pa);
                }
        }
}

static void *contender(void *arg)
{
        lock_unlock(arg);
        return NULL;
}

static volatile int idle_stop;

static void *idle(void *arg)
{
        (void)arg;
        while (!idle_stop) {
                usleep(1000);
        }
        return NULL;
}

double ops_run(enum variant v, enum lock_case c, long n)
{
        struct loop l = {.ward = v == V_WARD || v == V_WARD_ORDER, .n = n};
        pthread_t second;
        ward_lock_order_checking(v == V_WARD_ORDER);
        if (c == C_CONTENDED) { /* two threads, n operations in all */
                l.n = n / 2;
                lock_unlock(&l); /* warm: the registry entry, the pages */
                uint64_t t0 = now_ns();
                if (pthread_create(&second, NULL, contender, &l) != 0) {
                        return -1;
                }
                lock_unlock(&l);
                pthread_join(second, NULL);
                return (double)(now_ns() - t0) / (double)(2 * l.n);
        }
        if (pthread_create(&second, NULL, idle, NULL) != 0) {
                return -1;
        }
        void (*loop)(const struct loop *) = c == C_NESTED ? nested : lock_unlock;
        struct loop warm = {l.ward, n / 10 + 1};
        loop(&warm);
        uint64_t t0 = now_ns();
        loop(&l);
        double ns = (double)(now_ns() - t0) / (double)n;
        idle_stop = 1;
        pthread_join(second, NULL);
        return ns;
}
