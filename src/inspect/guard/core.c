/* ward_core_write: a minimal ELF core of another process, from outside
 * (see ward/core.h). The layout follows what Linux writes for a crash with
 * the default coredump_filter, minus anonymous memory that a backtrace does
 * not need: notes first (per thread NT_PRSTATUS and NT_FPREGSET, then
 * NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE), then one PT_LOAD per piece of
 * each mapping, with bytes (stacks, ELF headers, [vdso], the link_map chain)
 * or without (everything else: a debugger reads those from the files). */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/options.h"
#include "core/procstat.h"

#include "capture.h"

#define PAGE 4096u
#define RED_ZONE 128u
#define STOP_ROUNDS 64 /* listings of the threads until no new one appears */
#define MAX_THREADS 65536
#define STOP_WAIT_MS 3000 /* how long one thread may take to stop */

static void set_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t size, const char *fmt, ...)
{
        if (err && size) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err, size, fmt, ap);
                va_end(ap);
        }
}

int ward__capture_read(void *capture, uint64_t addr, void *out, size_t n)
{
        struct ward__capture *c = capture;
        struct iovec local = {out, n}, remote = {(void *)(uintptr_t)addr, n};
        if (n == 0) {
                return 0;
        }
        if (addr + n < addr) {
                return -EFAULT;
        }
        if (process_vm_readv(c->mm_tid, &local, 1, &remote, 1, 0) == (ssize_t)n) {
                return 0;
        }
        if (c->mem_fd >= 0 && addr <= INT64_MAX &&
            pread(c->mem_fd, out, n, (off_t)addr) == (ssize_t)n) {
                return 0;
        }
        return -EFAULT;
}

/* read_file: all of a /proc file (small) into a malloc'd buffer */
static int read_file(const char *path, unsigned char **ret, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        size_t cap = 65536, n = 0;
        unsigned char *b = malloc(cap + 1);
        for (;;) {
                if (!b) {
                        close(fd);
                        return -ENOMEM;
                }
                ssize_t r = read(fd, b + n, cap - n);
                if (r < 0 && errno == EINTR) {
                        continue;
                }
                if (r < 0) {
                        int e = -errno;
                        free(b);
                        close(fd);
                        return e;
                }
                if (r == 0) {
                        break;
                }
                n += (size_t)r;
                if (n == cap) {
                        cap *= 2;
                        unsigned char *nb = cap < (256u << 20) ? realloc(b, cap + 1) : NULL;
                        if (!nb) {
                                free(b);
                        }
                        b = nb;
                }
        }
        close(fd);
        b[n] = '\0';
        *ret = b;
        *len = n;
        return 0;
}

static struct ward__core_thread *find_thread(struct ward__capture *c, int tid)
{
        for (size_t i = 0; i < c->n; i++) {
                if (c->t[i].tid == tid) {
                        return &c->t[i];
                }
        }
        return NULL;
}

/* tracer_of: the TracerPid of thread tid, -1 if unknown */
static int tracer_of(int pid, int tid)
{
        char path[64];
        unsigned char *s;
        size_t len;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
        if (read_file(path, &s, &len) < 0) {
                return -1;
        }
        const char *p = strstr((char *)s, "\nTracerPid:");
        int t = p ? atoi(p + 11) : -1;
        free(s);
        return t;
}

/* stop_thread: seize and interrupt tid, and wait for its stop. 1 stopped,
 * 0 gone, -errno */
