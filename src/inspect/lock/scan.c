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
        struct ward__procstat st;
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

/* classify: what the futex word at addr belongs to, and its owner. */
static void classify(const struct ward_lock_scan *s, struct ward_lock_thread *t, uint64_t addr)
{
        struct ward__glibc_words m;
        t->kind = WARD_LOCK_WAIT_UNKNOWN;
        t->addr = addr;
        if (t->sp && addr >= t->sp && addr - t->sp < 4096) {
                /* glibc, told EDEADLK by a PI lock, waits forever on a local */
                t->kind = WARD_LOCK_WAIT_FOREVER;
                t->owner = t->tid;
                return;
        }
        if (read_mem(s->pid, addr, &m, sizeof(m)) == 0) {
                int owner = ward__glibc_mutex_owner(&m);
                if (is_thread(s, owner)) {
                        t->kind = WARD_LOCK_WAIT_MUTEX;
                        t->owner = owner;
                        t->mutex_kind = m.w[WARD__GLIBC_MUTEX_KIND];
                        t->count = (unsigned)m.w[WARD__GLIBC_MUTEX_COUNT];
                        return;
                }
        }
        for (int off = 8; off <= 12; off += 4) { /* __wrphase_futex, __writers_futex */
                int32_t w;
                if (addr >= (uint64_t)off &&
                    read_mem(s->pid, addr - (uint64_t)off + 4 * WARD__GLIBC_RWLOCK_CUR_WRITER, &w,
                             4) == 0 &&
                    is_thread(s, w) && w != t->tid) {
                        t->kind = WARD_LOCK_WAIT_RWLOCK;
                        t->addr = addr - (uint64_t)off;
                        t->owner = w;
                        return;
                }
        }
        if (read_mem(s->pid, addr, &m, 4) == 0 && is_thread(s, m.w[0]) && m.w[0] != t->tid) {
                t->kind = WARD_LOCK_WAIT_JOIN; /* pthread_join waits on the thread's tid word */
                t->owner = m.w[0];
        }
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
        static const char *const names[] = {"none", "mutex", "rwlock",
                                            "join", "futex", "restarted wait"};
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
