/* ward/loop.h: an epoll event loop owned by one thread.
 *
 * A loop watches file descriptors, timers (timerfd), signals (signalfd), child
 * processes (pidfd), runs deferred callbacks, and can be woken or handed work
 * from any thread. Its own fd (ward_loop_get_fd) is an epoll fd, so a whole
 * ward loop can be embedded in another loop: watch that fd for EPOLLIN and
 * call ward_loop_run_once(loop, 0) when it is readable.
 *
 * Lifecycle: ward_loop_new() creates, ward_loop_free() frees (and frees every
 * source still attached). A source is freed with ward_source_free(), which is
 * safe at any time on the owner thread, including from inside the source's
 * own callback: the memory is reclaimed after the current dispatch returns.
 *
 * Thread class: every function is owner-thread (the thread that runs the loop)
 * unless its comment says any-thread. A loop used in a child after fork()
 * returns -ECHILD.
 */
#ifndef WARD_LOOP_H
#define WARD_LOOP_H

#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <ward/api.h>
#include <ward/time.h> /* ward_now_ns, declared here before ward/time.h existed */

WARD_BEGIN_DECLS

typedef struct ward_loop ward_loop;
typedef struct ward_source ward_source;

/* Called when fd is ready; events is the epoll mask that fired (EPOLLIN, EPOLLOUT,
 * EPOLLHUP, EPOLLERR, ...). */
typedef void (*ward_io_fn)(ward_source *s, int fd, uint32_t events, void *arg);
/* Called when a timer expires; expirations counts missed periods (>= 1). */
typedef void (*ward_timer_fn)(ward_source *s, uint64_t expirations, void *arg);
/* Called for each delivered signal. */
typedef void (*ward_signal_fn)(ward_source *s, const struct signalfd_siginfo *si, void *arg);
/* Called once when the child exits; si is from waitid(P_PIDFD, ..., WEXITED). The
 * child is reaped. The source stays attached but never fires again. */
typedef void (*ward_child_fn)(ward_source *s, const siginfo_t *si, void *arg);
/* A deferred or posted callback. */
typedef void (*ward_defer_fn)(void *arg);
/* A poll source: called on every loop iteration before the loop blocks. Returns
 * WARD_POLL_BUSY when it found work or wants the loop to keep spinning instead of
 * blocking, WARD_POLL_IDLE when the loop may block (the source has armed whatever
 * wakes the loop's fd). */
typedef int (*ward_poll_fn)(ward_source *s, void *arg);

enum {
        WARD_POLL_IDLE = 0,
        WARD_POLL_BUSY = 1,
};

/* ward_loop_new: create a loop owned by the calling thread.
 * Errors: -EINVAL (ret NULL), -ENOMEM, -EMFILE/-ENFILE (epoll or eventfd).
 * Ownership: *ret belongs to the caller; release with ward_loop_free(). */
WARD_API int ward_loop_new(ward_loop **ret);

/* ward_loop_free: free the loop and every source still attached (their callbacks
 * are not called). NULL-safe; returns NULL. Called from inside a callback of the
 * same loop, it refuses and returns the loop unchanged; in a forked child it
 * does nothing (the child's copy is leaked, not corrupted). */
WARD_API ward_loop *ward_loop_free(ward_loop *loop);

/* ward_loop_get_fd: the loop's epoll fd, readable when the loop has work. For
 * embedding in another loop; do not close it. Returns the fd or -ECHILD. */
WARD_API int ward_loop_get_fd(ward_loop *loop);

/* ward_loop_run_once: wait up to timeout_ns (0 = do not wait, UINT64_MAX = forever)
 * for events, then dispatch what is ready, deferred callbacks and posts.
 * Returns the number of callbacks dispatched (>= 0), or -ECHILD, -EBUSY (called
 * recursively from a callback), or another -errno from epoll_wait (-EINTR is
 * treated as zero events). */
WARD_API int ward_loop_run_once(ward_loop *loop, uint64_t timeout_ns);

/* ward_loop_run: dispatch until ward_loop_stop() is called. Returns 0 or the
 * first error of ward_loop_run_once. */
WARD_API int ward_loop_run(ward_loop *loop);

/* ward_loop_stop: make ward_loop_run return after the current iteration.
 * Thread class: any-thread (wakes the loop if called from another thread). */
WARD_API void ward_loop_stop(ward_loop *loop);

/* ward_loop_wake: interrupt a blocked ward_loop_run_once.
 * Thread class: any-thread, async-signal-safe. Errors: -EINVAL (NULL), -ECHILD. */
WARD_API int ward_loop_wake(ward_loop *loop);

/* ward_loop_post: run fn(arg) on the loop's thread during a later iteration, and
 * wake the loop. Posts run in the order they were posted by one thread.
 * Errors: -ENOMEM. A post still queued when the loop is freed is dropped
 * without being called.
 * Thread class: any-thread. */
WARD_API int ward_loop_post(ward_loop *loop, ward_defer_fn fn, void *arg);