static int stop_thread(struct ward__capture *c, struct ward__core_thread *t)
{
        struct ward__proc_statline stat;
        if (ward__proc_stat_read(c->pid, t->tid, &stat) == 0 &&
            (stat.state == 'Z' || stat.state == 'X')) {
                return 0; /* a zombie (a main thread that called pthread_exit) never stops */
        }
        if (tracer_of(c->pid, t->tid) == (int)gettid()) {
                t->seized = 0; /* the caller's, stopped (its crash stop, say) */
                return 1;
        }
        if (ptrace(PTRACE_SEIZE, t->tid, 0, 0) < 0) {
                return errno == ESRCH ? 0 : -errno;
        }
        t->seized = 1;
        if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH) {
                return -errno;
        }
        /* a thread in uninterruptible sleep (D) stops only when it leaves
         * the kernel: wait for it at most STOP_WAIT_MS, then go on without it */
        for (int waited = 0;; waited++) {
                int st;
                pid_t w = waitpid(t->tid, &st, __WALL | WNOHANG);
                if (w == 0) {
                        if (waited >= STOP_WAIT_MS) {
                                t->late = 1;
                                return 0;
                        }
                        struct timespec ms = {0, 1000000};
                        nanosleep(&ms, NULL);
                        continue;
                }
                if (w < 0 && errno == EINTR) {
                        continue;
                }
                if (w < 0) {
                        t->seized = 0;
                        return 0;
                }
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                        t->seized = 0;
                        return 0; /* it exited meanwhile */
                }
                if (WIFSTOPPED(st)) {
                        if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP) {
                                t->pending_sig = WSTOPSIG(st); /* signal-delivery-stop */
                        }
                        return 1;
                }
        }
}

/* stop_all: every thread of the process stopped (threads that appear while
 * we stop the others are caught by the next listing) */
static int stop_all(struct ward__capture *c, char *err, size_t err_size)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", c->pid);
        for (int round = 0; round < STOP_ROUNDS; round++) {
                DIR *d = opendir(path);
                if (!d) {
                        set_err(err, err_size, "process %d: %s", c->pid, strerror(errno));
                        return errno == ENOENT ? -ESRCH : -errno;
                }
                int added = 0;
                struct dirent *e;
                while ((e = readdir(d))) {
                        int tid = atoi(e->d_name);
                        if (tid <= 0 || find_thread(c, tid)) {
                                continue;
                        }
                        if (c->n == c->cap) {
                                size_t cap = c->cap ? c->cap * 2 : 16;
                                void *v =
                                    cap <= MAX_THREADS ? realloc(c->t, cap * sizeof(*c->t)) : NULL;
                                if (!v) {
                                        closedir(d);
                                        return -ENOMEM;
                                }
                                c->t = v;
                                c->cap = cap;
                        }
                        struct ward__core_thread *t = &c->t[c->n++];
                        memset(t, 0, sizeof(*t));
                        t->tid = tid;
                        int r = stop_thread(c, t), tracer;
                        if (r == -EPERM && (tracer = tracer_of(c->pid, tid)) > 0) {
                                r = -EBUSY; /* not a permission problem */
                                set_err(err, err_size,
                                        "thread %d of process %d is traced by %d already (a "
                                        "debugger?)",
                                        tid, c->pid, tracer);
                        } else if (r < 0) {
                                set_err(err, err_size, "ptrace thread %d of process %d: %s", tid,
                                        c->pid, strerror(-r));
                        }
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                        t->stopped = r;
                        added++;
                }
                closedir(d);
                if (!added) {
                        return 0;
                }
        }
        return 0;
}

static void detach_all(struct ward__capture *c)
{
        for (size_t i = 0; i < c->n; i++) {
                struct ward__core_thread *t = &c->t[i];
                if (t->seized && t->late) {
                        /* it may have stopped since. If not, the detach below fails and
                         * it stays attached: it stops when it leaves the kernel and is
                         * released when this process exits (a limit, see core.h) */
                        int st;
                        waitpid(t->tid, &st, __WALL | WNOHANG);
                }
                if (t->seized) {
                        ptrace(PTRACE_DETACH, t->tid, 0, (void *)(uintptr_t)t->pending_sig);
                        t->seized = 0;
                }
        }
}

