/* What the guardian does when its worker crashes or hangs: the core and the
 * report (ward_core_write), for a hang also the lock scan with a deadlock
 * named; then the worker's end (it re-raises after the ACK; a hung one gets
 * SIGTERM, the grace, SIGKILL) and its reaping. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <ward/core.h>
#include <ward/lock-inspect.h>

#include "core/guard-wire.h"
#include "inspect/guard/guardian-internal.h"

/* thread_of: is tid a thread of process pid? */
static int thread_of(int pid, int tid)
{
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid);
        return stat(path, &st) == 0;
}

/* read_ucontext: the crashing thread's ucontext_t, from the worker's memory */
static int read_ucontext(int pid, uint64_t addr, ucontext_t *uc)
{
        struct iovec local = {.iov_base = uc, .iov_len = sizeof(*uc)};
        struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = sizeof(*uc)};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n < 0) {
                return -errno;
        }
        return n == (ssize_t)sizeof(*uc) ? 0 : -EFAULT;
}

/* keep_paths: the dump's paths, for the upload once the worker is gone */
static void keep_paths(struct ward__guardian *g, const struct ward_core_result *res)
{
        snprintf(g->core, sizeof(g->core), "%s", res ? res->core : "");
        snprintf(g->report, sizeof(g->report), "%s", res ? res->text : "");
}

/* release_threads: a thread of pid the capture left attached to us (one it
 * could not detach) keeps the worker from ending: an exited one is reaped,
 * a stopped one detached */
static void release_threads(int pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", pid);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
                int tid = atoi(e->d_name), st;
                if (tid <= 0 || tid == pid) {
                        continue;
                }
                pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
                if (w == tid && WIFSTOPPED(st)) {
                        ptrace(PTRACE_DETACH, tid, 0, 0);
                }
        }
        if (d) {
                closedir(d);
        }
}

/* wait_end: the worker's end within timeout_ns, releasing threads left
 * attached on the way; -ETIMEDOUT */
static int wait_end(struct ward__guardian *g, uint64_t timeout_ns, struct ward_proc_status *st)
{
        uint64_t until = ward_now_ns() + timeout_ns;
        for (;;) {
                int r = ward_proc_wait(g->proc, 50 * 1000000ull, st);
                if (r != -ETIMEDOUT || ward_now_ns() >= until) {
                        return r;
                }
                release_threads(g->pid);
        }
}

static void pidfd_kill(struct ward__guardian *g)
{
        syscall(SYS_pidfd_send_signal, ward_proc_pidfd(g->proc), SIGKILL, NULL, 0);
}

/* reap: wait up to the grace for the worker to end, then SIGKILL it */
static int reap(struct ward__guardian *g, int *status)
{
        struct ward_proc_status st;
        int r = wait_end(g, g->o.grace_ns, &st);
        if (r == -ETIMEDOUT) {
                ward__guardian_warn(g,
                                    "worker %d did not end after its crash was captured: "
                                    "SIGKILL",
                                    g->pid);
                pidfd_kill(g);
                r = wait_end(g, 10 * 1000000000ull, &st);
        }
        if (r < 0) {
                return r;
        }
        *status = ward__status_of(&st);
        return 0;
}

int ward__capture_crash(struct ward__guardian *g, const struct ward__guard_msg *m, int *status)
{
        ucontext_t uc;
        struct ward_core_options co = {.size = sizeof(co),
                                       .signo = m->signo,
                                       .code = m->code,
                                       .addr = m->addr,
                                       .dir = g->o.dump_dir,
                                       .full_core = g->o.full_core,
                                       .report = 1};
        struct ward_core_result *res = calloc(1, sizeof(*res));
        char err[256] = "";
        int r = -ENOMEM;
        if (res && !thread_of(g->pid, m->tid)) {
                snprintf(err, sizeof(err), "thread %d is not one of worker %d's", m->tid, g->pid);
                r = -EINVAL;
        } else if (res) {
                co.crash_tid = m->tid;
                if (read_ucontext(g->pid, m->ucontext_addr, &uc) == 0) {
                        co.crash_ucontext = &uc;
                }
                r = ward_core_write(g->pid, &co, res, err, sizeof(err));
        }
        if (r < 0) {
                ward__guardian_warn(g, "capture of worker %d failed: %s", g->pid,
                                    err[0] ? err : strerror(-r));
        }
        ward__worker_send(g, WARD__GUARD_ACK, r == 0 ? WARD__GUARD_ACK_CORE : 0);
        struct ward_guardian_event ev = {.kind = WARD_GUARDIAN_CRASHED,
                                         .pid = g->pid,
                                         .signo = m->signo,
                                         .code = m->code,
                                         .addr = m->addr,
                                         .core = r == 0 ? res->core : NULL,
                                         .report = r == 0 && res->text[0] ? res->text : NULL};
        ward__guardian_event(g, &ev);
        ward__notify(g, "STATUS=worker %d crashed (SIG%s)%s%s", g->pid,
                     sigabbrev_np(m->signo) ? sigabbrev_np(m->signo) : "?", r == 0 ? ", core " : "",
                     r == 0 ? res->core : "");
        keep_paths(g, r == 0 ? res : NULL);
        free(res);
        return reap(g, status);
}