/* ward_loop_try_acquire: borrow the loop from its owner thread while the owner
 * sleeps in ward_loop_run (blocked in epoll_wait; never from a bare
 * ward_loop_run_once, whose caller may be waiting for a condition a borrower
 * would change without waking it), the way GLib's g_main_context_acquire
 * lends a context.
 * While it holds the loop, the calling thread may call every owner-thread
 * function and run the loop's callbacks' work itself (ward_loop_run and
 * ward_loop_run_once return -EBUSY, as from inside a callback): the owner wakes
 * for its events meanwhile but dispatches nothing until ward_loop_release, so
 * what runs under the loop still runs one thing at a time and needs no
 * locking. For a thread that would otherwise post work and wait for the owner
 * to wake (a thread switch of several microseconds on each hand-off).
 * Errors: -EBUSY when the owner is not asleep in ward_loop_run (it is
 * dispatching, spinning on poll sources, or not running the loop at all),
 * when posts or defers are queued (they run first, in order: post yours
 * too), or when this thread holds a loop already; -EINVAL (NULL), -ECHILD.
 * Ownership: what the borrower opens on the loop (a source, an rpc client
 * that short-circuits to a server of the loop) is the loop's: use it on the
 * owner thread or while holding the loop, never from a thread without it.
 * Free the loop only after every borrower's ward_loop_release has returned.
 * Thread class: any-thread except the owner; pair each 0 with one
 * ward_loop_release from the same thread, soon (the owner waits for it). */
WARD_API int ward_loop_try_acquire(ward_loop *loop);

/* ward_loop_release: give a loop taken with ward_loop_try_acquire back to its
 * owner, waking it when the borrower left it work (a defer, a poll source to
 * call). Does nothing when this thread does not hold loop.
 * Thread class: the thread that acquired it. */
WARD_API void ward_loop_release(ward_loop *loop);

/* ward_loop_add_io: watch fd for events (EPOLLIN, EPOLLOUT, EPOLLET, EPOLLRDHUP...).
 * The loop does not own fd and never closes it; free the source before closing.
 * Errors: -EINVAL (fd < 0 or fn NULL), -EEXIST (fd already watched by this loop),
 * -ENOMEM, other -errno from epoll_ctl.
 * Ownership: *ret (may be NULL when the caller does not need it) belongs to the loop
 * until ward_source_free(). */
WARD_API int ward_loop_add_io(ward_loop *loop, int fd, uint32_t events, ward_io_fn fn, void *arg,
                              ward_source **ret);

/* ward_source_set_io_events: change the epoll mask of an io source.
 * Errors: -EINVAL (not an io source), -errno from epoll_ctl. */
WARD_API int ward_source_set_io_events(ward_source *s, uint32_t events);

/* ward_loop_add_timer: a timer that first fires after first_ns (relative,
 * CLOCK_MONOTONIC; 0 means as soon as possible), then every interval_ns
 * (0 = once; a one-shot timer stays attached but disarmed).
 * Errors: -EINVAL, -ENOMEM, -EMFILE. */
WARD_API int ward_loop_add_timer(ward_loop *loop, uint64_t first_ns, uint64_t interval_ns,
                                 ward_timer_fn fn, void *arg, ward_source **ret);

/* ward_source_set_timer: re-arm a timer source (same meaning as add_timer;
 * first_ns == 0 and interval_ns == 0 disarms). Errors: -EINVAL. */
WARD_API int ward_source_set_timer(ward_source *s, uint64_t first_ns, uint64_t interval_ns);

/* ward_loop_add_signal: deliver signo through a signalfd. The caller must block
 * signo in every thread (pthread_sigmask) before adding; the loop does not change
 * the signal mask. Errors: -EINVAL (bad signo), -EEXIST (already added), -ENOMEM. */
WARD_API int ward_loop_add_signal(ward_loop *loop, int signo, ward_signal_fn fn, void *arg,
                                  ward_source **ret);

/* ward_loop_add_child: call fn when child pid exits (pidfd_open + waitid). pid must
 * be a child of this process. Errors: -EINVAL (not our child), -ESRCH (no such
 * process), -ENOSYS (kernel without pidfd), -EMFILE, -ENOMEM. */
WARD_API int ward_loop_add_child(ward_loop *loop, pid_t pid, ward_child_fn fn, void *arg,
                                 ward_source **ret);

/* ward_loop_add_defer: call fn(arg) once, on the next iteration, then free the
 * source. Errors: -EINVAL, -ENOMEM. */
WARD_API int ward_loop_add_defer(ward_loop *loop, ward_defer_fn fn, void *arg, ward_source **ret);

/* ward_loop_add_poll: call fn on every iteration before blocking (busy polling,
 * e.g. of a shared-memory ring). While any poll source returns WARD_POLL_BUSY the
 * loop does not block: it calls the poll sources repeatedly and checks its epoll
 * fd without waiting only now and then (about every 50 us), so spinning is
 * cheap. ward_loop_run_once returns from spinning when that check finds events,
 * a post or defer is pending, ward_loop_stop was called, or timeout_ns ran out;
 * work a poll source finds is handled by its own callbacks from inside fn, and
 * poll calls are not counted in run_once's return value.
 * Errors: -EINVAL, -ENOMEM. */
WARD_API int ward_loop_add_poll(ward_loop *loop, ward_poll_fn fn, void *arg, ward_source **ret);

/* ward_source_free: detach and free a source. Safe from inside any callback of the
 * same loop, including the source's own. NULL-safe; returns NULL. */
WARD_API ward_source *ward_source_free(ward_source *s);

/* ward_source_get_loop: the loop a source is attached to. */
WARD_API ward_loop *ward_source_get_loop(ward_source *s);

WARD_END_DECLS

#endif
