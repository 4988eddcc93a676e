/* ward/lock-inspect.h (libward-inspect): the locks of another live process,
 * read from outside without stopping it: blocked threads and what they wait
 * on (ward_lock_scan), the lock registry of a process that uses ward's
 * instrumented locks (ward_lock_registry_read), and the global mutexes and
 * rwlocks its files declare (ward_lock_globals). `ward locks` is built on
 * these. Link with libward-inspect (pkg-config ward-inspect, ward::inspect). */
#ifndef WARD_LOCK_INSPECT_H
#define WARD_LOCK_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>
#include <ward/lock-registry.h>

WARD_BEGIN_DECLS

/* Scanning a live process for blocked threads and what they wait on,
 * without stopping it: /proc/PID/task/TID/syscall says which threads sit in
 * futex(2) and on which address; process_vm_readv reads the object there;
 * glibc's layouts (x86-64, glibc 2.36) say whether it is a mutex, a rwlock or
 * a thread being joined, and who owns it. */

enum ward_lock_wait {
        WARD_LOCK_WAIT_NONE = 0,  /* not blocked in a futex wait */
        WARD_LOCK_WAIT_MUTEX,     /* a pthread_mutex_t */
        WARD_LOCK_WAIT_RWLOCK,    /* a pthread_rwlock_t held by a writer */
        WARD_LOCK_WAIT_JOIN,      /* pthread_join of another thread */
        WARD_LOCK_WAIT_UNKNOWN,   /* a futex ward cannot tell (a custom futex, ...) */
        WARD_LOCK_WAIT_RESTARTED, /* restart_syscall: an interrupted timed wait */
        WARD_LOCK_WAIT_FOREVER,   /* on a word of its own stack: glibc after the kernel
                                     refused a PI lock (EDEADLK) */
        WARD_LOCK_WAIT_COND,      /* a pthread_cond_t (waiters counts them) */
        WARD_LOCK_WAIT_SEM,       /* a sem_t at value 0 (value, waiters) */
        WARD_LOCK_WAIT_BARRIER,   /* a pthread_barrier_t (arrived of needed) */
};

struct ward_lock_thread {
        int tid;
        char name[20];
        char state; /* from /proc: R, S, D, ... */
        enum ward_lock_wait kind;
        uint64_t addr;            /* the object (mutex or rwlock base, or the futex word) */
        int owner;                /* the thread that must act first, 0 if none or unknown */
        int mutex_kind;           /* MUTEX: __kind (normal, recursive, errorcheck | robust | PI) */
        unsigned count;           /* MUTEX: recursion count */
        uint64_t sp, pc;          /* from the syscall file */
        unsigned readers;         /* RWLOCK with owner 0: the read holders it counts */
        unsigned waiters;         /* COND, SEM: threads waiting on it */
        unsigned value;           /* SEM: its value (0 while anyone waits) */
        unsigned arrived, needed; /* BARRIER: threads in this round of how many */
};

struct ward_lock_scan {
        int pid;
        struct ward_lock_thread *threads;
        size_t n;
        int *cycle; /* the threads of one wait-for cycle, in order; NULL if none */
        size_t cycle_len;
};

/* ward_lock_scan: scan process pid once. Returns 0, or -ESRCH (no such
 * process), -EPERM/-EACCES (not ours to read), -ENOMEM; *ret is the
 * caller's (ward_lock_scan_free). */
WARD_API int ward_lock_scan(int pid, struct ward_lock_scan *ret);
WARD_API void ward_lock_scan_free(struct ward_lock_scan *s);

/* ward_lock_scan_same_cycle: does later still hold a's cycle, with every
 * thread waiting on the same object? (A deadlock persists; a busy program's
 * waits change.) */
WARD_API int ward_lock_scan_same_cycle(const struct ward_lock_scan *a,
                                       const struct ward_lock_scan *later);

/* ward_lock_owner_of: the thread of s's process that holds the mutex (or,
 * rwlock nonzero, write-holds the rwlock) at addr; 0 if none or it does not
 * look like one. */
WARD_API int ward_lock_owner_of(const struct ward_lock_scan *s, uint64_t addr, int rwlock);

/* ward_lock_rwlock_readers: how many threads of s's process hold the
 * rwlock at addr for reading now (0 if none, or when it is write-held). */
WARD_API int ward_lock_rwlock_readers(const struct ward_lock_scan *s, uint64_t addr);

/* ward_lock_wait_name: "mutex", "rwlock", ... */
WARD_API const char *ward_lock_wait_name(enum ward_lock_wait k);

/* ward_lock_mutex_kind_name: "normal", "recursive", "errorcheck",
 * "adaptive", with "+robust", "+pi" as flags say. Writes into buf. */
WARD_API const char *ward_lock_mutex_kind_name(int kind, char *buf, size_t size);

/* Reading another process's lock registry (layout.h) from outside: the
 * `ward locks` side. The file is the other process's to write at any time,
 * so everything is checked and each entry copied under its seqlock. */

struct ward_lock_registry {
        int pid;
        uint64_t start_time;
        uint32_t untracked;      /* locks the full registry could not record */
        uint32_t order_checking; /* as the header says */
        uint32_t inversions;     /* reported by the process (maybe more than kept) */
        size_t n_inv;            /* kept in inv[] */
        struct ward_lock_inversion inv[WARD_LOCK_INVERSIONS];
        struct ward_lock_entry *entries; /* consistent copies of live entries */
        size_t n;
        size_t busy; /* entries that changed under every copy attempt (skipped) */
};

/* ward_lock_registry_parse: read a registry from map (size bytes), which the
 * owner may be writing. Every string in the result is NUL-terminated.
 * Returns 0, -EPROTO (not a registry: bad magic, version, sizes), -ENOMEM.
 * *v is the caller's (ward_lock_registry_free) on success. */
WARD_API int ward_lock_registry_parse(const void *map, size_t size, struct ward_lock_registry *v);

/* ward_lock_registry_read: the registry of live process pid, from
 * /dev/shm/ward-locks.<pid>, with each lock's owner, recursion and readers
 * read from the lock itself (process_vm_readv). Returns 0; -ENOENT (the process has none);
 * -ESTALE (a file left by an earlier process with that pid: its start time
 * differs); -EPROTO (damaged); -EACCES; -ENOMEM. The file shrinking under the
 * read (SIGBUS) gives -EPROTO. Single-threaded callers only (it installs a
 * SIGBUS handler for the read). */
WARD_API int ward_lock_registry_read(int pid, struct ward_lock_registry *v);

WARD_API void ward_lock_registry_free(struct ward_lock_registry *v);

/* The global (static) pthread mutexes and rwlocks of another process, found
 * by size in the symbol tables of the files it maps: what `ward locks -a`
 * checks for held-but-uncontended locks. */

struct ward_lock_global {
        uint64_t addr;  /* in the process */
        int rwlock;     /* 0: pthread_mutex_t (40 bytes), 1: pthread_rwlock_t (56 bytes) */
        char name[128]; /* "file!symbol" */
};

/* ward_lock_globals: every data object of pid's mapped ELF files whose size
 * is that of a pthread mutex or rwlock (candidates: the caller reads them to
 * tell real, held locks). *ret is the caller's (free). Returns 0 or -errno. */
WARD_API int ward_lock_globals(int pid, struct ward_lock_global **ret, size_t *n);

WARD_END_DECLS

#endif
