/* io sources: a caller's fd in the loop's epoll set. The loop never owns the fd. */
#include <errno.h>
#include <sys/epoll.h>

#include "loop/loop-internal.h"

int ward_loop_add_io(ward_loop *loop, int fd, uint32_t events, ward_io_fn fn, void *arg,
                     ward_source **ret)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (fd < 0 || !fn) {
                return -EINVAL;
        }
        ward_source *s;
        r = ward__source_new(loop, WARD__SOURCE_IO, arg, &s);
        if (r < 0) {
                return r;
        }
        s->u.io.fn = fn;
        /* epoll_ctl reports -EEXIST itself when fd is already in this loop. */
        r = ward__source_watch(s, fd, events);
        if (r < 0) {
                ward__source_destroy(s);
                return r;
        }
        return ward__source_publish(s, ret);
}

int ward_source_set_io_events(ward_source *s, uint32_t events)
{
        if (!s || s->type != WARD__SOURCE_IO || s->dead) {
                return -EINVAL;
        }
        if (ward__loop_forked(s->loop)) {
                return -ECHILD;
        }
        struct epoll_event ev = {.events = events, .data.ptr = s};
        if (epoll_ctl(s->loop->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0) {
                return -errno;
        }
        return 0;
}

int ward__io_dispatch(ward_source *s, uint32_t events)
{
        s->u.io.fn(s, s->fd, events, s->arg);
        return 1;
}