/* regs_from_ucontext: the general registers of a glibc x86-64 ucontext_t */
static void regs_from_ucontext(struct user_regs_struct *r, const ucontext_t *uc)
{
        const greg_t *g = uc->uc_mcontext.gregs;
        r->r8 = (uint64_t)g[REG_R8];
        r->r9 = (uint64_t)g[REG_R9];
        r->r10 = (uint64_t)g[REG_R10];
        r->r11 = (uint64_t)g[REG_R11];
        r->r12 = (uint64_t)g[REG_R12];
        r->r13 = (uint64_t)g[REG_R13];
        r->r14 = (uint64_t)g[REG_R14];
        r->r15 = (uint64_t)g[REG_R15];
        r->rdi = (uint64_t)g[REG_RDI];
        r->rsi = (uint64_t)g[REG_RSI];
        r->rbp = (uint64_t)g[REG_RBP];
        r->rbx = (uint64_t)g[REG_RBX];
        r->rdx = (uint64_t)g[REG_RDX];
        r->rax = (uint64_t)g[REG_RAX];
        r->rcx = (uint64_t)g[REG_RCX];
        r->rsp = (uint64_t)g[REG_RSP];
        r->rip = (uint64_t)g[REG_RIP];
        r->eflags = (uint64_t)g[REG_EFL];
        r->orig_rax = (uint64_t)-1;
}

/* read_registers: of every stopped thread; the crashing one first */
static void read_registers(struct ward__capture *c)
{
        int first = c->o.crash_tid > 0 ? c->o.crash_tid : c->pid;
        for (size_t i = 0; i < c->n; i++) {
                struct ward__core_thread *t = &c->t[i];
                struct iovec v = {&t->regs, sizeof(t->regs)};
                if (t->stopped && ptrace(PTRACE_GETREGSET, t->tid, NT_PRSTATUS, &v) < 0) {
                        t->stopped = 0;
                }
                v = (struct iovec){&t->fp, sizeof(t->fp)};
                t->have_fp = t->stopped && ptrace(PTRACE_GETREGSET, t->tid, NT_FPREGSET, &v) == 0;
                if (t->tid == first && i != 0) {
                        struct ward__core_thread tmp = c->t[0];
                        c->t[0] = *t;
                        *t = tmp;
                }
        }
        struct ward__core_thread *t0 = c->n ? &c->t[0] : NULL;
        if (t0 && t0->tid == first && c->o.crash_ucontext) {
                regs_from_ucontext(&t0->regs, c->o.crash_ucontext);
                t0->stopped = 1;
        }
        /* the crash stop's own siginfo, when the caller gave no signal: of a
         * signal-delivery-stop (the caller's, or one we met), never of our
         * interrupt (an event stop: SIGTRAP with the event in si_code) */
        if (t0 && t0->tid == first && !c->o.signo && c->o.crash_tid > 0 &&
            (!t0->seized || t0->pending_sig) &&
            ptrace(PTRACE_GETSIGINFO, t0->tid, 0, &c->si) == 0 && c->si.si_signo > 0 &&
            !(c->si.si_signo == SIGTRAP && (c->si.si_code & 0xff00))) {
                c->o.signo = c->si.si_signo;
                c->o.code = c->si.si_code;
                c->o.addr = (uint64_t)(uintptr_t)c->si.si_addr;
        } else if (c->o.signo) {
                memset(&c->si, 0, sizeof(c->si));
                c->si.si_signo = c->o.signo;
                c->si.si_code = c->o.code;
                c->si.si_addr = (void *)(uintptr_t)c->o.addr;
        }
}

/* Ranges of memory to keep, page-aligned, then sorted and merged. */
struct ranges {
        struct {
                uint64_t lo, hi;
        } * v;
        size_t n, cap;
        int failed;
};

static void range_add(void *arg, uint64_t addr, uint64_t len)
{
        struct ranges *r = arg;
        uint64_t lo = addr & ~(uint64_t)(PAGE - 1), hi = addr + len;
        if (len == 0 || hi < addr) {
                return;
        }
        hi = (hi + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        if (hi == 0) {
                hi = ~(uint64_t)(PAGE - 1);
        }
        if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 64;
                void *v = realloc(r->v, cap * sizeof(*r->v));
                if (!v) {
                        r->failed = 1;
                        return;
                }
                r->v = v;
                r->cap = cap;
        }
        r->v[r->n].lo = lo;
        r->v[r->n++].hi = hi;
}

