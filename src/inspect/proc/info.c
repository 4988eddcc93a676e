/* ward_proc_info: see ward/proc.h. Every file is read through one open
 * directory of /proc/PID, and the stat line is read again at the end: a
 * process that ended (or a pid that was reused) gives -ESRCH. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ward/proc.h>

#include "core/procstat.h"
#include "inspect/guard/guard-mark.h"
#include "inspect/proc/info.h"
#include "inspect/proc/parse.h"
#include "lock/layout.h"
#include "trace/layout.h"

#define SMALL_FILE 8192
#define CMDLINE_MAX (128 * 1024)

ssize_t ward__proc_read_at(int dirfd, const char *name, char *buf, size_t size)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        size_t n = 0;
        while (n < size) {
                ssize_t r = read(fd, buf + n, size - n);
                if (r < 0 && errno == EINTR) {
                        continue;
                }
                if (r < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (r == 0) {
                        break;
                }
                n += (size_t)r;
        }
        close(fd);
        return (ssize_t)n;
}

/* ticks_ns: clock ticks (USER_HZ) as ns */
static uint64_t ticks_ns(uint64_t ticks)
{
        static long hz;
        if (!hz) {
                hz = sysconf(_SC_CLK_TCK);
                hz = hz > 0 ? hz : 100;
        }
        return ticks * (1000000000ull / (uint64_t)hz);
}

/* boot_realtime_ns: when the machine booted, on the wall clock */
static uint64_t boot_realtime_ns(void)
{
        struct timespec real, boot;
        clock_gettime(CLOCK_REALTIME, &real);
        clock_gettime(CLOCK_BOOTTIME, &boot);
        int64_t r = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec;
        int64_t b = (int64_t)boot.tv_sec * 1000000000 + boot.tv_nsec;
        return (uint64_t)(r - b);
}

void ward__proc_fill_basic(struct ward_proc_info *p, const struct ward__proc_statline *s)
{
        p->pid = s->pid;
        p->ppid = s->ppid;
        p->pgid = s->pgrp;
        p->sid = s->sid;
        snprintf(p->comm, sizeof(p->comm), "%s", s->comm);
        p->state = s->state;
        p->user_ns = ticks_ns(s->utime);
        p->system_ns = ticks_ns(s->stime);
        p->start_ticks = s->start;
        p->start_ns = boot_realtime_ns() + ticks_ns(s->start);
        p->nice = s->nice;
        p->priority = s->priority;
        p->nthreads = s->num_threads;
        p->rss = s->rss > 0 ? (uint64_t)s->rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
        p->vm_size = s->vsize;
}

int64_t ward__proc_statm_rss(const char *text, size_t len)
{
        const char *sp = memchr(text, ' ', len);
        if (!sp || sp + 1 >= text + len) {
                return -1;
        }
        char buf[32];
        size_t n = 0;
        for (const char *q = sp + 1; q < text + len && *q >= '0' && *q <= '9' && n < 20; q++) {
                buf[n++] = *q;
        }
        if (n == 0 || n == 20) {
                return -1;
        }
        buf[n] = '\0';
        int64_t pages = (int64_t)strtoll(buf, NULL, 10), page = sysconf(_SC_PAGESIZE);
        return pages > INT64_MAX / page ? -1 : pages * page;
}

int ward__proc_basic_at(int dirfd, const char *prefix, struct ward_proc_info *p,
                        struct ward__proc_statline *s)
{
        char name[48], buf[1024];
        snprintf(name, sizeof(name), "%sstat", prefix);
        ssize_t n = ward__proc_read_at(dirfd, name, buf, sizeof(buf));
        if (n <= 0) {
                return n < 0 ? (int)n : -ESRCH;
        }
        if (ward__proc_stat_parse(buf, (size_t)n, s) < 0) {
                return -EBADMSG;
        }
        ward__proc_fill_basic(p, s);
        snprintf(name, sizeof(name), "%sstatm", prefix);
        n = ward__proc_read_at(dirfd, name, buf, sizeof(buf));
        int64_t rss = n > 0 ? ward__proc_statm_rss(buf, (size_t)n) : -1;
        if (rss >= 0) {
                p->rss = (uint64_t)rss;
        }
        return 0;
}

static int read_exe(int dirfd, struct ward_proc_info *p)
{
        char buf[4096];
        ssize_t n = readlinkat(dirfd, "exe", buf, sizeof(buf) - 1);
        if (n < 0) {
                return errno == ENOENT && p->state != 'Z' ? 0 : 0; /* kernel thread, not ours */
        }
        buf[n] = '\0';
        p->exe = strdup(buf);
        return p->exe ? 0 : -ENOMEM;
}

