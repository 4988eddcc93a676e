/* Every thread's stack, live or stopped: see ward_proc_stacks in stack.h. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inspect/stack/unwind.h"
#include <ward/stack.h>

#define MAX_THREADS 65536

struct thr {
        struct ward_proc_thread t;
        uint64_t sp, pc; /* LIVE: from the syscall file */
        struct user_regs_struct regs;
        int have_regs;
        int seized, stopped, signal; /* STOP: the signal to give back at detach */
        struct ward__raw_frame *raw;
        size_t nraw;
};

struct walk {
        int pid, only_tid;
        unsigned flags;
        struct thr *th;
        size_t n, cap;
};

static int read_small(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;
        int e = errno;
        if (fd >= 0) {
                close(fd);
        }
        if (n < 0) {
                return -e;
        }
        buf[n] = '\0';
        return (int)n;
}

const char *ward_proc_thread_state_name(char state)
{
        switch (state) {
        case 'R':
                return "running";
        case 'S':
                return "sleeping";
        case 'D':
                return "disk-sleep";
        case 'T':
                return "stopped";
        case 't':
                return "tracing-stop";
        case 'Z':
                return "zombie";
        case 'X':
                return "dead";
        case 'I':
                return "idle";
        default:
                return "unknown";
        }
}

/* read_info: the name and state of one thread (as /proc tells them: the
 * name is the target's, printable or not, NUL-terminated here) */
static void read_info(int pid, struct ward_proc_thread *t)
{
        char path[96], buf[512];
        char *open_paren, *close_paren; /* "tid (comm) S ...": comm may hold ')' too */
        t->state = '?';
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, t->tid);
        if (read_small(path, buf, sizeof(buf)) > 0 && (open_paren = strchr(buf, '(')) &&
            (close_paren = strrchr(buf, ')')) && close_paren > open_paren) {
                size_t n = (size_t)(close_paren - open_paren - 1);
                n = n < sizeof(t->name) - 1 ? n : sizeof(t->name) - 1;
                memcpy(t->name, open_paren + 1, n);
                t->name[n] = '\0';
                t->state = close_paren[1] == ' ' ? close_paren[2] : '?';
        }
}

static struct thr *find(struct walk *w, int tid)
{
        for (size_t i = 0; i < w->n; i++) {
                if (w->th[i].t.tid == tid) {
                        return &w->th[i];
                }
        }
        return NULL;
}

/* list_threads: add the threads of w->pid not seen yet (only w->only_tid
 * when set); how many were new, or -errno */
static int list_threads(struct walk *w)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", w->pid);
        DIR *d = opendir(path);
        if (!d) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        int added = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                char *end;
                long tid = strtol(e->d_name, &end, 10);
                if (tid <= 0 || *end || tid > 0x7fffffff || find(w, (int)tid) ||
                    (w->only_tid && tid != w->only_tid)) {
                        continue;
                }
                if (w->n == w->cap) {
                        size_t cap = w->cap ? w->cap * 2 : 16;
                        struct thr *th =
                            cap <= MAX_THREADS ? realloc(w->th, cap * sizeof(*th)) : NULL;
                        if (!th) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        w->th = th;
                        w->cap = cap;
                }
                struct thr *t = &w->th[w->n++];
                memset(t, 0, sizeof(*t));
                t->t.pid = w->pid;
                t->t.tid = (int)tid;
                t->t.syscall = -1;
                read_info(w->pid, &t->t);
                added++;
        }
        closedir(d);
        return added;
}

/* ---- LIVE ---- */

/* read_syscall: where a thread is, from its syscall file: blocked (sp, pc),
 * or running; -errno when the file cannot be read */
static int read_syscall(int pid, struct thr *t)
{
        char path[96], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, t->t.tid);
        int r = read_small(path, buf, sizeof(buf));
        if (r < 0) {
                return r;
        }
        if (strncmp(buf, "running", 7) == 0) {
                t->t.how = WARD_PROC_THREAD_RUNNING;
                return 0;
        }
        long nr = -1;
        unsigned long long a[6], sp = 0, pc = 0;
        int fields = sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1],
                            &a[2], &a[3], &a[4], &a[5], &sp, &pc);
        if (fields == 9) {
                t->t.syscall = nr;
                t->sp = sp;
                t->pc = pc;
        } else if (fields == 3) { /* "-1 sp pc": blocked, but not in a system call */
                t->sp = a[0];
                t->pc = a[1];
        }
        return 0;
}