static int range_cmp(const void *a, const void *b)
{
        const uint64_t *x = a, *y = b;
        return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void ranges_merge(struct ranges *r)
{
        if (r->n == 0) {
                return;
        }
        qsort(r->v, r->n, sizeof(*r->v), range_cmp);
        size_t k = 0;
        for (size_t i = 1; i < r->n; i++) {
                if (r->v[i].lo <= r->v[k].hi) {
                        if (r->v[i].hi > r->v[k].hi) {
                                r->v[k].hi = r->v[i].hi;
                        }
                } else {
                        r->v[++k] = r->v[i];
                }
        }
        r->n = k + 1;
}

static int is_elf_file_start(struct ward__capture *c, const struct ward__map *m)
{
        unsigned char magic[SELFMAG];
        return m->offset == 0 && m->path[0] == '/' && (m->flags & WARD__MAP_R) &&
               ward__capture_read(c, m->start, magic, sizeof(magic)) == 0 &&
               memcmp(magic, ELFMAG, SELFMAG) == 0;
}

/* choose_memory: what the core keeps */
static void choose_memory(struct ward__capture *c, struct ranges *r)
{
        uint64_t cap = c->o.stack_max ? c->o.stack_max : WARD_CORE_STACK_MAX;
        for (size_t i = 0; i < c->n; i++) {
                uint64_t sp = c->t[i].regs.rsp;
                const struct ward__map *m;
                if (!c->t[i].stopped || sp < RED_ZONE) {
                        continue;
                }
                uint64_t lo = sp - RED_ZONE;
                m = ward__maps_find(&c->maps, lo);
                if (!m) {
                        m = ward__maps_find(&c->maps, sp);
                        lo = m ? m->start : 0;
                }
                if (m) {
                        uint64_t hi = m->end - lo > cap ? lo + cap : m->end;
                        range_add(r, lo, hi - lo);
                }
        }
        for (size_t i = 0; i < c->maps.n; i++) {
                const struct ward__map *m = &c->maps.v[i];
                if (strcmp(m->path, "[vdso]") == 0) {
                        range_add(r, m->start, m->end - m->start);
                } else if (is_elf_file_start(c, m)) {
                        range_add(r, m->start, PAGE);
                } else if (c->o.full_core && (m->flags & WARD__MAP_W) && (m->flags & WARD__MAP_R) &&
                           (m->flags & WARD__MAP_P)) {
                        /* private only: shared memory (trace buffers, registries) is
                         * another process's too, and large */
                        range_add(r, m->start, m->end - m->start);
                }
        }
        uint64_t phdr, phnum;
        if (ward__auxv_get(c->auxv, c->auxv_len, AT_PHDR, &phdr) == 0 &&
            ward__auxv_get(c->auxv, c->auxv_len, AT_PHNUM, &phnum) == 0) {
                ward__link_map_walk(ward__capture_read, c, phdr, phnum, range_add, r);
        }
        ranges_merge(r);
}

struct segment {
        uint64_t vaddr, memsz, filesz, offset;
        uint32_t flags;
};

struct segments {
        struct segment *v;
        size_t n, cap;
};

static int seg_add(struct segments *s, uint64_t lo, uint64_t hi, uint32_t flags, int bytes)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 128;
                void *v = cap < 0xfff0 ? realloc(s->v, cap * sizeof(*s->v)) : NULL;
                if (!v) {
                        return -ENOMEM;
                }
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = (struct segment){lo, hi - lo, bytes ? hi - lo : 0, 0, flags};
        return 0;
}