/* cycle_text: "deadlock: threads 12 -> 13 -> 12" */
static void cycle_text(const struct ward_lock_scan *s, char *buf, size_t size)
{
        size_t n = (size_t)snprintf(buf, size, "deadlock: threads");
        for (size_t i = 0; i < s->cycle_len && n < size; i++) {
                n += (size_t)snprintf(buf + n, size - n, " %d ->", s->cycle[i]);
        }
        if (n < size && s->cycle_len > 0) {
                snprintf(buf + n, size - n, " %d", s->cycle[0]);
        }
}

/* write_locks: the scan beside the core, CORE.locks.txt */
static void write_locks(struct ward__guardian *g, const char *core, const struct ward_lock_scan *s,
                        const char *cycle)
{
        char path[4200], tmp[4210];
        snprintf(path, sizeof(path), "%s.locks.txt", core);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *f = fopen(tmp, "we");
        if (!f) {
                ward__guardian_warn(g, "%s: %s", tmp, strerror(errno));
                return;
        }
        fprintf(f, "process %d: %zu threads\n%s\n", s->pid, s->n, cycle[0] ? cycle : "no deadlock");
        for (size_t i = 0; i < s->n; i++) {
                const struct ward_lock_thread *t = &s->threads[i];
                fprintf(f, "thread %d \"%s\" %c %s", t->tid, t->name, t->state,
                        ward_lock_wait_name(t->kind));
                if (t->kind != WARD_LOCK_WAIT_NONE) {
                        fprintf(f, " 0x%llx owner %d", (unsigned long long)t->addr, t->owner);
                }
                fputc('\n', f);
        }
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                ward__guardian_warn(g, "%s: %s", path, strerror(errno));
                unlink(tmp);
        }
}

int ward__capture_hang(struct ward__guardian *g, int *status)
{
        struct ward_core_options co = {
            .size = sizeof(co), .dir = g->o.dump_dir, .full_core = g->o.full_core, .report = 1};
        struct ward_core_result *res = calloc(1, sizeof(*res));
        struct ward_lock_scan scan;
        char err[256] = "", msg[512] = "";
        /* the scan first: threads the capture stopped and released are
         * running again for a moment, not yet back in their futex wait */
        int scanned = ward_lock_scan(g->pid, &scan) == 0;
        if (scanned && scan.cycle_len > 0) {
                cycle_text(&scan, msg, sizeof(msg));
        }
        int r = res ? ward_core_write(g->pid, &co, res, err, sizeof(err)) : -ENOMEM;
        if (r < 0) {
                ward__guardian_warn(g, "capture of hung worker %d failed: %s", g->pid,
                                    err[0] ? err : strerror(-r));
        }
        if (scanned && r == 0) {
                write_locks(g, res->core, &scan, msg);
        }
        if (scanned) {
                ward_lock_scan_free(&scan);
        }
        struct ward_guardian_event ev = {.kind = WARD_GUARDIAN_HUNG,
                                         .pid = g->pid,
                                         .core = r == 0 ? res->core : NULL,
                                         .report = r == 0 && res->text[0] ? res->text : NULL,
                                         .message = msg[0] ? msg : "no heartbeat"};
        ward__guardian_event(g, &ev);
        ward__notify(g, "STATUS=worker %d hung (%s)", g->pid, msg[0] ? msg : "no heartbeat");
        struct ward_proc_status st;
        keep_paths(g, r == 0 ? res : NULL);
        free(res);
        syscall(SYS_pidfd_send_signal, ward_proc_pidfd(g->proc), SIGTERM, NULL, 0);
        syscall(SYS_pidfd_send_signal, ward_proc_pidfd(g->proc), SIGCONT, NULL, 0);
        r = wait_end(g, g->o.grace_ns, &st);
        if (r == -ETIMEDOUT) {
                pidfd_kill(g);
                r = wait_end(g, 10 * 1000000000ull, &st);
        }
        if (r == 0) {
                *status = ward__status_of(&st);
        }
        return r;
}
