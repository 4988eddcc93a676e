/* Following a program as a debugger: see ward/debug.h.
 *
 * One loop on the tracer thread: poll() on a signalfd for SIGCHLD (a
 * tracee's stop or end), the stderr pipe and the audit socket; on each
 * wake-up, waitpid(tid, WNOHANG | __WALL) on every followed thread (never
 * -1: the caller's other children are not ours to reap). Before an event
 * from ptrace is reported, what is already in the pipe and the socket is
 * reported first: it was written before the stop. */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "preload/audit-format.h"
#include <ward/debug.h>
#include <ward/time.h>

#define OPTIONS                                                                                    \
        (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |     \
         PTRACE_O_TRACEEXIT)
#define LINE_MAX_BYTES 4096

extern char **environ;

struct task {
        int tid, pid;      /* pid: its thread group */
        int exit_reported; /* THREAD_EXIT said already (at its exit stop) */
        int quiet;         /* a thread of the spawned child before its exec: not the program's */
};

struct ward_debug {
        int pid; /* spawned or attached */
        int spawned;
        ward_debug_fn *cb;
        void *arg;
        struct task *tasks;
        size_t n, cap;
        int announce;     /* attach: ATTACHED events still to give */
        int exec_pending; /* spawn: the program is stopped at its exec, not said yet */
        int sig_fd, err_fd, audit_fd, wake_fd;
        char line[LINE_MAX_BYTES];
        size_t line_len;
        int stopped_by_cb; /* the callback's nonzero value, 0 if none */
        char audit_name[108];
};

const char *ward_debug_event_name(enum ward_debug_kind kind)
{
        static const char *const names[] = {
            "?",    "attached", "thread-start", "thread-exit",    "fork",   "exec",
            "exit", "signal",   "library-load", "library-unload", "output",
        };
        return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

int ward_debug_pid(const ward_debug *d)
{
        return d ? d->pid : -EINVAL;
}

static struct task *task_of(ward_debug *d, int tid)
{
        for (size_t i = 0; i < d->n; i++) {
                if (d->tasks[i].tid == tid) {
                        return &d->tasks[i];
                }
        }
        return NULL;
}

static int add_task(ward_debug *d, int tid, int pid)
{
        if (task_of(d, tid)) {
                return 0;
        }
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 16;
                struct task *t = realloc(d->tasks, cap * sizeof(*t));
                if (!t) {
                        return -ENOMEM;
                }
                d->tasks = t;
                d->cap = cap;
        }
        d->tasks[d->n++] = (struct task){tid, pid, 0, 0};
        return 0;
}

static void remove_task(ward_debug *d, int tid)
{
        struct task *t = task_of(d, tid);
        if (t) {
                *t = d->tasks[--d->n];
        }
}

static int emit(ward_debug *d, struct ward_debug_event *ev)
{
        if (d->stopped_by_cb) {
                return d->stopped_by_cb;
        }
        int r = d->cb(d->arg, ev);
        if (r) {
                d->stopped_by_cb = r;
        }
        return r;
}

/* ---- stderr and the audit socket ---- */

static void emit_line(ward_debug *d)
{
        struct ward_debug_event ev = {.kind = WARD_DEBUG_OUTPUT, .pid = d->pid, .tid = d->pid};
        ev.text = d->line;
        ev.len = d->line_len;
        d->line[d->line_len < sizeof(d->line) ? d->line_len : sizeof(d->line) - 1] = '\0';
        emit(d, &ev);
        d->line_len = 0;
}

/* read_stderr: report the complete lines the pipe holds (all of it at
 * EOF); the pipe is closed at EOF */
