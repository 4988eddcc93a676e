/* Timer sources: one timerfd each, CLOCK_MONOTONIC, relative times. The kernel
 * counts missed periods, so a late loop learns how many it missed. */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop/loop-internal.h"

/* to_timespec: nanoseconds as a relative timespec. */
static struct timespec to_timespec(uint64_t ns)
{
        return (struct timespec){.tv_sec = (time_t)(ns / 1000000000),
                                 .tv_nsec = (long)(ns % 1000000000)};
}

/* arm: program the timerfd. A zero it_value disarms a timerfd, so "as soon as
 * possible" is 1 ns unless the caller asked to disarm (both zero). */
static int arm(int fd, uint64_t first_ns, uint64_t interval_ns)
{
        if (first_ns == 0 && interval_ns != 0) {
                first_ns = 1;
        }
        struct itimerspec its = {.it_value = to_timespec(first_ns),
                                 .it_interval = to_timespec(interval_ns)};
        if (timerfd_settime(fd, 0, &its, NULL) < 0) {
                return -errno;
        }
        return 0;
}

int ward_loop_add_timer(ward_loop *loop, uint64_t first_ns, uint64_t interval_ns, ward_timer_fn fn,
                        void *arg, ward_source **ret)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (!fn) {
                return -EINVAL;
        }
        ward_source *s;
        r = ward__source_new(loop, WARD__SOURCE_TIMER, arg, &s);
        if (r < 0) {
                return r;
        }
        s->u.timer.fn = fn;
        int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        r = fd < 0 ? -errno : ward__source_watch(s, fd, EPOLLIN);
        /* add_timer(0, 0) is a one-shot that fires at once, not a disarmed timer. */
        if (r >= 0) {
                r = arm(fd, first_ns == 0 ? 1 : first_ns, interval_ns);
        }
        if (r < 0) {
                ward__source_destroy(s);
                return r;
        }
        return ward__source_publish(s, ret);
}

int ward_source_set_timer(ward_source *s, uint64_t first_ns, uint64_t interval_ns)
{
        if (!s || s->type != WARD__SOURCE_TIMER || s->dead) {
                return -EINVAL;
        }
        if (ward__loop_forked(s->loop)) {
                return -ECHILD;
        }
        return arm(s->fd, first_ns, interval_ns);
}

int ward__timer_dispatch(ward_source *s)
{
        uint64_t expirations;
        /* EAGAIN: re-armed by set_timer after the event was queued, nothing to do. */
        if (read(s->fd, &expirations, sizeof(expirations)) != sizeof(expirations)) {
                return 0;
        }
        s->u.timer.fn(s, expirations, s->arg);
        return 1;
}
