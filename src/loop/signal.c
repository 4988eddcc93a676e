/* Signal sources: one signalfd per signal. The caller blocks the signal; the
 * loop only reads what the kernel queues for it. */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "loop/loop-internal.h"

/* How many siginfo structs one read() takes; a burst of queued real-time
 * signals is read in several rounds. */
#define SIGNAL_BATCH 8

/* signo_ok: signals a signalfd can deliver (SIGKILL and SIGSTOP never reach one). */
static bool signo_ok(int signo)
{
        return signo > 0 && signo < _NSIG && signo != SIGKILL && signo != SIGSTOP;
}

int ward_loop_add_signal(ward_loop *loop, int signo, ward_signal_fn fn, void *arg,
                         ward_source **ret)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (!signo_ok(signo) || !fn) {
                return -EINVAL;
        }
        if (sigismember(&loop->signals, signo) == 1) {
                return -EEXIST;
        }
        ward_source *s;
        r = ward__source_new(loop, WARD__SOURCE_SIGNAL, arg, &s);
        if (r < 0) {
                return r;
        }
        s->u.signal.fn = fn;
        s->u.signal.signo = signo;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, signo);
        int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        r = fd < 0 ? -errno : ward__source_watch(s, fd, EPOLLIN);
        if (r < 0) {
                ward__source_destroy(s);
                return r;
        }
        sigaddset(&loop->signals, signo);
        return ward__source_publish(s, ret);
}

int ward__signal_dispatch(ward_source *s)
{
        struct signalfd_siginfo si[SIGNAL_BATCH];
        int count = 0;
        for (;;) {
                ssize_t n = read(s->fd, si, sizeof(si));
                if (n <= 0) {
                        return count;
                }
                size_t got = (size_t)n / sizeof(si[0]);
                /* Stop as soon as a callback frees the source: the rest is dropped,
                 * as the user asked to hear no more. */
                for (size_t i = 0; i < got && !s->dead; i++, count++) {
                        s->u.signal.fn(s, &si[i], s->arg);
                }
                if (s->dead || got < SIGNAL_BATCH) {
                        return count;
                }
        }
}