static int live(struct walk *w)
{
        for (size_t i = 0; i < w->n; i++) {
                struct thr *t = &w->th[i];
                int r = read_syscall(w->pid, t);
                if (r == -EACCES || r == -EPERM) {
                        return r; /* the whole process is not ours to read */
                }
                if (r < 0) {
                        t->t.how = WARD_PROC_THREAD_GONE;
                }
        }
        return 0;
}

/* ---- STOP ---- */

static int traced_by_someone(int pid)
{
        char path[64], buf[2048];
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        const char *p = read_small(path, buf, sizeof(buf)) > 0 ? strstr(buf, "TracerPid:") : NULL;
        return p && atoi(p + 10) != 0;
}

/* seize: PTRACE_SEIZE and PTRACE_INTERRUPT one thread; 0, or -errno for
 * the whole walk (gone threads are marked, not errors) */
static int seize(struct walk *w, struct thr *t)
{
        if (t->t.state == 'Z' || t->t.state == 'X') {
                t->t.how = WARD_PROC_THREAD_GONE; /* an exited leader: nothing to stop */
                return 0;
        }
        if (ptrace(PTRACE_SEIZE, t->t.tid, 0, 0) < 0) {
                int e = errno;
                read_info(w->pid, &t->t);
                if (e == ESRCH || t->t.state == 'Z' || t->t.state == 'X' || t->t.state == '?') {
                        t->t.how = WARD_PROC_THREAD_GONE;
                        return 0;
                }
                return e == EPERM && traced_by_someone(w->pid) ? -EBUSY : -e;
        }
        t->seized = 1;
        if (ptrace(PTRACE_INTERRUPT, t->t.tid, 0, 0) < 0 && errno == ESRCH) {
                t->t.how = WARD_PROC_THREAD_GONE;
        }
        return 0;
}

/* wait_stop: wait until a seized thread stops (interrupt, group-stop, or a
 * signal arriving first, which is remembered to be given back) or ends */
static void wait_stop(struct thr *t)
{
        int status;
        pid_t r;
        while ((r = waitpid(t->t.tid, &status, __WALL)) < 0 && errno == EINTR) {
        }
        if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
                t->t.how = WARD_PROC_THREAD_GONE;
                t->seized = 0; /* a thread that ended is no longer traced */
                return;
        }
        if (WIFSTOPPED(status)) {
                t->stopped = 1;
                if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP) {
                        t->signal = WSTOPSIG(status); /* a signal-delivery-stop */
                }
        }
}

static void read_regs(struct thr *t)
{
        struct iovec io = {&t->regs, sizeof(t->regs)};
        if (ptrace(PTRACE_GETREGSET, t->t.tid, (void *)(uintptr_t)NT_PRSTATUS, &io) == 0) {
                t->have_regs = 1;
                t->t.syscall = (long)t->regs.orig_rax >= 0 ? (long)t->regs.orig_rax : -1;
        } else {
                t->t.how = errno == ESRCH ? WARD_PROC_THREAD_GONE : WARD_PROC_THREAD_UNREADABLE;
                t->t.error = -errno;
        }
}

static void detach_all(struct walk *w)
{
        for (size_t i = 0; i < w->n; i++) {
                struct thr *t = &w->th[i];
                if (t->seized) {
                        ptrace(PTRACE_DETACH, t->t.tid, 0, (void *)(uintptr_t)t->signal);
                        t->seized = 0;
                }
        }
}

/* stop_all: seize and stop every thread, again for threads that appear
 * meanwhile, until a listing finds no new one */
static int stop_all(struct walk *w)
{
        size_t done = 0;
        for (int rounds = 0; rounds < 64; rounds++) {
                for (size_t i = done; i < w->n; i++) {
                        int r = seize(w, &w->th[i]);
                        if (r < 0) {
                                return r;
                        }
                }
                for (size_t i = done; i < w->n; i++) {
                        if (w->th[i].seized) {
                                wait_stop(&w->th[i]);
                        }
                }
                done = w->n;
                if (w->only_tid) {
                        return 0;
                }
                int added = list_threads(w);
                if (added <= 0) {
                        return added == -ESRCH && done ? 0 : added < 0 ? added : 0;
                }
        }
        return 0;
}

/* ---- both ---- */