static void read_stderr(ward_debug *d)
{
        char buf[4096];
        ssize_t n;
        while (d->err_fd >= 0 && (n = read(d->err_fd, buf, sizeof(buf))) != 0) {
                if (n < 0) {
                        if (errno == EINTR) {
                                continue;
                        }
                        return; /* EAGAIN: all read */
                }
                for (ssize_t i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                                emit_line(d);
                                continue;
                        }
                        d->line[d->line_len++] = buf[i];
                        if (d->line_len == sizeof(d->line) - 1) {
                                emit_line(d); /* a very long line, in pieces */
                        }
                }
        }
        if (d->err_fd >= 0) { /* EOF: every writer is gone */
                if (d->line_len) {
                        emit_line(d);
                }
                close(d->err_fd);
                d->err_fd = -1;
        }
}

/* read_audit: report the datagrams of followed processes (checked: sender
 * from the kernel, every length) */
static void read_audit(ward_debug *d)
{
        while (d->audit_fd >= 0) {
                struct ward__audit_msg m;
                union {
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                        struct cmsghdr align;
                } c;
                struct iovec io = {&m, sizeof(m)};
                struct msghdr mh = {.msg_iov = &io,
                                    .msg_iovlen = 1,
                                    .msg_control = c.buf,
                                    .msg_controllen = sizeof(c.buf)};
                ssize_t n = recvmsg(d->audit_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        if (errno == EINTR) {
                                continue;
                        }
                        return;
                }
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                struct ucred cred = {0};
                if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
                    cm->cmsg_len >= CMSG_LEN(sizeof(cred))) {
                        memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
                }
                struct task *t = task_of(d, cred.pid);
                if (!t || (mh.msg_flags & MSG_TRUNC) || n < (ssize_t)WARD__AUDIT_HEADER_SIZE ||
                    m.magic != WARD__AUDIT_MAGIC ||
                    (m.kind != WARD__AUDIT_LOAD && m.kind != WARD__AUDIT_UNLOAD) ||
                    m.path_len > sizeof(m.path) ||
                    (size_t)n != WARD__AUDIT_HEADER_SIZE + m.path_len) {
                        continue; /* not one of ours, or not what audit.c sends */
                }
                char path[WARD__AUDIT_PATH_MAX + 1];
                memcpy(path, m.path, m.path_len);
                path[m.path_len] = '\0';
                struct task *th = task_of(d, m.tid);
                struct ward_debug_event ev = {
                    .kind = m.kind == WARD__AUDIT_LOAD ? WARD_DEBUG_LIBRARY_LOAD
                                                       : WARD_DEBUG_LIBRARY_UNLOAD,
                    .pid = t->pid,
                    .tid = th && th->pid == t->pid ? m.tid : t->pid,
                    .addr = m.base,
                    .text = path,
                    .len = m.path_len,
                };
                emit(d, &ev);
        }
}

static void read_side_channels(ward_debug *d)
{
        read_audit(d);
        read_stderr(d);
}

/* ---- ptrace events ---- */

static int tgid_of(int tid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/status", tid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0) {
                close(fd);
        }
        if (n <= 0) {
                return -1;
        }
        buf[n] = '\0';
        const char *p = strstr(buf, "\nTgid:");
        return p ? atoi(p + 6) : -1;
}

static void on_new_task(ward_debug *d, struct task *t, int event)
{
        unsigned long msg = 0;
        struct ward_debug_event ev = {.pid = t->pid, .tid = t->tid};
        if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0 || msg == 0 || msg > INT_MAX) {
                return;
        }
        int tid = (int)msg, pid = tid;
        if (event == PTRACE_EVENT_CLONE) {
                int g = tgid_of(tid);
                pid = g > 0 ? g : tid;
        }
        int parent_pid = t->pid; /* t may move when the array grows */
        if (add_task(d, tid, pid) < 0) {
                return;
        }
        if (pid == parent_pid) {
                ev.kind = WARD_DEBUG_THREAD_START;
                ev.tid = tid;
        } else {
                ev.kind = WARD_DEBUG_FORK;
                ev.child = tid;
                ev.vfork = event == PTRACE_EVENT_VFORK;
        }
        read_side_channels(d);
        emit(d, &ev);
}