/* build_segments: each mapping cut into pieces with and without bytes */
static int build_segments(struct ward__capture *c, const struct ranges *r, struct segments *s)
{
        for (size_t i = 0; i < c->maps.n; i++) {
                const struct ward__map *m = &c->maps.v[i];
                uint32_t flags = (m->flags & WARD__MAP_R ? PF_R : 0) |
                                 (m->flags & WARD__MAP_W ? PF_W : 0) |
                                 (m->flags & WARD__MAP_X ? PF_X : 0);
                int readable = (m->flags & WARD__MAP_R) && strcmp(m->path, "[vvar]") != 0;
                if (strcmp(m->path, "[vsyscall]") == 0) {
                        continue;
                }
                uint64_t at = m->start;
                for (size_t k = 0; k < r->n && at < m->end && readable; k++) {
                        uint64_t lo = r->v[k].lo > at ? r->v[k].lo : at;
                        uint64_t hi = r->v[k].hi < m->end ? r->v[k].hi : m->end;
                        if (hi <= lo) {
                                continue;
                        }
                        if (lo > at && seg_add(s, at, lo, flags, 0) < 0) {
                                return -ENOMEM;
                        }
                        if (seg_add(s, lo, hi, flags, 1) < 0) {
                                return -ENOMEM;
                        }
                        at = hi;
                }
                if (at < m->end && seg_add(s, at, m->end, flags, 0) < 0) {
                        return -ENOMEM;
                }
        }
        return 0;
}

static void note(struct ward__buf *b, const char *name, uint32_t type, const void *desc,
                 size_t size)
{
        static const char zero[4];
        Elf64_Nhdr h = {(uint32_t)strlen(name) + 1, (uint32_t)size, type};
        ward__buf_put(b, &h, sizeof(h));
        ward__buf_put(b, name, h.n_namesz);
        ward__buf_put(b, zero, (4 - h.n_namesz % 4) % 4);
        ward__buf_put(b, desc, size);
        ward__buf_put(b, zero, (4 - size % 4) % 4);
}

