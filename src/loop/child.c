/* Child sources: a pidfd per child, readable when the child exits, then reaped
 * with waitid(P_PIDFD). No SIGCHLD handler, so nothing else in the process is
 * disturbed and no other child is reaped by accident. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop/loop-internal.h"

/* glibc before 2.36 lacks P_PIDFD, and where it has it, it is an enum constant an
 * #ifdef cannot see: use the kernel's value under our own name. */
#define CHILD_P_PIDFD ((idtype_t)3)

/* pidfd_open: the syscall, which glibc before 2.36 does not wrap. The fd is
 * always close-on-exec. */
static int pidfd_open(pid_t pid)
{
        long fd = syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : (int)fd;
}

/* is_our_child: waitid without reaping fails with ECHILD for a process that is
 * not our child, which would otherwise only show up when it exits. */
static bool is_our_child(int pidfd)
{
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        return waitid(CHILD_P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

int ward_loop_add_child(ward_loop *loop, pid_t pid, ward_child_fn fn, void *arg, ward_source **ret)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (pid <= 0 || !fn) {
                return -EINVAL;
        }
        ward_source *s;
        r = ward__source_new(loop, WARD__SOURCE_CHILD, arg, &s);
        if (r < 0) {
                return r;
        }
        s->u.child.fn = fn;
        s->u.child.pid = pid;
        int fd = pidfd_open(pid);
        s->fd = fd;
        if (fd >= 0) {
                r = is_our_child(fd) ? ward__source_watch(s, fd, EPOLLIN) : -EINVAL;
        } else {
                r = fd;
        }
        if (r < 0) {
                ward__source_destroy(s);
                return r;
        }
        return ward__source_publish(s, ret);
}

/* reap: waitid the child. Returns 1 with *si filled when it has exited, 0 when it
 * has not. If someone else reaped it first (waitpid(-1), SIGCHLD ignored), the
 * status is gone: report si_code 0 with the pid, so the callback still runs. */
static int reap(ward_source *s, siginfo_t *si)
{
        memset(si, 0, sizeof(*si));
        int r;
        do {
                r = waitid(CHILD_P_PIDFD, (id_t)s->fd, si, WEXITED | WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
                memset(si, 0, sizeof(*si));
                si->si_signo = SIGCHLD;
                si->si_pid = s->u.child.pid;
                return 1;
        }
        return si->si_pid != 0;
}

int ward__child_dispatch(ward_source *s)
{
        siginfo_t si;
        if (!reap(s, &si)) {
                return 0;
        }
        /* Stop watching before the callback, which may free s. The pidfd is no
         * use any more: close it now rather than hold an fd until the free. */
        ward__source_unwatch(s);
        close(s->fd);
        s->fd = -1;
        s->u.child.fn(s, &si, s->arg);
        return 1;
}
