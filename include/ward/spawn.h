/* ward/spawn.h (libward-inspect): processes held by pidfds. Start one
 * (ward_proc_spawn: clone3 with CLONE_PIDFD, optionally in a new process
 * group and a cgroup v2 leaf of its own) or take hold of one that exists
 * (ward_proc_open), wait for it, stop it (SIGTERM, a grace period, SIGKILL),
 * stop it with everything it started (ward_proc_stop_tree), and read or set
 * the nice value of any process. A pidfd names one process for good: a
 * signal sent through it never reaches a later process that got the same
 * pid. `ward stop` and `ward nice` are built on these. Link with
 * libward-inspect (pkg-config ward-inspect, ward::inspect).
 *
 * Thread class: a ward_proc is used by one thread at a time; different
 * ward_proc objects may be used from different threads. Nothing here
 * installs signal handlers or reaps children other than its own. */
#ifndef WARD_SPAWN_H
#define WARD_SPAWN_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

typedef struct ward_proc ward_proc;

/* Flags of struct ward_proc_spawn_options */
enum {
        /* the child leads a process group of its own (setpgid(0, 0)), so
         * ward_proc_stop_tree and a terminal's signals reach its group only */
        WARD_PROC_SPAWN_NEW_PGROUP = 1u << 0,
        /* put the child into a new cgroup v2 leaf, ward-<ourpid>-<n>, below
         * this process's own cgroup, when the unified hierarchy is mounted
         * (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems) and
         * that directory is writable by us; without, the child is started
         * all the same: ward_proc_cgroup() says which happened */
        WARD_PROC_SPAWN_CGROUP = 1u << 1,
        /* stdin, stdout and stderr are not kept (unless listed in keep_fds):
         * the child gets /dev/null on them */
        WARD_PROC_SPAWN_NULL_STDIO = 1u << 2,
};

struct ward_proc_spawn_options {
        uint32_t size;       /* sizeof(struct ward_proc_spawn_options) */
        uint32_t flags;      /* WARD_PROC_SPAWN_* */
        const char *path;    /* the program; NULL: argv[0], searched in PATH when it
                                has no '/' (envp's PATH when envp has one) */
        char *const *argv;   /* NULL-terminated; argv[0] required */
        char *const *envp;   /* NULL-terminated; NULL: this process's environment */
        const char *cwd;     /* working directory; NULL: ours */
        const int *keep_fds; /* open fds the child keeps, at the same numbers; every
                                other fd but 0, 1 and 2 is closed */
        size_t n_keep_fds;
};

/* How a process ended. */
enum ward_proc_how {
        WARD_PROC_GONE = 0,   /* it ended, but how is not ours to know (another
                                 process's child, reaped by its parent on a kernel
                                 before 6.15) */
        WARD_PROC_EXITED = 1, /* exit(code) */
        WARD_PROC_SIGNALED,   /* ended by signal `code` */
};

struct ward_proc_status {
        enum ward_proc_how how;
        int code;   /* EXITED: the exit code; SIGNALED: the signal */
        int core;   /* SIGNALED: it dumped core */
        int killed; /* ward_proc_stop[_tree]: the grace ran out and it took SIGKILL */
        int others; /* ward_proc_stop_tree: the other processes of the tree it signalled */
};

/* ward_proc_spawn: start a program (clone3 with CLONE_PIDFD, then execve in
 * the child). The child starts with our signal mask and default handlers
 * for every signal we catch (ignored ones stay ignored, as exec keeps them).
 * Returns 0 once the program runs, or -EINVAL (options NULL, size too small,
 * argv NULL or empty), -EBADF (a keep_fds entry is not open), -ENOENT /
 * -EACCES / -ENOEXEC / ... (exec failed, as the child reported it: no
 * process is left behind), -ENOENT (cwd), -EAGAIN, -ENOMEM, -ENOSYS (a
 * kernel without clone3, before 5.3).
 * Ownership: *ret is the caller's; ward_proc_free() it. Thread class: any
 * thread (the child touches no lock between clone and exec). */
WARD_API int ward_proc_spawn(const struct ward_proc_spawn_options *options, ward_proc **ret);