/* build_notes: the PT_NOTE segment's bytes */
static void build_notes(struct ward__capture *c, struct ward__buf *b)
{
        const struct ward__proc_statline ps = c->ps;
        for (size_t i = 0; i < c->n; i++) {
                const struct ward__core_thread *t = &c->t[i];
                struct elf_prstatus pr;
                if (!t->stopped) {
                        continue;
                }
                memset(&pr, 0, sizeof(pr));
                if (c->o.signo) { /* every thread's, as Linux writes it (gdb reads the last) */
                        pr.pr_info.si_signo = c->o.signo;
                        pr.pr_info.si_code = c->o.code;
                        pr.pr_cursig = (short)c->o.signo;
                }
                pr.pr_pid = t->tid;
                pr.pr_ppid = ps.ppid;
                pr.pr_pgrp = ps.pgrp;
                pr.pr_sid = ps.sid;
                memcpy(&pr.pr_reg, &t->regs, sizeof(pr.pr_reg));
                pr.pr_fpvalid = t->have_fp;
                note(b, "CORE", NT_PRSTATUS, &pr, sizeof(pr));
                if (t->have_fp) {
                        note(b, "CORE", NT_FPREGSET, &t->fp, sizeof(t->fp));
                }
        }
        struct elf_prpsinfo pi;
        memset(&pi, 0, sizeof(pi));
        static const char states[] = "RSDTZW"; /* pr_state numbers them as Linux does */
        const char *at = ps.state ? strchr(states, ps.state) : NULL;
        pi.pr_state = at ? (char)(at - states) : 0;
        pi.pr_sname = ps.state ? ps.state : 'R';
        pi.pr_zomb = ps.state == 'Z';
        pi.pr_nice = (char)ps.nice;
        pi.pr_pid = c->pid;
        pi.pr_ppid = ps.ppid;
        pi.pr_pgrp = ps.pgrp;
        pi.pr_sid = ps.sid;
        memcpy(pi.pr_fname, ps.comm, strnlen(ps.comm, sizeof(pi.pr_fname) - 1));
        char path[64];
        unsigned char *cmd;
        size_t len;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/cmdline", c->pid, c->mm_tid);
        if (read_file(path, &cmd, &len) == 0) {
                size_t n = len < sizeof(pi.pr_psargs) - 1 ? len : sizeof(pi.pr_psargs) - 1;
                for (size_t k = 0; k < n; k++) {
                        pi.pr_psargs[k] = cmd[k] ? (char)cmd[k] : ' ';
                }
                while (n > 0 && pi.pr_psargs[n - 1] == ' ') {
                        pi.pr_psargs[--n] = '\0';
                }
                free(cmd);
        }
        snprintf(path, sizeof(path), "/proc/%d/status", c->pid);
        if (read_file(path, &cmd, &len) == 0) {
                const char *u = strstr((char *)cmd, "\nUid:"), *g = strstr((char *)cmd, "\nGid:");
                pi.pr_uid = u ? (unsigned)strtoul(u + 5, NULL, 10) : 0;
                pi.pr_gid = g ? (unsigned)strtoul(g + 5, NULL, 10) : 0;
                free(cmd);
        }
        note(b, "CORE", NT_PRPSINFO, &pi, sizeof(pi));
        if (c->o.signo) {
                note(b, "CORE", NT_SIGINFO, &c->si, sizeof(c->si));
        }
        if (c->auxv_len) {
                note(b, "CORE", NT_AUXV, c->auxv, c->auxv_len);
        }
        /* NT_FILE: count, page size, (start, end, offset in pages) each, names */
        struct ward__buf f = {0};
        uint64_t count = 0, page = PAGE;
        for (size_t i = 0; i < c->maps.n; i++) {
                count += c->maps.v[i].path[0] == '/';
        }
        ward__buf_put(&f, &count, 8);
        ward__buf_put(&f, &page, 8);
        for (size_t i = 0; i < c->maps.n; i++) {
                const struct ward__map *m = &c->maps.v[i];
                uint64_t e[3] = {m->start, m->end, m->offset / PAGE};
                if (m->path[0] == '/') {
                        ward__buf_put(&f, e, sizeof(e));
                }
        }
        for (size_t i = 0; i < c->maps.n; i++) {
                if (c->maps.v[i].path[0] == '/') {
                        ward__buf_put(&f, c->maps.v[i].path, strlen(c->maps.v[i].path) + 1);
                }
        }
        if (!f.failed) {
                note(b, "CORE", NT_FILE, f.p, f.len);
        } else {
                b->failed = 1;
        }
        ward__buf_free(&f);
}

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
        const unsigned char *b = p;
        while (n > 0) {
                ssize_t w = pwrite(fd, b, n, (off_t)off);
                if (w < 0 && errno == EINTR) {
                        continue;
                }
                if (w <= 0) {
                        return w < 0 ? -errno : -EIO;
                }
                b += w, n -= (size_t)w, off += (uint64_t)w;
        }
        return 0;
}

/* write_memory: a segment's bytes; pages that cannot be read stay zero */
static int write_memory(struct ward__capture *c, int fd, const struct segment *s,
                        unsigned char *chunk, size_t chunk_size)
{
        for (uint64_t at = 0; at < s->filesz; at += chunk_size) {
                size_t n = s->filesz - at < chunk_size ? (size_t)(s->filesz - at) : chunk_size;
                if (ward__capture_read(c, s->vaddr + at, chunk, n) < 0) {
                        for (size_t p = 0; p < n; p += PAGE) {
                                if (ward__capture_read(c, s->vaddr + at + p, chunk + p, PAGE) < 0) {
                                        memset(chunk + p, 0, PAGE);
                                }
                        }
                }
                int r = write_all(fd, chunk, n, s->offset + at);
                if (r < 0) {
                        return r;
                }
        }
        return 0;
}

