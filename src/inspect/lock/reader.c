/* Reading a lock registry from outside: see reader.h. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/procstat.h"
#include "lock/glibc.h"
#include <ward/lock-inspect.h>

#include "lock/layout.h"

#define COPY_TRIES 1000

static void terminate(char *s, size_t size)
{
        s[size - 1] = '\0';
}

/* copy_entry: a consistent copy of e, or -EBUSY if it kept changing */
static int copy_entry(const struct ward_lock_entry *e, struct ward_lock_entry *out)
{
        for (int i = 0; i < COPY_TRIES; i++) {
                uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
                if (s1 & 1) {
                        continue;
                }
                memcpy(out, (const void *)e, sizeof(*out));
                WARD__LOCKREG_FENCE_ACQUIRE();
                if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s1) {
                        terminate(out->name, sizeof(out->name));
                        terminate(out->site, sizeof(out->site));
                        return 0;
                }
        }
        return -EBUSY;
}

static void copy_inversions(const struct ward__lockreg_header *h, struct ward_lock_registry *v)
{
        uint32_t n = v->inversions < WARD_LOCK_INVERSIONS ? v->inversions : WARD_LOCK_INVERSIONS;
        for (uint32_t i = 0; i < n; i++) {
                struct ward_lock_inversion *d = &v->inv[v->n_inv];
                uint32_t seq = __atomic_load_n(&h->inversion[i].seq, __ATOMIC_ACQUIRE);
                if (seq == 0 || (seq & 1)) {
                        continue; /* being written: the next read will have it */
                }
                memcpy(d, &h->inversion[i], sizeof(*d));
                terminate(d->held, sizeof(d->held));
                terminate(d->wanted, sizeof(d->wanted));
                terminate(d->held_site, sizeof(d->held_site));
                terminate(d->wanted_site, sizeof(d->wanted_site));
                terminate(d->earlier_first_site, sizeof(d->earlier_first_site));
                terminate(d->earlier_second_site, sizeof(d->earlier_second_site));
                v->n_inv++;
        }
}

int ward_lock_registry_parse(const void *map, size_t size, struct ward_lock_registry *v)
{
        const struct ward__lockreg_header *h = map;
        memset(v, 0, sizeof(*v));
        if (size < WARD__LOCKREG_ENTRIES_OFFSET ||
            __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != WARD__LOCKREG_MAGIC ||
            h->version != WARD__LOCKREG_VERSION ||
            h->entry_size != sizeof(struct ward_lock_entry)) {
                return -EPROTO;
        }
        uint32_t cap = h->capacity, used = __atomic_load_n(&h->used, __ATOMIC_ACQUIRE);
        if (cap > (size - WARD__LOCKREG_ENTRIES_OFFSET) / sizeof(struct ward_lock_entry) ||
            used > cap) {
                return -EPROTO;
        }
        v->pid = h->pid;
        v->start_time = h->start_time;
        v->untracked = h->untracked;
        v->order_checking = h->order_checking;
        v->inversions = h->inversions;
        copy_inversions(h, v);
        v->entries = calloc(used ? used : 1, sizeof(*v->entries));
        if (!v->entries) {
                return -ENOMEM;
        }
        const struct ward_lock_entry *e =
            (const void *)((const char *)map + WARD__LOCKREG_ENTRIES_OFFSET);
        for (uint32_t i = 0; i < used; i++) {
                struct ward_lock_entry *d = &v->entries[v->n];
                if (copy_entry(&e[i], d) < 0) {
                        v->busy++;
                } else if (d->kind == WARD_LOCK_ENTRY_MUTEX || d->kind == WARD_LOCK_ENTRY_RWLOCK) {
                        v->n++;
                }
        }
        return 0;
}

#define LIVE_BATCH 256

/* fill_live: owner, recursion and readers of v's entries from the locks
 * themselves in process pid (what the process does not write; a lock that
 * cannot be read keeps zeros) */
static void fill_live(int pid, struct ward_lock_registry *v)
{
        struct ward__glibc_words words[LIVE_BATCH];
        struct iovec local[LIVE_BATCH], remote[LIVE_BATCH];
        for (size_t at = 0; at < v->n; at += LIVE_BATCH) {
                size_t n = v->n - at < LIVE_BATCH ? v->n - at : LIVE_BATCH;
                for (size_t i = 0; i < n; i++) {
                        memset(&words[i], 0, sizeof(words[i]));
                        local[i] = (struct iovec){&words[i], sizeof(words[i])};
                        remote[i] = (struct iovec){(void *)(uintptr_t)v->entries[at + i].addr,
                                                   sizeof(words[i])};
                }
                /* a failed element ends the copy there: retry one by one */
                ssize_t got = process_vm_readv(pid, local, n, remote, n, 0);
                for (size_t i = 0; i < n; i++) {
                        if (got < (ssize_t)((i + 1) * sizeof(words[0]))) {
                                process_vm_readv(pid, &local[i], 1, &remote[i], 1, 0);
                        }
                        struct ward_lock_entry *e = &v->entries[at + i];
                        const uint32_t *w = (const uint32_t *)words[i].w;
                        if (e->kind == WARD_LOCK_ENTRY_RWLOCK) {
                                e->owner = w[WARD__GLIBC_RWLOCK_CUR_WRITER];
                                e->readers = e->owner ? 0
                                                      : w[WARD__GLIBC_RWLOCK_READERS] >>
                                                            WARD__GLIBC_RWLOCK_READER_SHIFT;
                                e->recursion = e->owner ? 1 : 0;
                        } else {
                                uint32_t count = w[WARD__GLIBC_MUTEX_COUNT];
                                e->owner = w[WARD__GLIBC_MUTEX_OWNER];
                                e->recursion = e->owner ? (count ? count : 1) : 0;
                        }
                }
        }
}

static sigjmp_buf bus_jump;

static void on_bus(int sig)
{
        (void)sig;
        siglongjmp(bus_jump, 1);
}

/* parse_guarded: parse, turning a SIGBUS (the file shrank) into -EPROTO */
static int parse_guarded(const void *map, size_t size, struct ward_lock_registry *v)
{
        struct sigaction sa = {.sa_handler = on_bus}, old;
        volatile int r = -EPROTO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, &old);
        if (sigsetjmp(bus_jump, 1) == 0) {
                r = ward_lock_registry_parse(map, size, v);
        } else {
                ward_lock_registry_free(v);
        }
        sigaction(SIGBUS, &old, NULL);
        return r;
}

int ward_lock_registry_read(int pid, struct ward_lock_registry *v)
{
        char path[64];
        struct stat st;
        uint64_t start = 0;
        memset(v, 0, sizeof(*v));
        ward__lockreg_path(pid, path, sizeof(path));
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                return errno == ELOOP ? -EPROTO : -errno;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
                close(fd);
                return -EPROTO;
        }
        size_t size = (size_t)st.st_size;
        void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (map == MAP_FAILED) {
                return -errno;
        }
        int r = parse_guarded(map, size, v);
        munmap(map, size);
        if (r == 0 &&
            (v->pid != pid || ward__proc_stat(pid, NULL, &start) < 0 || start != v->start_time)) {
                ward_lock_registry_free(v);
                r = -ESTALE;
        }
        if (r == 0) {
                fill_live(pid, v);
        }
        return r;
}

void ward_lock_registry_free(struct ward_lock_registry *v)
{
        free(v->entries);
        v->entries = NULL;
        v->n = 0;
}
