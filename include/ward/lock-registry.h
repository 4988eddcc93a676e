/* ward/lock-registry.h: the entries of a process's lock registry
 * (/dev/shm/ward-locks.<pid>), as the process writes them and as
 * libward-inspect's reader (ward/lock-inspect.h) hands out checked copies.
 * This is a file format: it changes only with the registry's version. */
#ifndef WARD_LOCK_REGISTRY_H
#define WARD_LOCK_REGISTRY_H

#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

#define WARD_LOCK_INVERSIONS 16
#define WARD_LOCK_SITE_LEN 96 /* "file:line" or "function (file:line)" */

enum ward_lock_entry_kind {
        WARD_LOCK_ENTRY_FREE = 0,
        WARD_LOCK_ENTRY_MUTEX = 1,
        WARD_LOCK_ENTRY_RWLOCK = 2,
};

/* entry flags */
#define WARD_LOCK_SITE_IS_PC 1u /* last_site is a code address, not a string */
#define WARD_LOCK_RECURSIVE 2u
#define WARD_LOCK_ERRORCHECK 4u
#define WARD_LOCK_PRELOADED 8u /* a plain pthread lock seen by the preload shim */

struct ward_lock_entry {
        uint32_t seq;   /* seqlock: odd while the holder writes */
        uint32_t kind;  /* enum ward_lock_entry_kind */
        uint32_t flags; /* WARD_LOCK_SITE_IS_PC, ... */
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
        char site[WARD_LOCK_SITE_LEN]; /* where it was created */
        char pad[8];                   /* 256 bytes: entries never share a cache line */
};

/* A lock-order inversion, as the process that saw it reports it. */
struct ward_lock_inversion {
        uint32_t seq;                         /* even and nonzero when complete */
        uint32_t tid;                         /* the thread whose acquisition closed the cycle */
        char held[48], wanted[48];            /* lock (class) names */
        char held_site[WARD_LOCK_SITE_LEN];   /* where tid acquired held */
        char wanted_site[WARD_LOCK_SITE_LEN]; /* where tid acquires wanted */
        /* earlier, the other order: wanted was taken at earlier_first_site,
         * then (while it was held) the next lock on the path to held at
         * earlier_second_site */
        char earlier_first_site[WARD_LOCK_SITE_LEN];
        char earlier_second_site[WARD_LOCK_SITE_LEN];
};

WARD_END_DECLS

#endif
