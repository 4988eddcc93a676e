/* The tracer's own threads (the flushers, the reaper): how they start and
 * how they are woken. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "core/futex.h"
#include "trace/tracer.h"

int ward__trace_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
        /* none of the program's signals: started by WARD_TRACE before main
         * blocks SIGTERM for its loop, one would otherwise be the thread a
         * process-directed SIGTERM kills us in. The signals of a fault stay
         * open: blocked, a fault in one of these would kill the process
         * without running a crash handler (the guardian's, ward/guard.h) */
        static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT};
        sigset_t all, old;
        sigfillset(&all);
        for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
                sigdelset(&all, faults[i]);
        }
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = pthread_create(thread, NULL, fn, arg);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                return -r;
        }
        struct sched_param none = {0};
        pthread_setschedparam(*thread, SCHED_BATCH, &none); /* refused: it stays as it is */
        return 0;
}

void ward__trace_futex_wake(atomic_uint *word)
{
        int saved = errno; /* a producer's: the traced program's */
        ward__futex(word, FUTEX_WAKE_PRIVATE, 1, NULL);
        errno = saved;
}
