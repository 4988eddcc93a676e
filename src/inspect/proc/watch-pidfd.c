/* The pidfd back-end of the watcher: each watched process held by a pidfd
 * on the loop, readable when it ends. Its status comes from the kernel
 * (PIDFD_INFO_EXIT, once its parent reaped it) or its zombie's stat. The
 * watcher never reaps: the processes belong to their parents. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "inspect/proc/pidfd.h"
#include "inspect/proc/watch-internal.h"

static void on_exit_fd(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct ward__pentry *e = arg;
        struct ward_watch *w = e->w;
        struct ward_watch_event ev = {
            .kind = WARD_WATCH_EXIT, .pid = e->pid, .ppid = e->ppid, .ns = ward_now_ns()};
        (void)s, (void)events;
        if (ward__pidfd_exit_status(fd, e->pid, e->start, &ev.status) < 0) {
                ev.status = -1;
        }
        memcpy(ev.comm, e->comm, sizeof(ev.comm));
        ward__watch_enter(w);
        if (w->timer_armed) {
                ward__watch_entry_end(w, e); /* a rescan may still see its zombie */
        } else {
                ward__watch_entry_drop(w, e);
        }
        if (ward__watch_emit(w, &ev) == 0) {
                ward__watch_arm(w);
        }
        ward__watch_leave(w);
}

int ward__watch_pidfd_add(struct ward_watch *w, struct ward__pentry *e)
{
        int fd = ward__pidfd_open(e->pid);
        if (fd < 0) {
                return fd;
        }
        struct ward__pstat s;
        if (e->start && (ward__pstat_read(e->pid, &s) < 0 || s.start != e->start)) {
                close(fd); /* the pid is another process's now: e ended */
                return -ESRCH;
        }
        int r = ward_loop_add_io(w->loop, fd, EPOLLIN, on_exit_fd, e, &e->src);
        if (r < 0) {
                close(fd);
                return r;
        }
        e->pidfd = fd;
        return 0;
}

void ward__watch_pidfd_remove(struct ward__pentry *e)
{
        if (e->src) {
                ward_source_free(e->src);
                e->src = NULL;
        }
        if (e->pidfd >= 0) {
                close(e->pidfd);
                e->pidfd = -1;
        }
}