/* write_core: the ELF file into fd; its size in *size */
static int write_core(struct ward__capture *c, int fd, uint64_t *size)
{
        struct ranges r = {0};
        struct segments s = {0};
        struct ward__buf notes = {0};
        unsigned char *chunk = NULL;
        int ret = 0;
        choose_memory(c, &r);
        if (r.failed || build_segments(c, &r, &s) < 0) {
                ret = -ENOMEM;
                goto out;
        }
        build_notes(c, &notes);
        if (notes.failed) {
                ret = -ENOMEM;
                goto out;
        }
        size_t phnum = s.n + 1;
        uint64_t notes_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
        uint64_t off = (notes_off + notes.len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        for (size_t i = 0; i < s.n; i++) {
                s.v[i].offset = off; /* as Linux does: where bytes would be, also without */
                off += s.v[i].filesz;
        }
        Elf64_Ehdr eh;
        memset(&eh, 0, sizeof(eh));
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
        eh.e_type = ET_CORE;
        eh.e_machine = EM_X86_64;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = sizeof(eh);
        eh.e_ehsize = sizeof(eh);
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = (uint16_t)phnum;
        Elf64_Phdr *ph = calloc(phnum, sizeof(*ph));
        chunk = malloc(1u << 20);
        if (!ph || !chunk) {
                free(ph);
                ret = -ENOMEM;
                goto out;
        }
        ph[0].p_type = PT_NOTE;
        ph[0].p_offset = notes_off;
        ph[0].p_filesz = notes.len;
        ph[0].p_align = 4;
        for (size_t i = 0; i < s.n; i++) {
                ph[i + 1] = (Elf64_Phdr){.p_type = PT_LOAD,
                                         .p_flags = s.v[i].flags,
                                         .p_offset = s.v[i].offset,
                                         .p_vaddr = s.v[i].vaddr,
                                         .p_memsz = s.v[i].memsz,
                                         .p_filesz = s.v[i].filesz,
                                         .p_align = PAGE};
        }
        ret = write_all(fd, &eh, sizeof(eh), 0);
        if (ret == 0) {
                ret = write_all(fd, ph, phnum * sizeof(*ph), sizeof(eh));
        }
        free(ph);
        if (ret == 0) {
                ret = write_all(fd, notes.p, notes.len, notes_off);
        }
        for (size_t i = 0; i < s.n && ret == 0; i++) {
                ret = write_memory(c, fd, &s.v[i], chunk, 1u << 20);
        }
        if (ret == 0 && ftruncate(fd, (off_t)off) < 0) {
                ret = -errno;
        }
        *size = off;
out:
        free(chunk);
        free(r.v);
        free(s.v);
        ward__buf_free(&notes);
        return ret;
}

/* open_temp: a new file in dir for the core, O_EXCL */
static int open_temp(const char *dir, int pid, char *tmp, size_t size)
{
        for (int i = 0; i < 100; i++) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                snprintf(tmp, size, "%s/.core.%d.%ld.%d.tmp", dir, pid, (long)ts.tv_nsec, i);
                int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd >= 0 || errno != EEXIST) {
                        return fd < 0 ? -errno : fd;
                }
        }
        return -EEXIST;
}

/* write_files: the core (and report) under their final names */
static int write_files(struct ward__capture *c, struct ward_core_result *res, char *err,
                       size_t err_size)
{
        const char *dir = c->o.dir ? c->o.dir : ".";
        char tmp[4096 + 64], stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        if ((size_t)snprintf(res->core, sizeof(res->core), "%s/core.%d.%s", dir, c->pid, stamp) >=
            sizeof(res->core) - 16) {
                set_err(err, err_size, "directory name too long");
                return -ENAMETOOLONG;
        }
        int fd = open_temp(dir, c->pid, tmp, sizeof(tmp));
        if (fd < 0) {
                set_err(err, err_size, "%s: %s", dir, strerror(-fd));
                return fd;
        }
        int r = write_core(c, fd, &res->core_size);
        if (r == 0 && fsync(fd) < 0) {
                r = -errno;
        }
        close(fd);
        if (r == 0 && rename(tmp, res->core) < 0) {
                r = -errno;
        }
        if (r < 0) {
                unlink(tmp);
                set_err(err, err_size, "writing the core in %s: %s", dir, strerror(-r));
                return r;
        }
        if (!c->o.report) {
                return 0;
        }
        size_t len = strlen(res->core); /* shorter than the room by 16 or more */
        memcpy(res->text, res->core, len);
        memcpy(res->text + len, ".txt", 5);
        memcpy(res->json, res->core, len);
        memcpy(res->json + len, ".json", 6);
        char tmp_json[4096 + 64];
        snprintf(tmp, sizeof(tmp), "%s.txt.tmp", res->core);
        snprintf(tmp_json, sizeof(tmp_json), "%s.json.tmp", res->core);
        FILE *text = fopen(tmp, "we"), *json = fopen(tmp_json, "we");
        r = text && json ? ward__core_report_write(c, res->core, text, json) : -errno;
        if (text && fclose(text) != 0 && r == 0) {
                r = -errno;
        }
        if (json && fclose(json) != 0 && r == 0) {
                r = -errno;
        }
        if (r == 0 && (rename(tmp, res->text) < 0 || rename(tmp_json, res->json) < 0)) {
                r = -errno;
        }
        if (r < 0) {
                unlink(tmp);
                unlink(tmp_json);
                res->text[0] = res->json[0] = '\0';
                set_err(err, err_size, "writing the report: %s", strerror(-r));
        }
        return r;
}