static int unwind_all(struct walk *w, struct ward_stack *st)
{
        for (size_t i = 0; i < w->n; i++) {
                struct thr *t = &w->th[i];
                if (t->t.how != WARD_PROC_THREAD_UNWOUND) {
                        continue;
                }
                if (w->flags & WARD_PROC_STACKS_STOP) {
                        read_regs(t);
                        if (!t->have_regs) {
                                continue;
                        }
                }
                if (!t->have_regs && (!t->sp || !t->pc)) {
                        t->t.how = WARD_PROC_THREAD_UNREADABLE; /* e.g. a kernel thread */
                        t->t.error = -ENODATA;
                        continue;
                }
                t->raw = malloc(WARD__STACK_MAX_RAW * sizeof(*t->raw));
                if (!t->raw) {
                        return -ENOMEM;
                }
                int r = ward__stack_unwind_raw(st, t->t.tid, t->have_regs ? &t->regs : NULL, t->sp,
                                               t->pc, t->raw, WARD__STACK_MAX_RAW, &t->nraw);
                if (r < 0) {
                        t->t.how = WARD_PROC_THREAD_UNREADABLE;
                        t->t.error = r;
                }
        }
        return 0;
}

/* report: describe each thread's frames (after the process runs again) and
 * hand them to cb */
static int report(struct walk *w, struct ward_stack *st, ward_proc_frame_fn *cb, void *arg)
{
        enum { PER_RAW = 8 };
        struct ward_stack_frame *f = NULL;
        size_t room = 0;
        int r = 0;
        for (size_t i = 0; i < w->n && r == 0; i++) {
                struct thr *t = &w->th[i];
                size_t n = 0;
                if (t->t.how == WARD_PROC_THREAD_UNWOUND && t->nraw) {
                        if (room < t->nraw * PER_RAW) {
                                free(f);
                                room = t->nraw * PER_RAW;
                                if (!(f = malloc(room * sizeof(*f)))) {
                                        return -ENOMEM;
                                }
                        }
                        for (size_t k = 0; k < t->nraw && n < room; k++) {
                                n += ward__stack_describe(st, &t->raw[k], f + n, room - n);
                        }
                }
                t->t.n_frames = n;
                if (n == 0) {
                        if (t->t.how == WARD_PROC_THREAD_UNWOUND) {
                                t->t.how = WARD_PROC_THREAD_UNREADABLE;
                                t->t.error = -ENODATA;
                        }
                        r = cb(arg, &t->t, 0, NULL);
                }
                for (size_t k = 0; k < n && r == 0; k++) {
                        r = cb(arg, &t->t, k, &f[k]);
                }
        }
        free(f);
        return r;
}

static int walk(int pid, int tid, unsigned flags, ward_proc_frame_fn *cb, void *arg)
{
        if (pid <= 0 || tid < 0 || !cb ||
            (flags & ~(WARD_PROC_STACKS_STOP | WARD_PROC_STACKS_NO_LINES)) ||
            ((flags & WARD_PROC_STACKS_STOP) && pid == getpid())) {
                return -EINVAL;
        }
        struct walk w = {.pid = pid, .only_tid = tid, .flags = flags};
        struct ward_stack *st = NULL;
        int r = list_threads(&w);
        if (r >= 0 && w.n == 0) {
                r = -ESRCH; /* no such thread in pid */
        }
        /* the modules first: the process need not be stopped for that */
        if (r >= 0) {
                r = ward_stack_open(pid, !(flags & WARD_PROC_STACKS_NO_LINES), &st);
        }
        if (r >= 0) {
                r = flags & WARD_PROC_STACKS_STOP ? stop_all(&w) : live(&w);
        }
        if (r >= 0) {
                r = unwind_all(&w, st);
        }
        detach_all(&w);
        if (r >= 0) {
                r = report(&w, st, cb, arg);
        }
        for (size_t i = 0; i < w.n; i++) {
                free(w.th[i].raw);
        }
        free(w.th);
        ward_stack_close(st);
        return r;
}

int ward_proc_stacks(int pid, unsigned flags, ward_proc_frame_fn *cb, void *arg)
{
        return walk(pid, 0, flags, cb, arg);
}

int ward_proc_stack(int pid, int tid, unsigned flags, ward_proc_frame_fn *cb, void *arg)
{
        return tid > 0 ? walk(pid, tid, flags, cb, arg) : -EINVAL;
}