static void on_exec(ward_debug *d, struct task *t)
{
        unsigned long former = 0;
        char path[64], exe[PATH_MAX];
        int tid = t->tid;
        if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &former) == 0 && (int)former != tid) {
                remove_task(d, (int)former); /* that thread is the leader now */
                if (!(t = task_of(d, tid))) {
                        return;
                }
        }
        snprintf(path, sizeof(path), "/proc/%d/exe", t->tid);
        ssize_t n = readlink(path, exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = '\0';
        struct ward_debug_event ev = {.kind = WARD_DEBUG_EXEC,
                                      .pid = t->pid,
                                      .tid = t->tid,
                                      .text = exe,
                                      .len = n > 0 ? (size_t)n : 0};
        read_side_channels(d);
        emit(d, &ev);
}

/* on_exit_stop: a thread is about to end (PTRACE_EVENT_EXIT): said now,
 * while whoever waits for it (pthread_join) still waits */
static void on_exit_stop(ward_debug *d, struct task *t)
{
        unsigned long status = 0;
        if (t->tid == t->pid || ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &status) < 0) {
                return; /* the process's end is said when it is reaped */
        }
        struct ward_debug_event ev = {.kind = WARD_DEBUG_THREAD_EXIT, .pid = t->pid, .tid = t->tid};
        if (WIFSIGNALED((int)status)) {
                ev.signo = WTERMSIG((int)status);
        } else {
                ev.status = WEXITSTATUS((int)status);
        }
        t->exit_reported = 1;
        read_side_channels(d);
        emit(d, &ev);
}

static int has_fault_address(int signo, int code)
{
        return code > 0 && (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL ||
                            signo == SIGFPE || signo == SIGTRAP);
}

static void on_signal(ward_debug *d, struct task *t, int signo)
{
        siginfo_t si;
        struct user_regs_struct regs;
        struct iovec io = {&regs, sizeof(regs)};
        struct ward_debug_event ev = {
            .kind = WARD_DEBUG_SIGNAL, .pid = t->pid, .tid = t->tid, .signo = signo};
        if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0) {
                ev.code = si.si_code;
                if (has_fault_address(signo, si.si_code)) {
                        ev.addr = (uint64_t)(uintptr_t)si.si_addr;
                } else if (si.si_code <= 0 || signo == SIGCHLD) {
                        ev.sender = si.si_pid;
                }
        }
        if (ptrace(PTRACE_GETREGSET, t->tid, (void *)(uintptr_t)NT_PRSTATUS, &io) == 0) {
                ev.pc = regs.rip;
        }
        read_side_channels(d);
        emit(d, &ev);
}

static void on_reaped(ward_debug *d, int tid, int status)
{
        struct task *t = task_of(d, tid);
        if (!t) {
                return;
        }
        struct ward_debug_event ev = {.pid = t->pid, .tid = tid};
        if (WIFSIGNALED(status)) {
                ev.signo = WTERMSIG(status);
                ev.core = WCOREDUMP(status) ? 1 : 0;
        } else {
                ev.status = WEXITSTATUS(status);
        }
        int said = t->exit_reported || t->quiet;
        ev.kind = tid == t->pid ? WARD_DEBUG_EXIT : WARD_DEBUG_THREAD_EXIT;
        remove_task(d, tid);
        if (ev.kind == WARD_DEBUG_EXIT || !said) {
                read_side_channels(d);
                emit(d, &ev);
        }
}

static int is_stop_signal(int sig)
{
        return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* handle: one waitpid status of a followed thread; the thread is let go at
 * the end (continued, or left in its group-stop) */
static void handle(ward_debug *d, int tid, int status)
{
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
                on_reaped(d, tid, status);
                return;
        }
        struct task *t = task_of(d, tid);
        if (!t || !WIFSTOPPED(status)) {
                return;
        }
        int sig = WSTOPSIG(status), event = status >> 16, give = 0;
        switch (event) {
        case PTRACE_EVENT_CLONE:
        case PTRACE_EVENT_FORK:
        case PTRACE_EVENT_VFORK:
                on_new_task(d, t, event);
                break;
        case PTRACE_EVENT_EXEC:
                on_exec(d, t);
                break;
        case PTRACE_EVENT_EXIT:
                on_exit_stop(d, t);
                break;
        case PTRACE_EVENT_STOP:
                if (is_stop_signal(sig)) { /* a group-stop: stay stopped, as without us */
                        ptrace(PTRACE_LISTEN, tid, 0, 0);
                        return;
                }
                break; /* a new thread's first stop, or an interrupt */
        case 0:
                on_signal(d, t, sig);
                give = sig;
                break;
        default:
                break;
        }
        ptrace(PTRACE_CONT, tid, 0, (void *)(uintptr_t)give);
}

