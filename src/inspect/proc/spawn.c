/* ward_proc_spawn: clone3 with CLONE_PIDFD (and CLONE_INTO_CGROUP), then
 * execve. The child reports a failure before exec through a close-on-exec
 * pipe, so the caller gets the exec's errno and no process is left behind;
 * an empty pipe at EOF means the program runs. Between clone and exec the
 * child calls only async-signal-safe functions (it is a copy of a process
 * that may have had other threads).
 *
 * ward__proc_spawn(..., shared_vm) starts the child vfork-style instead, as
 * posix_spawn does: CLONE_VM | CLONE_VFORK on a stack of its own, so no
 * page table is copied at the clone and none torn down at the exec (what a
 * process with a large heap pays for each spawn), and the caller's thread
 * waits until the exec. The child then writes only its own stack and the
 * kernel's state (its signal handlers, mask and fds are its own: no
 * CLONE_SIGHAND, no CLONE_FILES), with every signal blocked until the
 * handlers it would inherit are back to the default. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inspect/proc/cgroup.h"
#include "inspect/proc/handle.h"
#include "inspect/proc/pidfd.h"
#include "inspect/proc/spawn-internal.h"

extern char **environ;

#define PROC_CLONE_PIDFD 0x00001000ull
#define PROC_CLONE_INTO_CGROUP 0x200000000ull
#define PROC_CLONE_ARGS_SIZE_VER0 64
#define PROC_CLONE_ARGS_SIZE_VER2 88
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* the stack of a child that shares our memory until its exec (touched: a
 * few pages) */
#define PROC_SHARED_VM_STACK (256u * 1024u)

/* TSan's interceptors keep per-thread and per-fd state in memory a
 * CLONE_VM child would share with us: those builds copy the memory. ASan's
 * only need the child's frames left unpoisoned (CHILD_CODE). */
#if defined(__SANITIZE_THREAD__)
#define PROC_SHARED_VM_OK 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PROC_SHARED_VM_OK 0
#endif
#endif
#ifndef PROC_SHARED_VM_OK
#define PROC_SHARED_VM_OK 1
#endif

/* The code a child runs before exec: on a stack we unmap after it, and,
 * in a TSan build, in a copy of a process whose other threads may have held
 * TSan's locks when it was cloned. So it is not instrumented, and it makes
 * its system calls through syscall(), never libc's wrappers a sanitizer
 * intercepts (sigaction, dup2, close, write, _exit...): a child
 * that entered TSan's runtime there could wait forever for a lock no thread
 * of its own holds. */
#if defined(__clang__) || __GNUC__ >= 8
#define CHILD_CODE __attribute__((no_sanitize_address, no_sanitize("thread")))
#else
#define CHILD_CODE __attribute__((no_sanitize_address))
#endif

/* struct clone_args of <linux/sched.h> (Debian 12's has it, older ones not) */
struct proc_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        uint64_t set_tid, set_tid_size, cgroup;
};

/* what the child reports before exec */
enum stage {
        STAGE_CGROUP = 1, /* could not join the cgroup: the only one it goes on after */
        STAGE_PGROUP,
        STAGE_CWD,
        STAGE_STDIO,
        STAGE_FDS,
        STAGE_EXEC,
};

struct report {
        int stage, err;
};

struct plan {
        const char *path;
        char *const *argv, *const *envp;
        const char *cwd;
        uint32_t flags;
        int *keep; /* sorted, unique, >= 3, with errfd */
        size_t n_keep;
        int keep_std[3]; /* 0, 1, 2 kept? */
        int devnull;     /* NULL_STDIO: /dev/null, else -1 */
        int procs_fd;    /* cgroup.procs of the leaf, to join by writing (fallback), or -1 */
        int errfd;
        unsigned open_max;  /* fds to close one by one where close_range is missing */
        sigset_t mask;      /* the caller's signal mask, restored before exec */
        uint64_t caught[2]; /* signals with a handler: reset to default */
};

/* The kernel's struct sigaction for rt_sigaction (not libc's). */
struct proc_kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
};

/* sys: a system call through syscall(), which no sanitizer intercepts; its
 * result, or -errno. */
CHILD_CODE static long sys(long nr, long a, long b, long c, long d)
{
        long r = syscall(nr, a, b, c, d);
        return r < 0 ? -errno : r;
}

CHILD_CODE static void child_report(int fd, int stage, int err)
{
        struct report m = {stage, err};
        sys(SYS_write, fd, (long)&m, sizeof(m), 0);
}

