/* The lock registry's shared file, /dev/shm/ward-locks.<pid> (0600): what a
 * process using ward_mutex/ward_rwlock (or the preload shim) publishes about
 * its locks, and what `ward locks PID` reads from outside.
 *
 * The file has a fixed size (sparse: a page costs memory only once an entry
 * on it is used), so it never shrinks under a reader. Everything in it is
 * untrusted to a reader: the reader checks the header, bounds every count and
 * terminates every string itself.
 *
 * Entries are written by the thread that holds the lock (one writer at a
 * time) inside a seqlock: seq is odd while the holder updates, even when the
 * entry is consistent. Readers copy an entry and keep the copy only if seq
 * was even and unchanged across the copy. */
#ifndef WARD_LOCK_LAYOUT_H
#define WARD_LOCK_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ward/lock.h>

/* Fences of the seqlock. GCC refuses the fence builtin under TSan (which
 * does not model fences); <stdatomic.h>'s spelling is accepted there. */
#if defined(__SANITIZE_THREAD__)
#include <stdatomic.h>
#define WARD__LOCKREG_FENCE_RELEASE() atomic_thread_fence(memory_order_release)
#define WARD__LOCKREG_FENCE_ACQUIRE() atomic_thread_fence(memory_order_acquire)
#else
#define WARD__LOCKREG_FENCE_RELEASE() __atomic_thread_fence(__ATOMIC_RELEASE)
#define WARD__LOCKREG_FENCE_ACQUIRE() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

#define WARD__LOCKREG_MAGIC 0x314b434f4c445257ull /* "WRDLOCK1" */
#define WARD__LOCKREG_VERSION 2
#define WARD__LOCKREG_ENTRIES 16384
#define WARD__LOCKREG_INVERSIONS 16
#define WARD__LOCKREG_SITE 96 /* "file:line" or "function (file:line)" */

enum ward__lockreg_kind {
        WARD__LOCKREG_FREE = 0,
        WARD__LOCKREG_MUTEX = 1,
        WARD__LOCKREG_RWLOCK = 2,
};

/* entry flags */
#define WARD__LOCKREG_SITE_IS_PC 1u /* last_site is a code address, not a string */
#define WARD__LOCKREG_RECURSIVE 2u
#define WARD__LOCKREG_ERRORCHECK 4u
#define WARD__LOCKREG_PRELOAD 8u /* a plain pthread lock seen by the preload shim */

struct ward__lockreg_entry {
        uint32_t seq;   /* seqlock: odd while the holder writes */
        uint32_t kind;  /* enum ward__lockreg_kind */
        uint32_t flags; /* WARD__LOCKREG_* */
        uint32_t class_id;
        uint64_t addr; /* the lock's address in the process */
        /* owner, recursion and readers are what the lock itself says: the
         * process never writes them (its fast path stays free of them); the
         * reader fills them from the live pthread object at addr. */
        uint32_t owner;     /* tid of the (writer) holder, 0 if free */
        uint32_t recursion; /* times the owner holds it (recursive mutex) */
        uint32_t waiters;   /* threads blocked on it now (atomic, outside seq) */
        uint32_t readers;   /* rwlock: read holders now */
        /* the three words the inline fast path of ward_mutex writes, in this
         * order (struct ward__lock_hot in ward/lock.h) */
        uint64_t acquisitions; /* successful locks (exclusive); whole-word stores outside seq */
        uint64_t last_site;    /* process address: string "file:line" or a pc; outside seq */
        uint64_t hold_start;   /* CLOCK_MONOTONIC ns, 0 if this hold is not timed */
        uint64_t read_acquisitions; /* (atomic, outside seq: readers share the lock) */
        uint64_t contentions;       /* acquisitions that had to wait */
        uint64_t wait_ns_total;
        uint64_t wait_ns_max;
        uint64_t hold_ns_max;          /* over holds that someone waited for */
        char name[48];                 /* NUL-terminated by the writer; the reader re-checks */
        char site[WARD__LOCKREG_SITE]; /* where it was created */
        char pad[8];                   /* 256 bytes: entries never share a cache line */
};

/* A lock-order inversion, as the process that saw it reports it. */
struct ward__lockreg_inversion {
        uint32_t seq;                         /* even and nonzero when complete */
        uint32_t tid;                         /* the thread whose acquisition closed the cycle */
        char held[48], wanted[48];            /* lock (class) names */
        char held_site[WARD__LOCKREG_SITE];   /* where tid acquired held */
        char wanted_site[WARD__LOCKREG_SITE]; /* where tid acquires wanted */
        /* earlier, the other order: wanted was taken at earlier_first_site,
         * then (while it was held) the next lock on the path to held at
         * earlier_second_site */
        char earlier_first_site[WARD__LOCKREG_SITE];
        char earlier_second_site[WARD__LOCKREG_SITE];
};

struct ward__lockreg_header {
        uint64_t magic;
        uint32_t version;
        uint32_t entry_size;     /* sizeof(struct ward__lockreg_entry) */
        uint32_t capacity;       /* entries in the file */
        uint32_t used;           /* entries ever claimed (high-water mark) */
        int32_t pid;             /* the owning process */
        uint32_t untracked;      /* locks not registered: the file was full */
        uint64_t start_time;     /* the owner's /proc start time (clock ticks) */
        uint32_t inversions;     /* inversions found (may exceed the slots) */
        uint32_t order_checking; /* 1 if lock-order checking is on */
        struct ward__lockreg_inversion inversion[WARD__LOCKREG_INVERSIONS];
};

/* ward__lockreg_path: the registry file of process pid */
static inline void ward__lockreg_path(int pid, char *buf, size_t size)
{
        snprintf(buf, size, "/dev/shm/ward-locks.%d", pid);
}

/* The first entry starts at the next 4 KiB boundary after the header. */
#define WARD__LOCKREG_ENTRIES_OFFSET                                                               \
        ((sizeof(struct ward__lockreg_header) + 4095) & ~(uint64_t)4095)
#define WARD__LOCKREG_FILE_SIZE                                                                    \
        (WARD__LOCKREG_ENTRIES_OFFSET +                                                            \
         (uint64_t)WARD__LOCKREG_ENTRIES * sizeof(struct ward__lockreg_entry))

_Static_assert(offsetof(struct ward__lockreg_entry, last_site) ==
                   offsetof(struct ward__lockreg_entry, acquisitions) +
                       offsetof(struct ward__lock_hot, last_site),
               "the fast path's words");
_Static_assert(offsetof(struct ward__lockreg_entry, hold_start) ==
                   offsetof(struct ward__lockreg_entry, acquisitions) +
                       offsetof(struct ward__lock_hot, hold_start),
               "the fast path's words");

#endif