static int read_cmdline(int dirfd, struct ward_proc_info *p)
{
        char *buf = malloc(CMDLINE_MAX + 1);
        if (!buf) {
                return -ENOMEM;
        }
        ssize_t n = ward__proc_read_at(dirfd, "cmdline", buf, CMDLINE_MAX);
        if (n < 0) {
                free(buf);
                return n == -ESRCH ? -ESRCH : 0;
        }
        while (n > 0 && buf[n - 1] == '\0') {
                n--;
        }
        for (ssize_t i = 0; i < n; i++) {
                buf[i] = buf[i] ? buf[i] : ' ';
        }
        buf[n] = '\0';
        p->cmdline = buf;
        return 0;
}

static int read_memory(int dirfd, struct ward_proc_info *p)
{
        char buf[SMALL_FILE];
        ssize_t n = ward__proc_read_at(dirfd, "smaps_rollup", buf, sizeof(buf));
        if (n < 0) {
                return n == -ESRCH ? -ESRCH : 0; /* not ours to read */
        }
        int64_t pss = ward__proc_kv_kb(buf, (size_t)n, "Pss:");
        int64_t clean = ward__proc_kv_kb(buf, (size_t)n, "Private_Clean:");
        int64_t dirty = ward__proc_kv_kb(buf, (size_t)n, "Private_Dirty:");
        int64_t swap = ward__proc_kv_kb(buf, (size_t)n, "Swap:");
        if (n > 0 && (pss < 0 || clean < 0 || dirty < 0)) {
                return -EBADMSG;
        }
        p->pss = (uint64_t)(pss > 0 ? pss : 0) * 1024;
        p->private_mem = (uint64_t)((clean > 0 ? clean : 0) + (dirty > 0 ? dirty : 0)) * 1024;
        p->swap = (uint64_t)(swap > 0 ? swap : 0) * 1024;
        return 0;
}

static int read_ids(int dirfd, struct ward_proc_info *p)
{
        char buf[SMALL_FILE];
        ssize_t n = ward__proc_read_at(dirfd, "status", buf, sizeof(buf));
        if (n < 0) {
                return (int)n;
        }
        p->uid = ward__proc_status_id(buf, (size_t)n, "Uid:");
        p->gid = ward__proc_status_id(buf, (size_t)n, "Gid:");
        return 0;
}

static int read_cgroup(int dirfd, struct ward_proc_info *p)
{
        char buf[SMALL_FILE], path[4096];
        ssize_t n = ward__proc_read_at(dirfd, "cgroup", buf, sizeof(buf));
        if (n < 0) {
                return n == -ESRCH ? -ESRCH : 0;
        }
        if (ward__proc_cgroup_v2(buf, (size_t)n, path, sizeof(path)) == 0) {
                p->cgroup = strdup(path);
                return p->cgroup ? 0 : -ENOMEM;
        }
        return 0;
}

/* count_fds: entries of fd/, or -1 when it is not ours to read */
static int count_fds(int dirfd, struct ward_proc_info *p)
{
        int fd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        if (!d) {
                int err = errno;
                if (fd >= 0) {
                        close(fd);
                }
                return err == ENOENT ? -ESRCH : 0;
        }
        p->nfds = 0;
        while ((e = readdir(d))) {
                p->nfds += e->d_name[0] != '.';
        }
        closedir(d);
        return 0;
}

static int read_threads(int dirfd, struct ward_proc_info *p)
{
        int fd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        size_t cap = 0;
        if (!d) {
                if (fd >= 0) {
                        close(fd);
                }
                return -ESRCH;
        }
        while ((e = readdir(d))) {
                int tid = atoi(e->d_name);
                int tfd = tid > 0 ? openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                struct ward__proc_statline s;
                if (tfd < 0) {
                        continue;
                }
                int r = ward__proc_stat_at(tfd, &s);
                close(tfd);
                if (r < 0) {
                        continue; /* that thread ended meanwhile */
                }
                if (p->nthread_list == cap) {
                        cap = cap ? cap * 2 : 16;
                        void *bigger = realloc(p->threads, cap * sizeof(*p->threads));
                        if (!bigger) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        p->threads = bigger;
                }
                struct ward_proc_task *t = &p->threads[p->nthread_list++];
                t->tid = tid;
                t->state = s.state;
                snprintf(t->name, sizeof(t->name), "%s", s.comm);
        }
        closedir(d);
        return 0;
}

/* read_children: the "children" file of every thread (a child belongs to
 * the thread that forked it) */