CHILD_CODE static _Noreturn void child_fail(const struct plan *pl, int stage, long err)
{
        child_report(pl->errfd, stage, (int)-err);
        for (;;) {
                sys(SYS_exit_group, 127, 0, 0, 0);
        }
}

/* close_gap: close fds [from, to] (to may be ~0u) below open_max; 0 or
 * -errno */
CHILD_CODE static long close_gap(unsigned from, unsigned to, unsigned open_max)
{
        if (from > to) {
                return 0;
        }
        long r = sys(SYS_close_range, from, to, 0, 0);
        if (r != -ENOSYS) {
                return r;
        }
        for (unsigned fd = from; fd <= to && fd < open_max; fd++) { /* before 5.9: one by one */
                sys(SYS_close, fd, 0, 0, 0);
        }
        return 0;
}

CHILD_CODE static void reset_caught_signals(const struct plan *pl)
{
        struct proc_kernel_sigaction dfl = {.handler = SIG_DFL};
        for (int sig = 1; sig < 128 && sig < NSIG; sig++) {
                if (pl->caught[sig / 64] & (1ull << (sig % 64))) {
                        sys(SYS_rt_sigaction, sig, (long)&dfl, 0, 8);
                }
        }
}

CHILD_CODE static void set_up_stdio(const struct plan *pl)
{
        for (int fd = 0; fd < 3 && pl->devnull >= 0; fd++) {
                long r = pl->keep_std[fd] || pl->devnull == fd
                             ? 0
                             : sys(SYS_dup3, pl->devnull, fd, 0, 0);
                if (r < 0) {
                        child_fail(pl, STAGE_STDIO, r);
                }
        }
}

/* keep_only_planned_fds: close every fd but 0-2 and pl->keep, and let the
 * kept ones (but errfd) survive exec */
CHILD_CODE static void keep_only_planned_fds(const struct plan *pl)
{
        unsigned next = 3;
        for (size_t i = 0; i < pl->n_keep; i++) {
                unsigned fd = (unsigned)pl->keep[i];
                long r = close_gap(next, fd - 1, pl->open_max);
                if (r == 0 && pl->keep[i] != pl->errfd) {
                        r = sys(SYS_fcntl, pl->keep[i], F_SETFD, 0, 0);
                }
                if (r < 0) {
                        child_fail(pl, STAGE_FDS, r);
                }
                next = fd + 1;
        }
        long r = close_gap(next, ~0u, pl->open_max);
        if (r < 0) {
                child_fail(pl, STAGE_FDS, r);
        }
}

CHILD_CODE static _Noreturn void child(const struct plan *pl)
{
        long r;
        reset_caught_signals(pl);
        if (pl->procs_fd >= 0 && (r = sys(SYS_write, pl->procs_fd, (long)"0", 1, 0)) != 1) {
                child_report(pl->errfd, STAGE_CGROUP, r < 0 ? (int)-r : EIO);
        }
        if ((pl->flags & WARD_PROC_SPAWN_NEW_PGROUP) && (r = sys(SYS_setpgid, 0, 0, 0, 0)) < 0) {
                child_fail(pl, STAGE_PGROUP, r);
        }
        if (pl->cwd && (r = sys(SYS_chdir, (long)pl->cwd, 0, 0, 0)) < 0) {
                child_fail(pl, STAGE_CWD, r);
        }
        set_up_stdio(pl);
        keep_only_planned_fds(pl);
        sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&pl->mask, 0, 8);
        r = sys(SYS_execve, (long)pl->path, (long)pl->argv, (long)pl->envp, 0);
        child_fail(pl, STAGE_EXEC, r);
}

/* search_path: argv0 in the directories of path_list, into buf */
static int search_path(const char *argv0, const char *path_list, char *buf, size_t size)
{
        int err = -ENOENT;
        if (!*argv0) {
                return -ENOENT;
        }
        for (const char *p = path_list; p;) {
                const char *colon = strchr(p, ':');
                size_t len = colon ? (size_t)(colon - p) : strlen(p);
                struct stat st;
                if ((size_t)snprintf(buf, size, "%.*s%s%s", (int)len, p, len ? "/" : "", argv0) <
                    size) {
                        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
                                if (access(buf, X_OK) == 0) {
                                        return 0;
                                }
                                err = -EACCES; /* found, but not runnable: go on looking */
                        }
                }
                p = colon ? colon + 1 : NULL;
        }
        return err;
}

static const char *env_path(char *const *envp)
{
        for (char *const *e = envp; *e; e++) {
                if (strncmp(*e, "PATH=", 5) == 0) {
                        return *e + 5;
                }
        }
        return NULL;
}