/* ward_proc_open: take hold of an existing process (pidfd_open), to wait for
 * it, stop it or stop its tree. If it is our child, waiting reaps it.
 * Returns 0, -ESRCH (no such process), -EINVAL (pid <= 0, or a thread that
 * is not a process), -EMFILE, -ENOMEM, -ENOSYS (kernel before 5.3).
 * Ownership: *ret is the caller's (ward_proc_free). */
WARD_API int ward_proc_open(int pid, ward_proc **ret);

/* ward_proc_pid: its pid (still its number after it ended: do not send
 * signals to a number; use ward_proc_pidfd). */
WARD_API int ward_proc_pid(const ward_proc *p);

/* ward_proc_pidfd: its pidfd, for poll/epoll (readable once it ended) or
 * pidfd_send_signal. Owned by p: do not close it. */
WARD_API int ward_proc_pidfd(const ward_proc *p);

/* ward_proc_cgroup: the cgroup directory spawn made for it
 * (/sys/fs/cgroup/.../ward-<pid>-<n>), or NULL when it has none. Owned by p. */
WARD_API const char *ward_proc_cgroup(const ward_proc *p);

/* ward_proc_wait: wait up to timeout_ns (0: do not wait; UINT64_MAX:
 * forever) for it to end; reaps it if it is our child. Returns 0 with
 * *status filled (status may be NULL) once it ended, and again on later
 * calls; -ETIMEDOUT while it still runs. */
WARD_API int ward_proc_wait(ward_proc *p, uint64_t timeout_ns, struct ward_proc_status *status);

/* ward_proc_stop: SIGTERM (and SIGCONT, should it be stopped), wait up to
 * grace_ns for it to end, then SIGKILL and wait for that (status->killed
 * says so). Nothing is sent to a process that already ended. Returns 0 once
 * it ended, with *status (may be NULL); -EPERM (not ours to signal);
 * -ETIMEDOUT (still there 10 s after SIGKILL: stuck in the kernel). */
WARD_API int ward_proc_stop(ward_proc *p, uint64_t grace_ns, struct ward_proc_status *status);

/* Flags of ward_proc_stop_tree */
enum {
        /* do not use its cgroup even when it has one: the process group and
         * /proc walk below (for tests, and to leave the cgroup to others) */
        WARD_PROC_TREE_NO_CGROUP = 1u << 0,
};

/* ward_proc_stop_tree: stop p and every process it started, leaving nothing
 * behind. With a cgroup of its own (WARD_PROC_SPAWN_CGROUP): SIGTERM to each
 * member, up to grace_ns for the cgroup to empty, then cgroup.kill, and the
 * leaf is removed. Without: SIGTERM to its process group (when it leads
 * one) and to each descendant found in /proc by parent chains, process
 * groups and sessions it started (so children that called setsid() are
 * found too); after grace_ns whatever is left is stopped with SIGSTOP,
 * searched again until nothing new appears, and killed. A process that
 * left the tree before the call (a daemon whose parent already exited) can
 * only be found by the cgroup. *status (may be NULL) is p's; killed says
 * whether any process needed SIGKILL, others how many others there were.
 * Returns 0, -EPERM, -ETIMEDOUT (as ward_proc_stop), -ENOMEM, or -errno of
 * the cgroup files (the processes are stopped all the same). */
WARD_API int ward_proc_stop_tree(ward_proc *p, uint64_t grace_ns, uint32_t flags,
                                 struct ward_proc_status *status);

/* ward_proc_set_nice: set the nice value (-20..19) of every thread of
 * process pid (setpriority works on one thread each). Returns 0, -EINVAL
 * (n out of range, pid <= 0), -ESRCH, -EACCES / -EPERM (lowering it needs
 * CAP_SYS_NICE or RLIMIT_NICE; another user's process). Thread class:
 * any. */
WARD_API int ward_proc_set_nice(int pid, int n);

/* ward_proc_get_nice: the nice value of process pid (of its main thread)
 * into *n. Returns 0, -EINVAL, -ESRCH. Thread class: any. */
WARD_API int ward_proc_get_nice(int pid, int *n);

/* ward_proc_free: close the pidfd and free p; the process itself is left
 * alone (stop it first if it must end). Its cgroup leaf is removed when it
 * is empty, else left for the caller (ward_proc_cgroup names it).
 * NULL-safe; returns NULL. */
WARD_API ward_proc *ward_proc_free(ward_proc *p);

WARD_END_DECLS

#endif
