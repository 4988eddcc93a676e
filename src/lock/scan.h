/* Scanning a live process for blocked threads and what they wait on,
 * without stopping it: /proc/PID/task/TID/syscall says which threads sit in
 * futex(2) and on which address; process_vm_readv reads the object there;
 * glibc's layouts (x86-64, glibc 2.36) say whether it is a mutex, a rwlock or
 * a thread being joined, and who owns it. */
#ifndef WARD_LOCK_SCAN_H
#define WARD_LOCK_SCAN_H

#include <stddef.h>
#include <stdint.h>

enum ward__lock_kind {
        WARD__WAIT_NONE = 0,  /* not blocked in a futex wait */
        WARD__WAIT_MUTEX,     /* a pthread_mutex_t */
        WARD__WAIT_RWLOCK,    /* a pthread_rwlock_t held by a writer */
        WARD__WAIT_JOIN,      /* pthread_join of another thread */
        WARD__WAIT_UNKNOWN,   /* a futex with no owner we can tell (condvar, semaphore...) */
        WARD__WAIT_RESTARTED, /* restart_syscall: an interrupted timed wait */
        WARD__WAIT_FOREVER, /* on a word of its own stack: glibc after the kernel refused a PI lock
                               (EDEADLK) */
};

struct ward__lock_thread {
        int tid;
        char name[20];
        char state; /* from /proc: R, S, D, ... */
        enum ward__lock_kind kind;
        uint64_t addr;   /* the object (mutex or rwlock base, or the futex word) */
        int owner;       /* the thread that must act first, 0 if none or unknown */
        int mutex_kind;  /* MUTEX: __kind (normal, recursive, errorcheck | robust | PI) */
        unsigned count;  /* MUTEX: recursion count */
        uint64_t sp, pc; /* from the syscall file */
};

struct ward__lock_scan {
        int pid;
        struct ward__lock_thread *threads;
        size_t n;
        int *cycle; /* the threads of one wait-for cycle, in order; NULL if none */
        size_t cycle_len;
};

/* ward__lock_scan: scan process pid once. Returns 0, or -ESRCH (no such
 * process), -EPERM/-EACCES (not ours to read), -ENOMEM; *ret is the
 * caller's (ward__lock_scan_free). */
int ward__lock_scan(int pid, struct ward__lock_scan *ret);
void ward__lock_scan_free(struct ward__lock_scan *s);

/* ward__lock_scan_same_cycle: does later still hold a's cycle, with every
 * thread waiting on the same object? (A deadlock persists; a busy program's
 * waits change.) */
int ward__lock_scan_same_cycle(const struct ward__lock_scan *a,
                               const struct ward__lock_scan *later);

/* ward__lock_owner_of: the thread of s's process that holds the mutex (or,
 * rwlock nonzero, write-holds the rwlock) at addr; 0 if none or it does not
 * look like one. */
int ward__lock_owner_of(const struct ward__lock_scan *s, uint64_t addr, int rwlock);

/* ward__lock_kind_name: "mutex", "rwlock", ... */
const char *ward__lock_kind_name(enum ward__lock_kind k);

/* ward__lock_mutex_kind_name: "normal", "recursive", "errorcheck",
 * "adaptive", with "+robust", "+pi" as flags say. Writes into buf. */
const char *ward__lock_mutex_kind_name(int kind, char *buf, size_t size);

#endif
