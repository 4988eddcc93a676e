/* The process watcher (ward/watch.h): what its back-ends share. watch.c
 * holds the object, the table of watched processes and event delivery;
 * rescan.c compares /proc with the table; watch-connector.c,
 * watch-pidfd.c and the timer of watch.c are the three ways to learn of
 * changes. */
#ifndef WARD_INSPECT_PROC_WATCH_INTERNAL_H
#define WARD_INSPECT_PROC_WATCH_INTERNAL_H

#include <limits.h>

#include <ward/watch.h>

#include "inspect/proc/pstat.h"
#include "inspect/proc/ptable.h"

#define WARD__WATCH_RESCAN_NS 100000000ull

struct ward_watch {
        ward_loop *loop;
        ward_watch_fn *cb;
        void *arg;
        enum ward_watch_backend backend;
        uint32_t kinds, flags;
        int all; /* every process of the system */
        uint64_t rescan_ns;
        struct ward__ptable tab;
        size_t n_ended; /* entries of the table that ended (zombies kept) */
        unsigned gen;   /* rescans so far */

        int sock; /* connector */
        ward_source *sock_src;
        int lost;           /* ENOBUFS since the last rescan */
        ward_source *timer; /* pidfd and proc back-ends */
        int timer_armed;

        int busy;  /* dispatching: a free from a callback waits for the end */
        int freed; /* ward_watch_free was called from a callback */
        char exe[PATH_MAX];
};

/* ward__watch_emit: deliver ev if its kind is wanted (EXEC: with exe read
 * now). Returns 0, or 1 when the callback freed the watcher: stop then. */
int ward__watch_emit(struct ward_watch *w, struct ward_watch_event *ev);

/* ward__watch_entry_new: add pid (read from s) to the table; pidfd back-end:
 * with its pidfd on the loop. NULL when out of memory or it ended already
 * (pidfd back-end). */
struct ward__pentry *ward__watch_entry_new(struct ward_watch *w, const struct ward__pstat *s);

/* ward__watch_entry_drop: take e out of the table and free it */
void ward__watch_entry_drop(struct ward_watch *w, struct ward__pentry *e);

/* ward__watch_entry_end: e's exit was told: keep it (without its pidfd)
 * while its zombie is there, so a rescan does not take it for new */
void ward__watch_entry_end(struct ward_watch *w, struct ward__pentry *e);

/* ward__watch_wants_child: would a process with parent ppid be watched? */
int ward__watch_wants_child(const struct ward_watch *w, int ppid);

/* ward__watch_arm: set the rescan timer as the back-end and the table need */
void ward__watch_arm(struct ward_watch *w);

/* ward__watch_enter / _leave: around every dispatch; _leave returns 1 when
 * the watcher was freed (it is gone then). */
void ward__watch_enter(struct ward_watch *w);
int ward__watch_leave(struct ward_watch *w);

/* ward__watch_rescan: read /proc, compare with the table, deliver what
 * changed (events flagged with flags), update the table. silent: fill the
 * table without events (start). Returns 0, 1 (the watcher was freed),
 * -errno. */
int ward__watch_rescan(struct ward_watch *w, uint32_t flags, int silent);

/* connector back-end: open the socket and subscribe (0 or -errno), and its
 * loop callback */
int ward__watch_connector_open(struct ward_watch *w);
int ward__watch_connector_attach(struct ward_watch *w); /* on the loop */
void ward__watch_connector_close(struct ward_watch *w);
/* ward__watch_connector_fd: the socket, for tests (to shrink its buffer) */
int ward__watch_connector_fd(const ward_watch *w);

/* pidfd back-end: hold e by a pidfd on the loop (0, or -errno: -ESRCH when
 * it is not the process e was, any more) */
int ward__watch_pidfd_add(struct ward_watch *w, struct ward__pentry *e);
void ward__watch_pidfd_remove(struct ward__pentry *e);

#endif
