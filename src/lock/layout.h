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

#include <ward/lock-registry.h>
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

struct ward__lockreg_header {
        uint64_t magic;
        uint32_t version;
        uint32_t entry_size;     /* sizeof(struct ward_lock_entry) */
        uint32_t capacity;       /* entries in the file */
        uint32_t used;           /* entries ever claimed (high-water mark) */
        int32_t pid;             /* the owning process */
        uint32_t untracked;      /* locks not registered: the file was full */
        uint64_t start_time;     /* the owner's /proc start time (clock ticks) */
        uint32_t inversions;     /* inversions found (may exceed the slots) */
        uint32_t order_checking; /* 1 if lock-order checking is on */
        struct ward_lock_inversion inversion[WARD_LOCK_INVERSIONS];
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
         (uint64_t)WARD__LOCKREG_ENTRIES * sizeof(struct ward_lock_entry))

_Static_assert(offsetof(struct ward_lock_entry, last_site) ==
                   offsetof(struct ward_lock_entry, acquisitions) +
                       offsetof(struct ward__lock_hot, last_site),
               "the fast path's words");
_Static_assert(offsetof(struct ward_lock_entry, hold_start) ==
                   offsetof(struct ward_lock_entry, acquisitions) +
                       offsetof(struct ward__lock_hot, hold_start),
               "the fast path's words");

#endif