static int by_fd(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

/* plan_fds: the fds the child keeps, sorted, with errfd */
static int plan_fds(struct plan *pl, const int *keep, size_t n)
{
        pl->keep = malloc((n + 1) * sizeof(int));
        if (!pl->keep) {
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (keep[i] < 0 || fcntl(keep[i], F_GETFD) < 0) {
                        return -EBADF;
                }
                if (keep[i] < 3) {
                        pl->keep_std[keep[i]] = 1;
                        continue;
                }
                int dup = 0;
                for (size_t k = 0; k < pl->n_keep && !dup; k++) {
                        dup = pl->keep[k] == keep[i];
                }
                if (!dup) {
                        pl->keep[pl->n_keep++] = keep[i];
                }
        }
        pl->keep[pl->n_keep++] = pl->errfd;
        qsort(pl->keep, pl->n_keep, sizeof(int), by_fd);
        return 0;
}

/* caught_signals: the signals that have a handler now */
static void caught_signals(uint64_t caught[2])
{
        caught[0] = caught[1] = 0;
        for (int sig = 1; sig < 128 && sig < NSIG; sig++) {
                struct sigaction sa;
                if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0) {
                        continue;
                }
                if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
                        caught[sig / 64] |= 1ull << (sig % 64);
                }
        }
}

/* start: clone3 and run child(); the pid, with the pidfd in *pidfd */
static int start(struct plan *pl, int cgroup_fd, int *pidfd)
{
        struct proc_clone_args a;
        memset(&a, 0, sizeof(a));
        a.flags = PROC_CLONE_PIDFD;
        a.pidfd = (uint64_t)(uintptr_t)pidfd;
        a.exit_signal = SIGCHLD;
        size_t size = PROC_CLONE_ARGS_SIZE_VER0;
        if (cgroup_fd >= 0) {
                a.flags |= PROC_CLONE_INTO_CGROUP;
                a.cgroup = (uint64_t)cgroup_fd;
                size = PROC_CLONE_ARGS_SIZE_VER2;
        }
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &pl->mask);
        long pid = syscall(SYS_clone3, &a, size);
        if (pid == 0) {
                child(pl);
        }
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &pl->mask, NULL);
        return pid < 0 ? -e : (int)pid;
}

CHILD_CODE static int shared_vm_entry(void *arg)
{
        child(arg);
}

/* start_shared_vm: clone vfork-style (CLONE_VM | CLONE_VFORK) and run
 * child() on a stack of its own; back once it exec'd or exited. The pid,
 * with the pidfd in *pidfd. */
static int start_shared_vm(struct plan *pl, int *pidfd)
{
        void *stack = mmap(NULL, PROC_SHARED_VM_STACK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
        if (stack == MAP_FAILED) {
                return -errno;
        }
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &pl->mask);
        int pid = clone(shared_vm_entry, (char *)stack + PROC_SHARED_VM_STACK,
                        CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, pl, pidfd);
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &pl->mask, NULL);
        munmap(stack, PROC_SHARED_VM_STACK);
        return pid < 0 ? -e : pid;
}

/* finish: read the child's reports until exec closes the pipe. Returns 0
 * (it runs; *cgroup_failed when it could not join), or the -errno that
 * stopped it. */
static int finish(int fd, int *cgroup_failed)
{
        struct report m;
        ssize_t n;
        while ((n = read(fd, &m, sizeof(m))) != 0) {
                if (n < 0 && errno == EINTR) {
                        continue;
                }
                if (n != (ssize_t)sizeof(m)) {
                        return n < 0 ? -errno : -EIO;
                }
                if (m.stage != STAGE_CGROUP) {
                        return m.err > 0 ? -m.err : -EIO;
                }
                *cgroup_failed = 1;
        }
        return 0;
}

