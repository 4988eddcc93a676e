/* ward/watch.h (libward-inspect): process events — fork, exec, exit, name
 * changes — of given processes and their descendants, or of the whole
 * system, delivered on a ward_loop. `ward watch` is built on it. Link with
 * libward-inspect (pkg-config ward-inspect, ward::inspect).
 *
 * Back-ends, chosen when the watcher is made (WARD_WATCH_BACKEND_AUTO tries
 * them in this order):
 *   connector  the kernel's netlink process connector: every fork, exec,
 *              exit (with its status) and name change of the system as it
 *              happens, filtered here to the watched processes. Needs
 *              CAP_NET_ADMIN (the kernel refuses others).
 *   pidfd      a pidfd per watched process: exits as they happen, with
 *              their status where the kernel gives it (our children, a
 *              zombie we may read, Linux 6.15+). Only with given pids. The
 *              kernel tells nobody else about forks and execs, so those are
 *              found by looking at the watched processes' children in /proc
 *              every rescan_ns, for as long as one of them lives — unless
 *              only exits of the given pids are asked for
 *              (WARD_WATCH_NO_DESCENDANTS and kinds = WARD_WATCH_EXIT).
 *   proc       /proc read every rescan_ns: works everywhere; a process that
 *              lives less than an interval is missed, and events come in
 *              the order of the scan.
 * With the connector, and with pidfds when only exits of the given pids are
 * asked for, the watcher costs nothing while nothing happens: no timer.
 *
 * When the connector loses events (the socket overflowed: ENOBUFS), the
 * watcher reads /proc at once and reports what changed since, marked
 * WARD_WATCH_RESCANNED, after a WARD_WATCH_LOST event.
 *
 * Thread class: owner-thread of the loop: create, use and free the watcher
 * on the thread that runs the loop; callbacks run there. */
#ifndef WARD_WATCH_H
#define WARD_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>
#include <ward/loop.h>

WARD_BEGIN_DECLS

typedef struct ward_watch ward_watch;

enum ward_watch_kind {
        WARD_WATCH_FORK = 1u << 0, /* a new process (pid), started by ppid */
        WARD_WATCH_EXEC = 1u << 1, /* pid runs a new program (comm, exe) */
        WARD_WATCH_EXIT = 1u << 2, /* pid ended (status) */
        WARD_WATCH_COMM = 1u << 3, /* pid changed its name (comm) without exec */
        WARD_WATCH_LOST = 1u << 4, /* events were lost; the ones that follow, marked
                                      WARD_WATCH_RESCANNED, are read from /proc */
};

enum ward_watch_backend {
        WARD_WATCH_BACKEND_AUTO = 0,
        WARD_WATCH_BACKEND_CONNECTOR,
        WARD_WATCH_BACKEND_PIDFD,
        WARD_WATCH_BACKEND_PROC,
};

/* Flags of struct ward_watch_options */
enum {
        /* the given pids only, not the processes they start */
        WARD_WATCH_NO_DESCENDANTS = 1u << 0,
};

/* Flags of struct ward_watch_event */
enum {
        /* found by reading /proc, not told by the kernel: it happened at some
         * time before ns, and for FORK of a process that had already exec'd,
         * an EXEC follows */
        WARD_WATCH_RESCANNED = 1u << 0,
};

struct ward_watch_options {
        uint32_t size;    /* sizeof(struct ward_watch_options) */
        uint32_t backend; /* enum ward_watch_backend */
        uint32_t kinds;   /* the events wanted (WARD_WATCH_FORK | ...); 0: all */
        uint32_t flags;   /* WARD_WATCH_NO_DESCENDANTS */
        const int *pids;  /* watch these and what they start; NULL (n_pids 0): every
                             process of the system */
        size_t n_pids;
        uint64_t rescan_ns; /* how often /proc is read when it must be; 0: 100 ms */
};

struct ward_watch_event {
        enum ward_watch_kind kind;
        uint32_t flags; /* WARD_WATCH_RESCANNED */
        int pid;
        int ppid;        /* FORK: the parent; other kinds: the parent as last known; 0
                            unknown */
        int status;      /* EXIT: wait(2) status (WIFEXITED(status), ...); -1 unknown */
        uint64_t ns;     /* ward_now_ns() clock: when the kernel reported it, or when
                            the watcher found it */
        char comm[16];   /* the process's name (after an EXEC or COMM: the new one); ""
                            unknown */
        const char *exe; /* EXEC: the program, from /proc/PID/exe; NULL unknown (it
                            ended already, or not ours to read). Valid during the
                            callback. */
};

/* Called on the loop's thread for each event. The watcher may be freed
 * from inside (ward_watch_free); no further events are delivered then. */
typedef void ward_watch_fn(const struct ward_watch_event *ev, void *arg);

/* ward_watch_new: watch processes (options: NULL = everything, AUTO). The
 * given pids that exist are watched from now on (no events for what
 * happened before); events come from ward_loop_run*.
 * Errors: -EINVAL (loop or cb NULL, size too small, an unknown back-end or
 * kind, PIDFD without pids, a pid <= 0), -ESRCH (a given pid does not
 * exist), -EPERM (CONNECTOR forced without CAP_NET_ADMIN),
 * -EPROTONOSUPPORT (CONNECTOR forced, the kernel has none), -ENOMEM,
 * -EMFILE, and those of ward_loop_add_io / ward_loop_add_timer.
 * Ownership: *ret is the caller's (ward_watch_free), and must be freed
 * before the loop. */
WARD_API int ward_watch_new(ward_loop *loop, const struct ward_watch_options *options,
                            ward_watch_fn *cb, void *arg, ward_watch **ret);

/* ward_watch_add_pid: watch pid too (and what it starts, unless
 * WARD_WATCH_NO_DESCENDANTS), from now on. A watcher of every process
 * returns 0 and does nothing. Errors: -EINVAL, -ESRCH, -ENOMEM, -EMFILE. */
WARD_API int ward_watch_add_pid(ward_watch *w, int pid);

/* ward_watch_count: how many watched processes live now, as far as the
 * watcher knows (of every process when it watches everything). With given
 * pids, 0 means all of them and their descendants ended. */
WARD_API size_t ward_watch_count(const ward_watch *w);

/* ward_watch_backend: the back-end in use. */
WARD_API enum ward_watch_backend ward_watch_backend(const ward_watch *w);

/* ward_watch_backend_name: "connector", "pidfd", "proc" ("auto"); NULL for
 * other values. */
WARD_API const char *ward_watch_backend_name(enum ward_watch_backend b);

/* ward_watch_kind_name: "fork", "exec", "exit", "comm", "lost"; NULL for
 * other values. */
WARD_API const char *ward_watch_kind_name(enum ward_watch_kind k);

/* ward_watch_free: stop watching and free; safe from inside the callback.
 * NULL-safe; returns NULL. */
WARD_API ward_watch *ward_watch_free(ward_watch *w);

WARD_END_DECLS

#endif
