/* Keeping a registry entry's statistics as a lock changes hands: shared by
 * ward_mutex, ward_rwlock and the preload shim. The holder writes (inside
 * the entry's seqlock); a thread that has to wait counts itself in
 * `waiters` and reads the clock. */
#ifndef WARD_LOCK_STAT_H
#define WARD_LOCK_STAT_H

#include <pthread.h>
#include <stdint.h>

#include <ward/time.h>

#include "lock/registry.h"

/* ward__lockstat_locked: the calling thread now holds e (exclusively),
 * acquired at site; t0..t1 is how long it waited (t0 == 0: no wait). A
 * contended hold is timed until ward__lockstat_unlocking. Owner and
 * recursion are not kept here: the pthread object says them.
 *
 * An uncontended acquisition writes two words, each whole (acquisitions only
 * grows, last_site is one pointer), without the seqlock: any mix a reader
 * copies is a state that existed. The seqlock guards the fields that change
 * together (contentions with the wait times). */
static inline void ward__lockstat_locked(struct ward_lock_entry *e, uint64_t site, uint64_t t0,
                                         uint64_t t1)
{
        __atomic_store_n(&e->acquisitions, __atomic_load_n(&e->acquisitions, __ATOMIC_RELAXED) + 1,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&e->last_site, site, __ATOMIC_RELAXED);
        if (__builtin_expect(t0 != 0, 0)) {
                uint64_t w = t1 - t0;
                ward__lockreg_begin(e);
                e->contentions++;
                e->wait_ns_total += w;
                ward__lock_max(&e->wait_ns_max, w);
                e->hold_start = t1;
                ward__lockreg_end(e);
        }
}

/* ward__lockstat_unlocking: the holder of e is about to release it for the
 * last time (the outermost level of a recursive mutex; the writer of an
 * rwlock): ends a timed hold. */
static inline void ward__lockstat_unlocking(struct ward_lock_entry *e)
{
        if (__builtin_expect(e->hold_start != 0, 0)) {
                ward__lockreg_begin(e);
                ward__lock_max(&e->hold_ns_max, ward_now_ns() - e->hold_start);
                e->hold_start = 0;
                ward__lockreg_end(e);
        }
}

/* ward__lockstat_read_locked: a reader of an rwlock got it at site (several
 * may at once: atomics, no seqlock). */
void ward__lockstat_read_locked(struct ward_lock_entry *e, uint64_t site, uint64_t t0, uint64_t t1);

/* ward__lockstat_wait_begin: the calling thread is about to block on e (may
 * be NULL). Returns the clock. */
uint64_t ward__lockstat_wait_begin(struct ward_lock_entry *e);

/* ward__lock_mutex_owner, ward__lock_rwlock_writer: the holder's tid as
 * glibc keeps it in the object (x86-64 glibc 2.36), 0 if none. */
static inline uint32_t ward__lock_mutex_owner(const pthread_mutex_t *m)
{
        return (uint32_t)__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
}
static inline uint32_t ward__lock_rwlock_writer(const pthread_rwlock_t *l)
{
        return (uint32_t)__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED);
}

/* ward__lockstat_wait_end: the wait that began at t0 ended at the returned
 * time; a wait at least the long-wait threshold becomes a trace event
 * naming the lock and the owner seen when the wait began. */
uint64_t ward__lockstat_wait_end(struct ward_lock_entry *e, const char *name, uint64_t t0,
                                 uint32_t owner);

#endif
