/* The loop itself: creation, teardown, waiting, dispatch, and the deferred
 * freeing of sources that makes ward_source_free() safe inside callbacks. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop/loop-internal.h"

int ward__loop_check(const ward_loop *loop)
{
        if (!loop) {
                return -EINVAL;
        }
        return ward__loop_forked(loop) ? -ECHILD : 0;
}

int ward_loop_new(ward_loop **ret)
{
        if (!ret) {
                return -EINVAL;
        }
        ward_loop *loop = calloc(1, sizeof(*loop));
        if (!loop) {
                return -ENOMEM;
        }
        /* Everything ward_loop_free looks at is valid before the first failure. */
        loop->pid = ward__pid();
        loop->epfd = -1;
        loop->wake_fd = -1;
        ward__list_init(&loop->sources);
        ward__list_init(&loop->defers);
        ward__list_init(&loop->polls);
        sigemptyset(&loop->signals);
        atomic_init(&loop->stop, false);
        int r = -ENOMEM;
        if (pthread_mutex_init(&loop->post_lock, NULL) != 0) {
                free(loop);
                return r;
        }
        loop->epfd = epoll_create1(EPOLL_CLOEXEC);
        r = loop->epfd < 0 ? -errno : ward__post_init(loop);
        if (r < 0) {
                ward_loop_free(loop);
                return r;
        }
        *ret = loop;
        return 0;
}

ward_loop *ward_loop_free(ward_loop *loop)
{
        /* In a forked child another parent thread may have been halfway through the
         * post queue or the source list at fork time: leave the copy alone. */
        if (!loop || ward__loop_forked(loop)) {
                return NULL;
        }
        /* Freeing under our own dispatch would pull the stack from under it: refuse,
         * and hand the loop back so `loop = ward_loop_free(loop)` keeps it. */
        if (loop->running) {
                return loop;
        }
        while (!ward__list_empty(&loop->sources)) {
                ward__source_destroy(ward__container_of(loop->sources.next, ward_source, all));
        }
        ward__post_fini(loop);
        if (loop->epfd >= 0) {
                close(loop->epfd);
        }
        free(loop);
        return NULL;
}

int ward_loop_get_fd(ward_loop *loop)
{
        int r = ward__loop_check(loop);
        return r < 0 ? r : loop->epfd;
}

void ward_loop_stop(ward_loop *loop)
{
        if (!loop || ward__loop_forked(loop)) {
                return;
        }
        atomic_store(&loop->stop, true);
        ward__wake_write(loop);
}

int ward_loop_run(ward_loop *loop)
{
        /* Lendable only here (lend.c: why), and only by the outermost run: a
         * nested one (from a callback) fails with -EBUSY and changes nothing. */
        int r = ward__loop_check(loop);
        bool outermost = r == 0 && !loop->running;
        if (outermost) {
                loop->lendable = true;
        }
        for (;;) {
                r = ward_loop_run_once(loop, UINT64_MAX);
                /* Consumed here, so the loop can be run again after a stop. */
                if (r < 0 || atomic_exchange(&loop->stop, false)) {
                        break;
                }
        }
        if (outermost) {
                loop->lendable = false;
        }
        return r < 0 ? r : 0;
}

/* timeout_ms: epoll's millisecond timeout for timeout_ns, rounded up so the loop
 * never wakes before the caller's deadline and spins on it. */
static int timeout_ms(uint64_t timeout_ns)
{
        if (timeout_ns == UINT64_MAX) {
                return -1;
        }
        uint64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
        return ms > INT_MAX ? INT_MAX : (int)ms;
}

int ward__loop_wait(ward_loop *loop, uint64_t timeout_ns)
{
        /* Posts also make the wake fd readable; the flag only saves a round trip. */
        if (loop->n_defers > 0 ||
            atomic_load_explicit(&loop->posts_pending, memory_order_relaxed)) {
                timeout_ns = 0;
        }
        /* Only a wait that sleeps lends the loop (lend.c): a spinning or
         * non-blocking owner keeps it. */
        bool lend = timeout_ns != 0 && loop->lendable;
        if (lend) {
                ward__loop_park(loop);
        }
        int n = epoll_wait(loop->epfd, loop->events, WARD__LOOP_MAX_EVENTS, timeout_ms(timeout_ns));
        int err = errno;
        if (lend) {
                ward__loop_unpark(loop);
        }
        if (n < 0) {
                return err == EINTR ? 0 : -err;
        }
        return n;
}