/* drain: every status waiting, until a whole pass finds none */
static void drain(ward_debug *d)
{
        for (int progress = 1; progress && !d->stopped_by_cb;) {
                progress = 0;
                for (size_t i = 0; i < d->n && !d->stopped_by_cb; i++) {
                        int tid = d->tasks[i].tid, status;
                        pid_t r = waitpid(tid, &status, WNOHANG | __WALL);
                        if (r == tid) {
                                handle(d, tid, status);
                                progress = 1;
                        } else if (r < 0 && errno == ECHILD) {
                                remove_task(d, tid); /* gone without a word: not ours any more */
                                progress = 1;
                        }
                }
        }
}

static void announce(ward_debug *d)
{
        for (size_t i = 0; d->announce && i < d->n && !d->stopped_by_cb; i++) {
                struct ward_debug_event ev = {
                    .kind = WARD_DEBUG_ATTACHED, .pid = d->tasks[i].pid, .tid = d->tasks[i].tid};
                emit(d, &ev);
        }
        d->announce = 0;
}

static int64_t now_ms(void)
{
        return (int64_t)(ward_now_ns() / 1000000);
}

int ward_debug_run(ward_debug *d, int timeout_ms)
{
        if (!d) {
                return -EINVAL;
        }
        sigset_t chld, old;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &chld, &old);
        /* a caller's SIGCHLD handler with SA_NOCLDSTOP gets no signal for
         * stops: then look now and then as well */
        struct sigaction sa;
        int tick = sigaction(SIGCHLD, NULL, &sa) == 0 && (sa.sa_flags & SA_NOCLDSTOP) ? 20 : 1000;
        int64_t end = timeout_ms >= 0 ? now_ms() + timeout_ms : INT64_MAX;
        int r = 0;
        d->stopped_by_cb = 0;
        announce(d);
        struct task *first = d->exec_pending ? task_of(d, d->pid) : NULL;
        if (first) { /* the spawned program's exec, where ward_debug_spawn left it */
                d->exec_pending = 0;
                on_exec(d, first);
                ptrace(PTRACE_CONT, d->pid, 0, 0);
        }
        for (;;) {
                read_side_channels(d);
                drain(d);
                if (d->stopped_by_cb) {
                        r = d->stopped_by_cb;
                        break;
                }
                if (d->n == 0) {
                        read_side_channels(d); /* the last words; a reader may hold the pipe */
                        if (d->line_len) {
                                emit_line(d);
                        }
                        r = d->stopped_by_cb;
                        break;
                }
                int64_t left = end - now_ms();
                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                struct pollfd p[4] = {
                    {d->sig_fd, POLLIN, 0},
                    {d->err_fd, POLLIN, 0},
                    {d->audit_fd, POLLIN, 0},
                    {d->wake_fd, POLLIN, 0},
                };
                if (poll(p, 4, left < tick ? (int)left : tick) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (p[3].revents & POLLIN) {
                        uint64_t v;
                        if (read(d->wake_fd, &v, sizeof(v)) < 0) {
                                v = 0;
                        }
                        r = -EINTR;
                        break;
                }
                struct signalfd_siginfo ssi;
                while (p[0].revents && read(d->sig_fd, &ssi, sizeof(ssi)) == sizeof(ssi)) {
                }
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

int ward_debug_interrupt(ward_debug *d)
{
        uint64_t one = 1;
        if (!d) {
                return -EINVAL;
        }
        return write(d->wake_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* ---- setting up ---- */

static int new_debug(ward_debug_fn *cb, void *arg, ward_debug **ret)
{
        sigset_t chld;
        ward_debug *d = calloc(1, sizeof(*d));
        if (!d) {
                return -ENOMEM;
        }
        d->cb = cb;
        d->arg = arg;
        d->err_fd = d->audit_fd = -1;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        d->sig_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
        d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (d->sig_fd < 0 || d->wake_fd < 0) {
                int e = errno;
                ward_debug_close(d);
                return -e;
        }
        *ret = d;
        return 0;
}

static int traced_by_someone(int pid)
{
        char path[64], buf[2048];
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0) {
                close(fd);
        }
        if (n <= 0) {
                return 0;
        }
        buf[n] = '\0';
        const char *p = strstr(buf, "TracerPid:");
        return p && atoi(p + 10) != 0;
}

/* seize_threads: PTRACE_SEIZE every thread of pid, listing again until no
 * new one shows up (a thread may start while we attach) */
static int seize_threads(ward_debug *d, int pid)
{
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
        for (int added = 1, rounds = 0; added && rounds < 64; rounds++) {
                added = 0;
                DIR *dp = opendir(dir);
                if (!dp) {
                        return errno == ENOENT ? -ESRCH : -errno;
                }
                struct dirent *e;
                while ((e = readdir(dp))) {
                        char *end;
                        long tid = strtol(e->d_name, &end, 10);
                        if (tid <= 0 || *end || tid > INT_MAX || task_of(d, (int)tid)) {
                                continue;
                        }
                        if (ptrace(PTRACE_SEIZE, (int)tid, 0, (void *)(uintptr_t)OPTIONS) < 0) {
                                int err = errno;
                                if (err == ESRCH) {
                                        continue; /* it ended */
                                }
                                closedir(dp);
                                return err == EPERM && traced_by_someone(pid) ? -EBUSY : -err;
                        }
                        if (add_task(d, (int)tid, pid) < 0) {
                                closedir(dp);
                                return -ENOMEM;
                        }
                        added = 1;
                }
                closedir(dp);
        }
        return d->n ? 0 : -ESRCH;
}

int ward_debug_attach(int pid, ward_debug_fn *cb, void *arg, ward_debug **ret)
{
        ward_debug *d;
        if (pid <= 0 || pid == getpid() || !cb || !ret) {
                return -EINVAL;
        }
        int r = new_debug(cb, arg, &d);
        if (r < 0) {
                return r;
        }
        d->pid = pid;
        r = seize_threads(d, pid);
        if (r < 0) {
                ward_debug_close(d); /* detaches the threads seized so far */
                return r;
        }
        d->announce = 1;
        *ret = d;
        return 0;
}

/* default_audit_library: libward-audit.so where this library sits: in
 * ward/ below it once installed, next to it in the build tree */
static int default_audit_library(char *out, size_t size)
{
        Dl_info info;
        if (!dladdr((void *)ward_debug_spawn, &info) || !info.dli_fname) {
                return -ENOENT;
        }
        const char *slash = strrchr(info.dli_fname, '/');
        int dir = slash ? (int)(slash - info.dli_fname) : 1;
        const char *base = slash ? info.dli_fname : ".";
        snprintf(out, size, "%.*s/ward/libward-audit.so", dir, base);
        if (access(out, R_OK) == 0) {
                return 0;
        }
        snprintf(out, size, "%.*s/libward-audit.so", dir, base);
        if (access(out, R_OK) == 0) {
                return 0;
        }
        snprintf(out, size, "%.*s/../lib/libward-audit.so", dir, base); /* bin/ of the build */
        return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

/* open_audit_socket: the datagram socket libward-audit.so sends to, under
 * an abstract name of its own */
static int open_audit_socket(ward_debug *d)
{
        static unsigned counter;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int one = 1;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                return -errno;
        }
        unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(d->audit_name, sizeof(d->audit_name), "@ward-audit.%d.%u.%lx", (int)getpid(), n,
                 (unsigned long)ts.tv_nsec);
        size_t len = strlen(d->audit_name);
        memcpy(a.sun_path, d->audit_name, len);
        a.sun_path[0] = '\0';
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&a,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        d->audit_fd = fd;
        return 0;
}

/* child_env: the caller's environment with LD_AUDIT (added to one already
 * there) and the audit socket's name; NULL-terminated, malloc'd */
static char **child_env(const char *audit_library, const char *socket_name)
{
        size_t n = 0;
        while (environ[n]) {
                n++;
        }
        char **env = calloc(n + 3, sizeof(*env));
        char *audit = NULL, *sock = NULL;
        const char *old = getenv("LD_AUDIT");
        if (!env ||
            asprintf(&audit, "LD_AUDIT=%s%s%s", audit_library, old && *old ? ":" : "",
                     old ? old : "") < 0 ||
            asprintf(&sock, "%s=%s", WARD__AUDIT_ENV, socket_name) < 0) {
                free(env);
                return NULL;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (strncmp(environ[i], "LD_AUDIT=", 9) != 0 &&
                    strncmp(environ[i], WARD__AUDIT_ENV "=", sizeof(WARD__AUDIT_ENV)) != 0) {
                        env[k++] = environ[i];
                }
        }
        env[k++] = audit;
        env[k++] = sock;
        env[k] = NULL;
        return env;
}

static void free_env(char **env)
{
        if (env) {
                size_t n = 0;
                while (env[n]) {
                        n++;
                }
                free(env[n - 1]); /* the two strings of ours are last */
                free(env[n - 2]);
                free(env);
        }
}

/* wait_exec: let the spawned child run to its exec and leave it stopped
 * there (0), or see it end because the exec failed (-ECHILD). A runtime
 * may start threads before that (a sanitizer's): they are followed
 * quietly, and end at the exec. */
static int wait_exec(ward_debug *d, int pid)
{
        for (;;) {
                for (size_t i = 0; i < d->n; i++) {
                        int tid = d->tasks[i].tid, status;
                        pid_t w = waitpid(tid, &status, __WALL | (d->n > 1 ? WNOHANG : 0));
                        if (w < 0 && errno == EINTR) {
                                continue;
                        }
                        if (w < 0 || (w == tid && (WIFEXITED(status) || WIFSIGNALED(status)))) {
                                remove_task(d, tid);
                                if (tid == pid) {
                                        return -ECHILD;
                                }
                                continue;
                        }
                        if (w != tid || !WIFSTOPPED(status)) {
                                continue;
                        }
                        int event = status >> 16, give = 0;
                        unsigned long msg = 0;
                        if (tid == pid && event == PTRACE_EVENT_EXEC) {
                                d->exec_pending = 1;
                                return 0;
                        }
                        if ((event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
                             event == PTRACE_EVENT_VFORK) &&
                            ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && msg > 0 &&
                            msg <= INT_MAX && add_task(d, (int)msg, pid) == 0) {
                                task_of(d, (int)msg)->quiet = 1;
                        } else if (event == 0) {
                                give = WSTOPSIG(status);
                        }
                        ptrace(PTRACE_CONT, tid, 0, (void *)(uintptr_t)give);
                }
                if (d->n > 1) {
                        struct timespec ts = {0, 1000000};
                        nanosleep(&ts, NULL);
                }
        }
}

int ward_debug_spawn(char *const argv[], const char *audit_library, ward_debug_fn *cb, void *arg,
                     ward_debug **ret)
{
        char lib[PATH_MAX];
        ward_debug *d;
        int err[2] = {-1, -1}, go[2] = {-1, -1}, status_pipe[2] = {-1, -1};
        char **env = NULL;
        if (!argv || !argv[0] || !cb || !ret) {
                return -EINVAL;
        }
        int r = new_debug(cb, arg, &d);
        if (r < 0) {
                return r;
        }
        if (!audit_library && default_audit_library(lib, sizeof(lib)) == 0) {
                audit_library = lib;
        }
        if (audit_library && *audit_library && open_audit_socket(d) == 0 &&
            !(env = child_env(audit_library, d->audit_name))) {
                r = -ENOMEM;
                goto fail;
        }
        if (pipe2(err, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 ||
            pipe2(status_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail;
        }
        if (pid == 0) { /* the program: wait to be seized, then exec */
                char c;
                int e;
                close(go[1]); /* else the read below never sees the end */
                dup2(err[1], 2);
                while (read(go[0], &c, 1) < 0 && errno == EINTR) {
                }
                if (env) {
                        environ = env;
                }
                execvp(argv[0], argv);
                e = errno;
                if (write(status_pipe[1], &e, sizeof(e)) < 0) {
                        e = 0;
                }
                _exit(127);
        }
        d->pid = pid;
        d->spawned = 1;
        if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(uintptr_t)(OPTIONS | PTRACE_O_EXITKILL)) < 0) {
                r = -errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                goto fail;
        }
        add_task(d, pid, pid);
        close(go[1]);
        go[1] = -1;
        close(status_pipe[1]);
        status_pipe[1] = -1;
        if (wait_exec(d, pid) < 0) { /* exec failed: the child said why, and is gone */
                int e = 0;
                ssize_t n;
                while ((n = read(status_pipe[0], &e, sizeof(e))) < 0 && errno == EINTR) {
                }
                r = n == sizeof(e) && e ? -e : -ENOEXEC;
                goto fail;
        }
        d->err_fd = err[0];
        err[0] = -1;
        fcntl(d->err_fd, F_SETFL, O_NONBLOCK);
        r = 0;
fail:
        for (int i = 0; i < 2; i++) {
                if (err[i] >= 0) {
                        close(err[i]);
                }
                if (go[i] >= 0) {
                        close(go[i]);
                }
                if (status_pipe[i] >= 0) {
                        close(status_pipe[i]);
                }
        }
        free_env(env);
        if (r < 0) {
                ward_debug_close(d);
                return r;
        }
        *ret = d;
        return 0;
}

/* ---- letting go ---- */

int ward_debug_detach(ward_debug *d)
{
        if (!d) {
                return -EINVAL;
        }
        for (size_t i = 0; i < d->n; i++) {
                ptrace(PTRACE_INTERRUPT, d->tasks[i].tid, 0, 0);
        }
        /* each thread stops (or has stopped, or ends); one that stopped for
         * a fork or clone brings a new thread to let go too */
        while (d->n > 0) {
                struct task t = d->tasks[d->n - 1];
                int status, give = 0;
                pid_t r;
                while ((r = waitpid(t.tid, &status, __WALL)) < 0 && errno == EINTR) {
                }
                if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
                        remove_task(d, t.tid);
                        continue;
                }
                int event = status >> 16;
                if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
                    event == PTRACE_EVENT_VFORK) {
                        unsigned long msg = 0;
                        if (ptrace(PTRACE_GETEVENTMSG, t.tid, 0, &msg) == 0 && msg > 0 &&
                            msg <= INT_MAX) {
                                add_task(d, (int)msg, (int)msg);
                        }
                } else if (event == 0) {
                        give = WSTOPSIG(status); /* a signal on its way: given back */
                }
                ptrace(PTRACE_DETACH, t.tid, 0, (void *)(uintptr_t)give);
                remove_task(d, t.tid);
        }
        if (d->audit_fd >= 0) { /* the audit library then falls silent */
                close(d->audit_fd);
                d->audit_fd = -1;
        }
        return 0;
}

void ward_debug_close(ward_debug *d)
{
        if (!d) {
                return;
        }
        if (d->n) {
                ward_debug_detach(d);
        }
        int fds[] = {d->sig_fd, d->err_fd, d->audit_fd, d->wake_fd};
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
                if (fds[i] >= 0) {
                        close(fds[i]);
                }
        }
        free(d->tasks);
        free(d);
}
