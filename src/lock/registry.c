/* The process's lock registry: see registry.h and layout.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/procstat.h"
#include "lock/order.h"
#include "lock/registry.h"

static struct ward__lockreg_header *reg;           /* the mapping, NULL before the first claim */
static int reg_failed;                             /* creation failed: do not retry every lock */
static int reg_pid;                                /* whose file reg is */
static char reg_lock;                              /* spinlock over claims, releases and creation */
static uint32_t free_slots[WARD__LOCKREG_ENTRIES]; /* released entries, reused first */
static uint32_t n_free;
static __thread uint32_t tid_cache __attribute__((tls_model("initial-exec")));

uint32_t ward__lock_tid(void)
{
        if (!tid_cache) {
                tid_cache = (uint32_t)syscall(SYS_gettid);
        }
        return tid_cache;
}

static struct ward_lock_entry *entry_at(struct ward__lockreg_header *h, uint32_t i)
{
        return (struct ward_lock_entry *)((char *)h + WARD__LOCKREG_ENTRIES_OFFSET) + i;
}

/* open_file: a fresh, full-size registry file for pid (an earlier file of
 * the same pid is a dead process's: replaced). Returns the fd or -errno. */
static int open_file(int pid)
{
        char path[64];
        ward__lockreg_path(pid, path, sizeof(path));
        unlink(path);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                return -errno;
        }
        if (ftruncate(fd, (off_t)WARD__LOCKREG_FILE_SIZE) < 0) {
                int e = errno;
                close(fd);
                unlink(path);
                return -e;
        }
        return fd;
}

static void fill_header(struct ward__lockreg_header *h, int pid)
{
        uint64_t start = 0;
        ward__proc_stat(0, NULL, &start);
        h->version = WARD__LOCKREG_VERSION;
        h->entry_size = sizeof(struct ward_lock_entry);
        h->capacity = WARD__LOCKREG_ENTRIES;
        h->pid = pid;
        h->start_time = start;
        h->order_checking = (uint32_t)__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED);
        __atomic_store_n(&h->magic, WARD__LOCKREG_MAGIC, __ATOMIC_RELEASE);
}

/* The child of a fork gets a file of its own, mapped where the parent's was,
 * so its locks (which point into the mapping) keep their entries without
 * writing into the parent's. */
static void after_fork_child(void)
{
        tid_cache = 0;
        reg_lock = 0;
        if (!reg) {
                return;
        }
        int pid = getpid(), fd = open_file(pid);
        size_t used =
            WARD__LOCKREG_ENTRIES_OFFSET + (size_t)reg->used * sizeof(struct ward_lock_entry);
        if (fd < 0 || pwrite(fd, reg, used, 0) != (ssize_t)used ||
            mmap(reg, WARD__LOCKREG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
                 0) == MAP_FAILED) {
                /* keep the child off the parent's file: a private copy */
                mmap(reg, WARD__LOCKREG_FILE_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
                reg_failed = 1;
        }
        if (fd >= 0) {
                close(fd);
        }
        reg_pid = pid;
        fill_header(reg, pid);
}

static void remove_at_exit(void)
{
        char path[64];
        if (reg && reg_pid == getpid()) {
                ward__lockreg_path(reg_pid, path, sizeof(path));
                unlink(path);
        }
}

static void create_locked(void)
{
        int pid = getpid(), fd = open_file(pid);
        if (fd < 0) {
                reg_failed = 1;
                return;
        }
        void *p = mmap(NULL, WARD__LOCKREG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (p == MAP_FAILED) {
                reg_failed = 1;
                return;
        }
        fill_header(p, pid);
        reg_pid = pid;
        pthread_atfork(NULL, NULL, after_fork_child);
        atexit(remove_at_exit);
        __atomic_store_n(&reg, (struct ward__lockreg_header *)p, __ATOMIC_RELEASE);
}

struct ward__lockreg_header *ward__lockreg_header(void)
{
        return __atomic_load_n(&reg, __ATOMIC_ACQUIRE);
}

struct ward__lockreg_header *ward__lockreg_create_header(void)
{
        struct ward__lockreg_header *h = ward__lockreg_header();
        if (!h && !reg_failed) {
                ward__lock_spin(&reg_lock);
                if (!reg && !reg_failed) {
                        create_locked();
                }
                ward__lock_unspin(&reg_lock);
                h = ward__lockreg_header();
        }
        return h;
}

static void copy_str(char *dst, size_t size, const char *src)
{
        size_t n = src ? strnlen(src, size - 1) : 0;
        memcpy(dst, src ? src : "", n);
        dst[n] = '\0';
}

struct ward_lock_entry *ward__lockreg_claim(uint32_t kind, uint32_t flags, const void *addr,
                                            const char *name, const char *site, uint32_t class_id)
{
        struct ward__lockreg_header *h = ward__lockreg_create_header();
        struct ward_lock_entry *e = NULL;
        if (!h) {
                return NULL;
        }
        ward__lock_spin(&reg_lock);
        if (n_free) {
                e = entry_at(h, free_slots[--n_free]);
        } else if (h->used < h->capacity) {
                e = entry_at(h, h->used);
        } else {
                h->untracked++;
        }
        if (e) {
                uint32_t seq = e->seq | 1;
                __atomic_store_n(&e->seq, seq, __ATOMIC_RELAXED);
                WARD__LOCKREG_FENCE_RELEASE();
                memset((char *)e + sizeof(e->seq), 0, sizeof(*e) - sizeof(e->seq));
                e->flags = flags;
                e->class_id = class_id;
                e->addr = (uint64_t)(uintptr_t)addr;
                copy_str(e->name, sizeof(e->name), name);
                copy_str(e->site, sizeof(e->site), site);
                e->kind = kind;
                __atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELEASE);
                if ((uint32_t)(e - entry_at(h, 0)) == h->used) {
                        __atomic_store_n(&h->used, h->used + 1, __ATOMIC_RELEASE);
                }
        }
        ward__lock_unspin(&reg_lock);
        return e;
}

void ward__lockreg_site(const char *site, const char *func, char *buf, size_t size)
{
        if (func) {
                snprintf(buf, size, "%s (%s)", site ? site : "?", func);
        } else {
                snprintf(buf, size, "%s", site ? site : "?");
        }
}

void ward__lockreg_release(struct ward_lock_entry *e)
{
        struct ward__lockreg_header *h = ward__lockreg_header();
        if (!e || !h) {
                return;
        }
        ward__lock_spin(&reg_lock);
        ward__lockreg_begin(e);
        e->kind = WARD_LOCK_ENTRY_FREE;
        ward__lockreg_end(e);
        free_slots[n_free++] = (uint32_t)(e - entry_at(h, 0));
        ward__lock_unspin(&reg_lock);
}
