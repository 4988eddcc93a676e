/* The reaper: a thread that closes the last descriptor of trace files that
 * rotation deleted. A file's blocks are freed when its last descriptor
 * closes, which takes 4 to 25 ms for a 64 MiB file on ext4 here. In the
 * flusher that stalled every ring it writes, long enough to fill a 16 MiB
 * ring at 15 M events/s; on this thread it costs the flusher one open and
 * one unlink.
 *
 * Hand-over is a small array of descriptors (stored + 1, so the zeroed
 * tracer is empty) and a futex word: async-signal-safe, since rotation runs
 * in ward_trace_flush too. When the array is full or the thread is not
 * running, the caller closes the file itself. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "core/futex.h"
#include "trace/tracer.h"

/* reap_all: close every descriptor handed over so far. */
static void reap_all(struct ward__trace_reaper *r)
{
        for (unsigned i = 0; i < WARD__TRACE_REAP_MAX; i++) {
                int fd1 = atomic_exchange(&r->fds[i], 0);
                if (fd1 > 0) {
                        close(fd1 - 1);
                }
        }
}

static void *reaper_main(void *arg)
{
        struct ward__trace_reaper *r = arg;
        for (;;) {
                unsigned seq = atomic_load(&r->seq);
                reap_all(r);
                if (atomic_load(&r->stop)) {
                        return NULL;
                }
                ward__futex(&r->seq, FUTEX_WAIT_PRIVATE, seq, NULL);
        }
}

void ward__trace_reap(struct ward__tracer *tr, int fd)
{
        struct ward__trace_reaper *r = &tr->reaper;
        if (fd < 0) {
                return;
        }
        for (unsigned i = 0; atomic_load(&r->running) && i < WARD__TRACE_REAP_MAX; i++) {
                int empty = 0;
                if (atomic_compare_exchange_strong(&r->fds[i], &empty, fd + 1)) {
                        atomic_fetch_add(&r->seq, 1);
                        ward__trace_futex_wake(&r->seq);
                        return;
                }
        }
        int saved = errno;
        close(fd);
        errno = saved;
}

int ward__trace_reaper_start(struct ward__tracer *tr)
{
        struct ward__trace_reaper *r = &tr->reaper;
        int e = ward__trace_thread_start(&r->thread, reaper_main, r);
        if (e == 0) {
                atomic_store(&r->running, 1);
        }
        return e;
}

void ward__trace_reaper_stop(struct ward__tracer *tr)
{
        struct ward__trace_reaper *r = &tr->reaper;
        if (!atomic_load(&r->running)) {
                reap_all(r);
                return;
        }
        atomic_store(&r->running, 0); /* from now on, ward__trace_reap closes */
        atomic_store(&r->stop, 1);
        atomic_fetch_add(&r->seq, 1);
        ward__trace_futex_wake(&r->seq);
        pthread_join(r->thread, NULL);
        reap_all(r); /* handed over while it was stopping */
}

void ward__trace_reaper_forget(struct ward__tracer *tr)
{
        atomic_store(&tr->reaper.running, 0);
        reap_all(&tr->reaper);
}
