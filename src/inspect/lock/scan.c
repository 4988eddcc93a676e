/* Scanning a process's blocked threads: see scan.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/procstat.h"
#include "lock/glibc.h"
#include <ward/lock-inspect.h>

#define SYS_FUTEX 202
#define SYS_RESTART 219

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

static int read_mem(int pid, uint64_t addr, void *buf, size_t len)
{
        struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
}

static int is_thread(const struct ward_lock_scan *s, int tid)
{
        for (size_t i = 0; tid > 0 && i < s->n; i++) {
                if (s->threads[i].tid == tid) {
                        return 1;
                }
        }
        return 0;
}

/* read_task: name, state and the syscall line of one thread. */
static int read_task(int pid, struct ward_lock_thread *t, long *nr, uint64_t *arg0)
{
        char path[96], buf[512];
        struct ward__proc_statline st;
        if (ward__proc_stat_read(pid, t->tid, &st) == 0) {
                size_t n = strnlen(st.comm, sizeof(t->name) - 1); /* a comm is 15 bytes at most */
                memcpy(t->name, st.comm, n);
                t->name[n] = '\0';
                t->state = st.state;
        }
        snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, t->tid);
        int r = read_small(path, buf, sizeof(buf));
        if (r < 0) {
                return r; /* EACCES/EPERM: not ours; ENOENT: the thread ended */
        }
        *nr = -1;
        unsigned long long a[6], sp = 0, pc = 0;
        if (strncmp(buf, "running", 7) == 0) {
                return 0;
        }
        int fields = sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", nr, &a[0], &a[1],
                            &a[2], &a[3], &a[4], &a[5], &sp, &pc);
        if (fields >= 2) {
                *arg0 = a[0];
        }
        if (fields == 9) {
                t->sp = sp;
                t->pc = pc;
        } else if (fields == 3) { /* "219 sp pc": no arguments */
                t->sp = a[0];
                t->pc = a[1];
        }
        return 0;
}

/* as_mutex: a locked mutex at addr whose owner is one of s's threads. */
static int as_mutex(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        struct ward__glibc_words m;
        if (read_mem(s->pid, addr, &m, sizeof(m)) < 0) {
                return 0;
        }
        int owner = ward__glibc_mutex_owner(&m);
        if (!is_thread(s, owner)) {
                return 0;
        }
        t->kind = WARD_LOCK_WAIT_MUTEX;
        t->owner = owner;
        t->mutex_kind = m.w[WARD__GLIBC_MUTEX_KIND];
        t->count = (unsigned)m.w[WARD__GLIBC_MUTEX_COUNT];
        return 1;
}

/* as_rwlock: addr is __wrphase_futex (+8) or __writers_futex (+12) of a
 * rwlock held by a writer (its owner) or, in a read phase, by readers. */
static int as_rwlock(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        for (uint64_t off = 8; off <= 12 && addr >= off; off += 4) {
                struct ward__glibc_words w;
                uint32_t flags;
                if (read_mem(s->pid, addr - off, &w, sizeof(w)) < 0 ||
                    read_mem(s->pid, addr - off + 4 * WARD__GLIBC_RWLOCK_FLAGS, &flags, 4) < 0 ||
                    flags > 2) {
                        continue;
                }
                int writer = w.w[WARD__GLIBC_RWLOCK_CUR_WRITER];
                uint32_t readers = (uint32_t)w.w[WARD__GLIBC_RWLOCK_READERS];
                unsigned nreaders = readers >> WARD__GLIBC_RWLOCK_READER_SHIFT;
                if (is_thread(s, writer) && writer != t->tid) {
                        t->owner = writer;
                } else if (writer == 0 && nreaders > 0 && !(readers & WARD__GLIBC_RWLOCK_WRPHASE)) {
                        t->readers = nreaders; /* no one owner: read-held */
                } else {
                        continue;
                }
                t->kind = WARD_LOCK_WAIT_RWLOCK;
                t->addr = addr - off;
                return 1;
        }
        return 0;
}

/* as_cond: addr is one of a condition variable's two __g_signals words: the
 * condition counts waiters (__wrefs) and holds a reference of one in that
 * group (__g_refs[g], two per waiter, taken before it sleeps). */
