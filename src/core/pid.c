/* A cached pid, kept right across fork() by an atfork handler. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core/pid.h"

static _Atomic pid_t cached;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void refresh(void)
{
        atomic_store_explicit(&cached, getpid(), memory_order_relaxed);
}

static void init(void)
{
        refresh();
        pthread_atfork(NULL, NULL, refresh);
}

pid_t ward__pid(void)
{
        pid_t p = atomic_load_explicit(&cached, memory_order_relaxed);
        if (p != 0) {
                return p;
        }
        pthread_once(&once, init);
        return atomic_load_explicit(&cached, memory_order_relaxed);
}