static int spawn(const struct ward_proc_spawn_options *o, struct plan *pl, int shared_vm,
                 ward_proc **ret)
{
        char found[PATH_MAX], leaf[PATH_MAX], procs[PATH_MAX + 16];
        int pipefd[2] = {-1, -1}, cgroup_fd = -1, pidfd = -1, r;
        pl->path = o->path ? o->path : o->argv[0];
        if (!strchr(pl->path, '/')) {
                const char *list = env_path(pl->envp);
                if (!list) {
                        list = o->envp ? "/usr/local/bin:/usr/bin:/bin" : getenv("PATH");
                }
                r = search_path(pl->path, list ? list : "/usr/local/bin:/usr/bin:/bin", found,
                                sizeof(found));
                if (r < 0) {
                        return r;
                }
                pl->path = found;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                return -errno;
        }
        pl->errfd = pipefd[1];
        r = plan_fds(pl, o->keep_fds, o->keep_fds ? o->n_keep_fds : 0);
        if (r == 0 && (o->flags & WARD_PROC_SPAWN_NULL_STDIO) &&
            (pl->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
                r = -errno;
        }
        leaf[0] = '\0';
        if (r == 0 && (o->flags & WARD_PROC_SPAWN_CGROUP) &&
            ward__cgroup_leaf_new(leaf, sizeof(leaf), &cgroup_fd) < 0) {
                leaf[0] = '\0'; /* no cgroup: started without, as documented */
        }
        int pid = r, fallback = 0;
        if (r == 0) {
                caught_signals(pl->caught);
                pid = -ENOSYS;
                if (shared_vm && PROC_SHARED_VM_OK && cgroup_fd < 0) {
                        pid = start_shared_vm(pl, &pidfd);
                }
                if (pid == -ENOSYS || pid == -EINVAL) { /* or a kernel without CLONE_PIDFD */
                        pid = start(pl, cgroup_fd, &pidfd);
                }
                if (pid < 0 && cgroup_fd >= 0) {
                        fallback = 1;
                        /* CLONE_INTO_CGROUP refused (kernel before 5.7, ...): the
                         * child joins by writing cgroup.procs itself */
                        snprintf(procs, sizeof(procs), "%s/cgroup.procs", leaf);
                        pl->procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
                        pid = start(pl, -1, &pidfd);
                }
        }
        close(pipefd[1]);
        int cgroup_failed = fallback && pl->procs_fd < 0;
        if (pid > 0) {
                if (o->flags & WARD_PROC_SPAWN_NEW_PGROUP) {
                        setpgid(pid, pid); /* both sides, so the group exists on return */
                }
                r = finish(pipefd[0], &cgroup_failed);
                if (r < 0) { /* it reported and exits: reap it */
                        int st;
                        ward__pidfd_exited(pidfd, UINT64_MAX);
                        ward__pidfd_reap(pidfd, &st);
                }
        } else {
                r = pid;
        }
        close(pipefd[0]);
        if (cgroup_fd >= 0) {
                close(cgroup_fd);
        }
        if (leaf[0] && (r < 0 || cgroup_failed)) {
                ward__cgroup_remove(leaf, 1000000000);
                leaf[0] = '\0';
        }
        if (r < 0) {
                if (pidfd >= 0) {
                        close(pidfd);
                }
                return r;
        }
        struct ward_proc *p = ward__proc_new(pid, pidfd, 1);
        if (!p) {
                return -ENOMEM; /* the child runs on: nothing holds it */
        }
        p->cgroup = leaf[0] ? strdup(leaf) : NULL; /* NULL when out of memory, too */
        *ret = p;
        return 0;
}

int ward__proc_spawn(const struct ward_proc_spawn_options *options, int shared_vm, ward_proc **ret)
{
        struct ward_proc_spawn_options o;
        if (!ret) {
                return -EINVAL;
        }
        *ret = NULL;
        if (!options || options->size < offsetof(struct ward_proc_spawn_options, n_keep_fds) +
                                            sizeof(options->n_keep_fds)) {
                return -EINVAL;
        }
        memset(&o, 0, sizeof(o));
        memcpy(&o, options, options->size < sizeof(o) ? options->size : sizeof(o));
        if (!o.argv || !o.argv[0]) {
                return -EINVAL;
        }
        struct plan pl;
        memset(&pl, 0, sizeof(pl));
        pl.argv = o.argv;
        pl.envp = o.envp ? o.envp : environ;
        pl.cwd = o.cwd;
        pl.flags = o.flags;
        pl.devnull = -1;
        pl.procs_fd = -1;
        pl.errfd = -1;
        long open_max = sysconf(_SC_OPEN_MAX); /* here: the child makes no libc calls */
        pl.open_max = open_max > 0 && open_max < INT_MAX ? (unsigned)open_max : 65536;
        int r = spawn(&o, &pl, shared_vm, ret);
        free(pl.keep);
        if (pl.devnull >= 0) {
                close(pl.devnull);
        }
        if (pl.procs_fd >= 0) {
                close(pl.procs_fd);
        }
        return r;
}

int ward_proc_spawn(const struct ward_proc_spawn_options *options, ward_proc **ret)
{
        return ward__proc_spawn(options, 0, ret);
}