static int as_cond(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        for (uint64_t g = 0; g < 2; g++) {
                uint64_t base = addr - WARD__GLIBC_COND_SIGNALS_OFF - 4 * g;
                uint32_t c[12];
                if (addr < WARD__GLIBC_COND_SIGNALS_OFF + 4 * g ||
                    read_mem(s->pid, base, c, sizeof(c)) < 0) {
                        continue;
                }
                unsigned waiters = c[WARD__GLIBC_COND_WREFS] >> WARD__GLIBC_COND_WREFS_SHIFT;
                uint32_t refs = c[WARD__GLIBC_COND_REFS + g];
                if (waiters == 0 || waiters > 1u << 22 || refs < 2 || refs > 2 * waiters + 1) {
                        continue;
                }
                t->kind = WARD_LOCK_WAIT_COND;
                t->addr = base;
                t->waiters = waiters;
                return 1;
        }
        return 0;
}

/* as_barrier: addr is current_round of a barrier that waits for more. */
static int as_barrier(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        uint32_t b[5];
        if (addr < WARD__GLIBC_BARRIER_ROUND_OFF ||
            read_mem(s->pid, addr - WARD__GLIBC_BARRIER_ROUND_OFF, b, sizeof(b)) < 0) {
                return 0;
        }
        uint32_t in = b[0], round = b[1], count = b[2], shared = b[3];
        if (count < 2 || count > 1u << 22 || round % count != 0 || in - round >= count ||
            (shared != 0 && shared != WARD__GLIBC_FUTEX_PRIVATE)) {
                return 0;
        }
        t->kind = WARD_LOCK_WAIT_BARRIER;
        t->addr = addr - WARD__GLIBC_BARRIER_ROUND_OFF;
        t->arrived = in - round;
        t->needed = count;
        return 1;
}

/* as_sem: addr is a semaphore at value 0 that counts waiters. */
static int as_sem(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        uint32_t w[3];
        if (read_mem(s->pid, addr, w, sizeof(w)) < 0 || w[0] != 0 || w[1] == 0 || w[1] > 1u << 22 ||
            (w[2] != 0 && w[2] != WARD__GLIBC_FUTEX_PRIVATE)) {
                return 0;
        }
        t->kind = WARD_LOCK_WAIT_SEM;
        t->value = w[0];
        t->waiters = w[1];
        return 1;
}

/* as_join: addr is the tid word of a thread that another joins. */
static int as_join(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        int32_t tid;
        if (read_mem(s->pid, addr, &tid, 4) < 0 || !is_thread(s, tid) || tid == t->tid) {
                return 0;
        }
        t->kind = WARD_LOCK_WAIT_JOIN; /* pthread_join waits on the thread's tid word */
        t->owner = tid;
        return 1;
}

/* classify: what the futex word at addr belongs to, and its owner. The
 * layouts are tried from the most to the least specific. */
static void classify(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        t->kind = WARD_LOCK_WAIT_UNKNOWN;
        t->addr = addr;
        if (t->sp && addr >= t->sp && addr - t->sp < 4096) {
                /* glibc, told EDEADLK by a PI lock, waits forever on a local */
                t->kind = WARD_LOCK_WAIT_FOREVER;
                t->owner = t->tid;
                return;
        }
        if (!as_mutex(s, t, addr) && !as_rwlock(s, t, addr) && !as_join(s, t, addr) &&
            !as_barrier(s, t, addr) && !as_cond(s, t, addr)) {
                as_sem(s, t, addr);
        }
}

int ward_lock_rwlock_readers(const struct ward_lock_scan *s, uint64_t addr)
{
        int32_t readers;
        if (read_mem(s->pid, addr + 4 * WARD__GLIBC_RWLOCK_READERS, &readers, 4) < 0 ||
            (readers & WARD__GLIBC_RWLOCK_WRPHASE)) {
                return 0;
        }
        return (int)((uint32_t)readers >> WARD__GLIBC_RWLOCK_READER_SHIFT);
}

int ward_lock_owner_of(const struct ward_lock_scan *s, uint64_t addr, int rwlock)
{
        struct ward__glibc_words m;
        if (read_mem(s->pid, addr, &m, sizeof(m)) < 0) {
                return 0;
        }
        int owner = rwlock ? m.w[WARD__GLIBC_RWLOCK_CUR_WRITER] : ward__glibc_mutex_owner(&m);
        return is_thread(s, owner) ? owner : 0;
}