int ward_core_write(int pid, const struct ward_core_options *o, struct ward_core_result *res,
                    char *err, size_t err_size)
{
        struct ward__capture c;
        char path[64];
        set_err(err, err_size, "%s", "");
        if (pid <= 0 || !res) {
                set_err(err, err_size, "invalid arguments");
                return -EINVAL;
        }
        memset(res, 0, sizeof(*res));
        memset(&c, 0, sizeof(c));
        c.pid = pid;
        c.mem_fd = -1;
        c.o.size = sizeof(c.o);
        if (o && ward__options_copy(&c.o, sizeof(c.o), o) < 0) {
                set_err(err, err_size, "invalid options");
                return -EINVAL;
        }
        if (pid == (int)getpid()) {
                set_err(err, err_size, "cannot capture the calling process");
                return -EINVAL;
        }
        snprintf(path, sizeof(path), "/proc/%d/maps", pid);
        if (access(path, F_OK) < 0) {
                set_err(err, err_size, "no process %d", pid);
                return -ESRCH;
        }
        ward__proc_stat_read(pid, 0, &c.ps); /* its state as it was */
        int r = stop_all(&c, err, err_size);
        if (r == 0) {
                read_registers(&c);
                /* the memory, maps and auxv through a live thread: a main thread
                 * that called pthread_exit (a zombie) has none any more */
                const struct ward__core_thread *leader = find_thread(&c, pid);
                c.mm_tid = pid;
                for (size_t i = 0; i < c.n && !(leader && leader->stopped); i++) {
                        if (c.t[i].stopped) {
                                c.mm_tid = c.t[i].tid;
                                break;
                        }
                }
                snprintf(path, sizeof(path), "/proc/%d/task/%d/maps", pid, c.mm_tid);
                unsigned char *text;
                size_t len;
                r = read_file(path, &text, &len);
                if (r == 0) {
                        r = ward__maps_parse((char *)text, len, &c.maps);
                        r = r < 0 ? r : 0;
                        free(text);
                }
                if (r < 0) {
                        set_err(err, err_size, "%s: %s", path, strerror(-r));
                }
        }
        if (r == 0) {
                snprintf(path, sizeof(path), "/proc/%d/task/%d/auxv", pid, c.mm_tid);
                if (read_file(path, &c.auxv, &c.auxv_len) < 0) {
                        c.auxv_len = 0;
                }
                snprintf(path, sizeof(path), "/proc/%d/task/%d/mem", pid, c.mm_tid);
                c.mem_fd = open(path, O_RDONLY | O_CLOEXEC);
                for (size_t i = 0; i < c.n; i++) {
                        res->threads += c.t[i].stopped;
                }
                r = write_files(&c, res, err, err_size);
        }
        detach_all(&c);
        if (c.mem_fd >= 0) {
                close(c.mem_fd);
        }
        ward__maps_free(&c.maps);
        free(c.auxv);
        free(c.t);
        return r;
}