static int read_children(int dirfd, struct ward_proc_info *p)
{
        size_t cap = 0;
        int fd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        int r = 0;
        if (!d) {
                if (fd >= 0) {
                        close(fd);
                }
                return -ESRCH;
        }
        while (r == 0 && (e = readdir(d))) {
                char name[320], buf[SMALL_FILE];
                if (atoi(e->d_name) <= 0) {
                        continue;
                }
                snprintf(name, sizeof(name), "task/%s/children", e->d_name);
                ssize_t n = ward__proc_read_at(dirfd, name, buf, sizeof(buf));
                if (n > 0) {
                        r = ward__proc_pids(buf, (size_t)n, &p->children, &p->nchildren, &cap);
                }
        }
        closedir(d);
        return r;
}

/* ward_file: whether ward's /dev/shm file name (of kind "trace", "locks")
 * exists for pid and, when start_off is nonzero, names start_ticks at that
 * offset (a stale file of an earlier pid does not count). */
static int ward_file(const char *kind, int pid, size_t start_off, uint64_t start_ticks)
{
        char path[64];
        uint64_t start = 0;
        snprintf(path, sizeof(path), "/dev/shm/ward-%s.%d", kind, pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                return 0;
        }
        ssize_t n = start_off ? pread(fd, &start, sizeof(start), (off_t)start_off) : 0;
        close(fd);
        return !start_off || (n == (ssize_t)sizeof(start) && start == start_ticks);
}

int ward__proc_ward_flags(int pid, uint64_t start_ticks)
{
        int flags = 0;
        flags |= ward_file("trace", pid, offsetof(struct ward__trace_shm, start_time), start_ticks)
                     ? WARD_PROC_TRACES
                     : 0;
        flags |=
            ward_file("locks", pid, offsetof(struct ward__lockreg_header, start_time), start_ticks)
                ? WARD_PROC_LOCKS
                : 0;
        flags |= ward__guard_mark_valid(pid, start_ticks) ? WARD_PROC_GUARDED : 0;
        return flags;
}

/* read_more: everything what asks beyond the basics */
static int read_more(int dirfd, unsigned what, struct ward_proc_info *p)
{
        int r = 0;
        if (r == 0 && (what & WARD_PROC_EXE)) {
                r = read_exe(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_CMDLINE)) {
                r = read_cmdline(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_THREADS)) {
                r = read_threads(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_CHILDREN)) {
                r = read_children(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_MEMORY)) {
                r = read_memory(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_FDS)) {
                r = count_fds(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_CGROUP)) {
                r = read_cgroup(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_IDS)) {
                r = read_ids(dirfd, p);
        }
        if (r == 0 && (what & WARD_PROC_WARD)) {
                p->ward = (unsigned)ward__proc_ward_flags(p->pid, p->start_ticks);
        }
        return r;
}

int ward_proc_info(int pid, unsigned what, struct ward_proc_info *ret)
{
        char path[32];
        struct ward__proc_statline s, again;
        if (!ret) {
                return -EINVAL;
        }
        *ret = (struct ward_proc_info){.uid = -1, .gid = -1, .nfds = -1, .what = what};
        if (pid <= 0 || (what & ~(unsigned)WARD_PROC_ALL)) {
                return -EINVAL;
        }
        snprintf(path, sizeof(path), "/proc/%d", pid);
        int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        int r = ward__proc_basic_at(dirfd, "", ret, &s);
        if (r == 0) {
                r = read_more(dirfd, what, ret);
        }
        /* still the same process, alive or a zombie: all of it belongs to it */
        if (r == 0 && (ward__proc_stat_at(dirfd, &again) < 0 || again.start != s.start)) {
                r = -ESRCH;
        }
        close(dirfd);
        return r;
}

void ward_proc_info_free(struct ward_proc_info *info)
{
        if (!info) {
                return;
        }
        free(info->exe);
        free(info->cmdline);
        free(info->cgroup);
        free(info->threads);
        free(info->children);
        info->exe = info->cmdline = info->cgroup = NULL;
        info->threads = NULL;
        info->children = NULL;
        info->nthread_list = info->nchildren = 0;
}

static int by_pid(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

long ward_proc_list(int **ret)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        int *pids = NULL;
        size_t n = 0, cap = 0;
        if (!d) {
                return -errno;
        }
        while ((e = readdir(d))) {
                int pid = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? atoi(e->d_name) : 0;
                if (pid <= 0) {
                        continue;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 512;
                        int *bigger = realloc(pids, cap * sizeof(int));
                        if (!bigger) {
                                free(pids);
                                closedir(d);
                                return -ENOMEM;
                        }
                        pids = bigger;
                }
                pids[n++] = pid;
        }
        closedir(d);
        qsort(pids, n, sizeof(int), by_pid);
        *ret = pids;
        return (long)n;
}
