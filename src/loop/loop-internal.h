/* The loop's internal structures, shared by the files of src/loop/.
 *
 * Sources are never freed while a dispatch may still point at them: freeing
 * marks a source dead and removes it from epoll at once (so the caller may close
 * its fd right away), and the memory goes back after the current batch. That is
 * why lists are unlinked only when a source is reaped, and why every walker
 * skips dead sources instead of expecting them to be gone.
 */
#ifndef WARD_LOOP_INTERNAL_H
#define WARD_LOOP_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include <ward/loop.h>

#include "core/list.h"
#include "core/pid.h"

enum ward__source_type {
        WARD__SOURCE_IO,
        WARD__SOURCE_TIMER,
        WARD__SOURCE_SIGNAL,
        WARD__SOURCE_CHILD,
        WARD__SOURCE_DEFER,
        WARD__SOURCE_POLL,
};

struct ward_source {
        struct ward__list all;  /* loop->sources, until reaped */
        struct ward__list kind; /* loop->defers or loop->polls; self-linked otherwise */
        ward_source *next_dead; /* loop->dead chain, once dead and waiting for the reap */
        ward_loop *loop;
        enum ward__source_type type;
        bool dead;     /* freed by the user (or run, for a defer): never call it again */
        bool in_epoll; /* fd is registered in loop->epfd */
        int fd;        /* -1 when none; owned by the source except for io sources */
        void *arg;
        union {
                struct {
                        ward_io_fn fn;
                } io;
                struct {
                        ward_timer_fn fn;
                } timer;
                struct {
                        ward_signal_fn fn;
                        int signo;
                } signal;
                struct {
                        ward_child_fn fn;
                        pid_t pid;
                } child;
                struct {
                        ward_defer_fn fn;
                        uint64_t seq; /* add order: defers added while defers run wait */
                } defer;
                struct {
                        ward_poll_fn fn;
                } poll;
        } u;
};

/* One ward_loop_post() call, queued until the owner thread drains it. */
struct ward__post {
        struct ward__post *next;
        ward_defer_fn fn;
        void *arg;
};

#define WARD__LOOP_MAX_EVENTS 64

struct ward_loop {
        int epfd;
        int wake_fd; /* eventfd, registered in epfd with data.ptr == NULL */
        pid_t pid;   /* ward__pid() at ward_loop_new: a different pid means a forked child */
        bool running;
        atomic_bool stop;
        struct ward__list sources; /* every source, live or dead-not-yet-reaped */
        struct ward__list defers;  /* defer sources in add order */
        struct ward__list polls;   /* poll sources in add order */
        ward_source *dead;         /* dead sources waiting for the end of the dispatch */
        unsigned n_polls;          /* live poll sources */
        unsigned n_defers;         /* live defers that have not run yet */
        uint64_t defer_seq;
        sigset_t signals; /* signals that have a live source */

        pthread_mutex_t post_lock;
        struct ward__post *post_head; /* guarded by post_lock */
        struct ward__post **post_tail;
        atomic_bool posts_pending; /* post_head != NULL, readable without the lock */

        /* Lending (lend.c): WARD__LOAN_OWNED while the owner may touch the loop,
         * PARKED while it sleeps in epoll_wait, LENT while another thread holds
         * it, LENT_WAITED when the owner woke and waits for it back. */
        _Atomic uint32_t loan; /* a futex word */
        bool lendable;         /* inside ward_loop_run: its blocking waits lend */
        unsigned polls_added;  /* poll sources ever added */
        unsigned loan_polls;   /* polls_added when lent: a new one needs the owner awake */

        struct epoll_event events[WARD__LOOP_MAX_EVENTS];
};

enum {
        WARD__LOAN_OWNED,
        WARD__LOAN_PARKED,
        WARD__LOAN_LENT,
        WARD__LOAN_LENT_WAITED,
};

/* ward__loop_park: the owner, about to block in epoll_wait: lendable until
 * ward__loop_unpark, which waits for a borrower to give the loop back. (lend.c) */
void ward__loop_park(ward_loop *loop);
void ward__loop_unpark(ward_loop *loop);