/* dispatch_event: hand one epoll event to its source's type. */
static int dispatch_event(ward_source *s, uint32_t events)
{
        switch (s->type) {
        case WARD__SOURCE_IO:
                return ward__io_dispatch(s, events);
        case WARD__SOURCE_TIMER:
                return ward__timer_dispatch(s);
        case WARD__SOURCE_SIGNAL:
                return ward__signal_dispatch(s);
        case WARD__SOURCE_CHILD:
                return ward__child_dispatch(s);
        case WARD__SOURCE_DEFER:
        case WARD__SOURCE_POLL:
                break;
        }
        return 0;
}

/* dispatch: run posts, defers, then the n epoll events in loop->events. */
static int dispatch(ward_loop *loop, int n)
{
        /* The wake fd is cleared before the post queue is drained: a post queued
         * after the drain then writes the fd again, so no wake-up is lost. */
        for (int i = 0; i < n; i++) {
                if (!loop->events[i].data.ptr) {
                        ward__wake_clear(loop);
                }
        }
        int count = ward__post_drain(loop);
        count += ward__defer_run(loop);
        for (int i = 0; i < n; i++) {
                ward_source *s = loop->events[i].data.ptr;
                /* A callback earlier in this batch may have freed s: it is dead
                 * but not yet reclaimed, so this check is safe. */
                if (s && !s->dead) {
                        count += dispatch_event(s, loop->events[i].events);
                }
        }
        return count;
}

int ward_loop_run_once(ward_loop *loop, uint64_t timeout_ns)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (loop->running) {
                return -EBUSY;
        }
        loop->running = true;
        r = loop->n_polls > 0 ? ward__poll_wait(loop, timeout_ns)
                              : ward__loop_wait(loop, timeout_ns);
        if (r >= 0) {
                r = dispatch(loop, r);
        }
        loop->running = false;
        ward__loop_reap(loop);
        return r;
}

int ward__source_new(ward_loop *loop, enum ward__source_type type, void *arg, ward_source **ret)
{
        ward_source *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        s->loop = loop;
        s->type = type;
        s->fd = -1;
        s->arg = arg;
        ward__list_init(&s->kind);
        ward__list_append(&loop->sources, &s->all);
        *ret = s;
        return 0;
}

int ward__source_watch(ward_source *s, int fd, uint32_t events)
{
        s->fd = fd;
        struct epoll_event ev = {.events = events, .data.ptr = s};
        if (epoll_ctl(s->loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                return -errno;
        }
        s->in_epoll = true;
        return 0;
}

void ward__source_unwatch(ward_source *s)
{
        if (s->in_epoll) {
                /* Can only fail if the caller closed an io fd before freeing its
                 * source; the kernel then dropped the registration already. */
                (void)epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
                s->in_epoll = false;
        }
}

void ward__source_destroy(ward_source *s)
{
        ward__list_unlink(&s->all);
        ward__list_unlink(&s->kind);
        if (s->type != WARD__SOURCE_IO && s->fd >= 0) {
                close(s->fd);
        }
        free(s);
}

/* detach: undo what the source's type recorded in the loop. */
static void detach(ward_source *s)
{
        ward_loop *loop = s->loop;
        switch (s->type) {
        case WARD__SOURCE_SIGNAL:
                sigdelset(&loop->signals, s->u.signal.signo);
                break;
        case WARD__SOURCE_POLL:
                loop->n_polls--;
                break;
        case WARD__SOURCE_DEFER:
                loop->n_defers--;
                break;
        case WARD__SOURCE_IO:
        case WARD__SOURCE_TIMER:
        case WARD__SOURCE_CHILD:
                break;
        }
}

void ward__source_kill(ward_source *s)
{
        ward_loop *loop = s->loop;
        s->dead = true;
        ward__source_unwatch(s);
        detach(s);
        if (loop->running) {
                s->next_dead = loop->dead;
                loop->dead = s;
        } else {
                ward__source_destroy(s);
        }
}

void ward__loop_reap(ward_loop *loop)
{
        while (loop->dead) {
                ward_source *s = loop->dead;
                loop->dead = s->next_dead;
                ward__source_destroy(s);
        }
}

ward_source *ward_source_free(ward_source *s)
{
        /* A dead source is already on its way out: freeing it twice from inside
         * the same dispatch is harmless. */
        if (s && !ward__loop_forked(s->loop) && !s->dead) {
                ward__source_kill(s);
        }
        return NULL;
}

ward_loop *ward_source_get_loop(ward_source *s)
{
        return s ? s->loop : NULL;
}