static int list_tasks(struct ward_lock_scan *s)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", s->pid);
        DIR *d = opendir(path);
        struct dirent *e;
        size_t cap = 0;
        if (!d) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        while ((e = readdir(d))) {
                int tid = atoi(e->d_name);
                if (tid <= 0) {
                        continue;
                }
                if (s->n == cap) {
                        cap = cap ? cap * 2 : 64;
                        struct ward_lock_thread *t = realloc(s->threads, cap * sizeof(*t));
                        if (!t) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        s->threads = t;
                }
                s->threads[s->n++] = (struct ward_lock_thread){.tid = tid};
        }
        closedir(d);
        return 0;
}

/* find_cycle: follow each thread's single out-edge (its owner); a walk that
 * comes back to a thread on the walk is a cycle. */
static int find_cycle(struct ward_lock_scan *s)
{
        for (size_t start = 0; start < s->n; start++) {
                int walk[64];
                size_t len = 0;
                int cur = s->threads[start].tid;
                while (len < 64) {
                        for (size_t k = 0; k < len; k++) {
                                if (walk[k] == cur) {
                                        s->cycle_len = len - k;
                                        s->cycle = malloc(s->cycle_len * sizeof(int));
                                        if (!s->cycle) {
                                                return -ENOMEM;
                                        }
                                        memcpy(s->cycle, walk + k, s->cycle_len * sizeof(int));
                                        return 0;
                                }
                        }
                        walk[len++] = cur;
                        int next = 0;
                        for (size_t i = 0; i < s->n; i++) {
                                next = s->threads[i].tid == cur ? s->threads[i].owner : next;
                        }
                        if (!next) {
                                break;
                        }
                        cur = next;
                }
        }
        return 0;
}

int ward_lock_scan(int pid, struct ward_lock_scan *s)
{
        memset(s, 0, sizeof(*s));
        s->pid = pid;
        int r = list_tasks(s);
        for (size_t i = 0; r == 0 && i < s->n; i++) {
                long nr = -1;
                uint64_t arg0 = 0;
                struct ward_lock_thread *t = &s->threads[i];
                int e = read_task(pid, t, &nr, &arg0);
                if (e == -EACCES || e == -EPERM) {
                        r = e;
                } else if (nr == SYS_FUTEX) {
                        classify(s, t, arg0);
                } else if (nr == SYS_RESTART) {
                        t->kind = WARD_LOCK_WAIT_RESTARTED;
                }
        }
        if (r == 0) {
                r = find_cycle(s);
        }
        if (r < 0) {
                ward_lock_scan_free(s);
        }
        return r;
}

void ward_lock_scan_free(struct ward_lock_scan *s)
{
        free(s->threads);
        free(s->cycle);
        s->threads = NULL;
        s->cycle = NULL;
        s->n = s->cycle_len = 0;
}

static const struct ward_lock_thread *thread_of(const struct ward_lock_scan *s, int tid)
{
        for (size_t i = 0; i < s->n; i++) {
                if (s->threads[i].tid == tid) {
                        return &s->threads[i];
                }
        }
        return NULL;
}

int ward_lock_scan_same_cycle(const struct ward_lock_scan *a, const struct ward_lock_scan *later)
{
        if (!a->cycle) {
                return 0;
        }
        for (size_t i = 0; i < a->cycle_len; i++) {
                const struct ward_lock_thread *x = thread_of(a, a->cycle[i]);
                const struct ward_lock_thread *y = thread_of(later, a->cycle[i]);
                if (!x || !y || x->addr != y->addr || x->owner != y->owner || x->kind != y->kind) {
                        return 0;
                }
        }
        return 1;
}

const char *ward_lock_wait_name(enum ward_lock_wait k)
{
        static const char *const names[] = {
            "none",           "mutex",           "rwlock", "join",      "futex",
            "restarted wait", "refused PI lock", "cond",   "semaphore", "barrier"};
        return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *ward_lock_mutex_kind_name(int kind, char *buf, size_t size)
{
        static const char *const basic[] = {"normal", "recursive", "errorcheck", "adaptive"};
        snprintf(buf, size, "%s%s%s%s", basic[kind & 3],
                 kind & WARD__GLIBC_MUTEX_KIND_ROBUST ? "+robust" : "",
                 kind & WARD__GLIBC_MUTEX_KIND_PI ? "+pi" : "",
                 kind & WARD__GLIBC_MUTEX_KIND_PP ? "+protect" : "");
        return buf;
}