/* ward__loop_held: true when the calling thread borrowed loop
 * (ward_loop_try_acquire): it may act for the owner. */
bool ward__loop_held(const ward_loop *loop);

/* ward__loop_forked: true in a child forked after the loop was created, where the
 * epoll fd is shared with the parent and must not be touched. ward__pid() is
 * getpid() without the syscall, cheap enough for every entry point; it is
 * initialised by ward_loop_new, so this stays async-signal-safe for wake. */
static inline bool ward__loop_forked(const ward_loop *loop)
{
        return ward__pid() != loop->pid;
}

/* ward__loop_check: the common entry check of the add_ functions: -EINVAL for a
 * NULL loop, -ECHILD after fork. */
int ward__loop_check(const ward_loop *loop);

/* ward__source_new: allocate a source of this type and put it on the loop's list.
 * Returns 0 or -ENOMEM. */
int ward__source_new(ward_loop *loop, enum ward__source_type type, void *arg, ward_source **ret);

/* ward__source_watch: register fd in the loop's epoll set, pointing at s. Stores fd
 * in s even on failure so ward__source_destroy closes an owned fd. */
int ward__source_watch(ward_source *s, int fd, uint32_t events);

/* ward__source_unwatch: take s's fd out of the epoll set (idempotent). */
void ward__source_unwatch(ward_source *s);

/* ward__source_kill: mark s dead and detach it from epoll; free it now, or after the
 * current dispatch when the loop is running. */
void ward__source_kill(ward_source *s);

/* ward__source_destroy: unlink, close the owned fd and free, no questions asked.
 * Only for sources nothing can point at any more. */
void ward__source_destroy(ward_source *s);

/* ward__source_publish: hand s to the caller when they asked for it. */
static inline int ward__source_publish(ward_source *s, ward_source **ret)
{
        if (ret) {
                *ret = s;
        }
        return 0;
}

/* ward__loop_wait: epoll_wait on the loop's fd for up to timeout_ns (not waiting at
 * all when defers or posts are pending). Returns the number of events in
 * loop->events, 0 on EINTR, or -errno. */
int ward__loop_wait(ward_loop *loop, uint64_t timeout_ns);

/* ward__loop_reap: free the dead sources. Only when no batch can point at them. */
void ward__loop_reap(ward_loop *loop);

/* ward__io_dispatch, ward__timer_dispatch, ward__signal_dispatch,
 * ward__child_dispatch: handle one epoll event of a live source of that type
 * (io.c, timer.c, signal.c, child.c). Each returns the callbacks it made: 0 when
 * the event turned out stale (timer re-armed, child not yet exited). */
int ward__io_dispatch(ward_source *s, uint32_t events);
int ward__timer_dispatch(ward_source *s);
int ward__signal_dispatch(ward_source *s);
int ward__child_dispatch(ward_source *s);

/* ward__post_init: set up the post queue and the wake eventfd, registered in epfd
 * with data.ptr == NULL. Returns 0 or -errno. (post.c) */
int ward__post_init(ward_loop *loop);

/* ward__post_fini: drop queued posts uncalled, close the wake fd. Safe on a
 * half-built loop. */
void ward__post_fini(ward_loop *loop);

/* ward__wake_write: make the loop's epoll fd readable. No checks, async-signal-safe
 * apart from errno. */
void ward__wake_write(ward_loop *loop);

/* ward__wake_clear: reset the wake eventfd; before ward__post_drain, never after,
 * or a post's wake-up could be lost. */
void ward__wake_clear(ward_loop *loop);

/* ward__post_drain: take the queued posts and run them outside the lock. Returns
 * how many ran. */
int ward__post_drain(ward_loop *loop);

/* ward__defer_run: run the defers added before this call, each once. Returns how
 * many ran. */
int ward__defer_run(ward_loop *loop);

/* poll.c: ward__poll_wait is ward__loop_wait for a loop that has poll sources:
 * call them, and spin while any is busy. Same returns as ward__loop_wait. */
int ward__poll_wait(ward_loop *loop, uint64_t timeout_ns);

#endif
