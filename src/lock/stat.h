/* Keeping a registry entry's statistics as a lock changes hands: shared by
 * ward_mutex, ward_rwlock and the preload shim. The holder writes (inside
 * the entry's seqlock); a thread that has to wait counts itself in
 * `waiters` and reads the clock. */
#ifndef WARD_LOCK_STAT_H
#define WARD_LOCK_STAT_H

#include <stdint.h>

#include "lock/registry.h"

/* ward__lockstat_locked: the calling thread now holds e (exclusively),
 * acquired at site; t0..t1 is how long it waited (t0 == 0: no wait). */
static inline void ward__lockstat_locked(struct ward__lockreg_entry *e, uint64_t site, uint64_t t0,
                                         uint64_t t1)
{
        uint32_t tid = ward__lock_tid();
        ward__lockreg_begin(e);
        if (__atomic_load_n(&e->owner, __ATOMIC_RELAXED) == tid) {
                e->recursion++;
        } else {
                __atomic_store_n(&e->owner, tid, __ATOMIC_RELAXED);
                e->recursion = 1;
        }
        e->acquisitions++;
        e->last_site = site;
        if (t0) {
                uint64_t w = t1 - t0;
                e->contentions++;
                e->wait_ns_total += w;
                ward__lock_max(&e->wait_ns_max, w);
                e->hold_start = t1;
        }
        ward__lockreg_end(e);
}

/* ward__lockstat_unlocking: the calling thread is about to release e
 * (exclusively held). Nothing if it is not the owner. */
static inline void ward__lockstat_unlocking(struct ward__lockreg_entry *e)
{
        if (__atomic_load_n(&e->owner, __ATOMIC_RELAXED) != ward__lock_tid()) {
                return;
        }
        ward__lockreg_begin(e);
        if (e->recursion > 1) {
                e->recursion--;
        } else {
                __atomic_store_n(&e->owner, 0, __ATOMIC_RELAXED);
                e->recursion = 0;
                if (e->hold_start) {
                        ward__lock_max(&e->hold_ns_max, ward__lock_now() - e->hold_start);
                        e->hold_start = 0;
                }
        }
        ward__lockreg_end(e);
}

/* ward__lockstat_read_locked: a reader of an rwlock got it at site (several
 * may at once: atomics, no seqlock). */
void ward__lockstat_read_locked(struct ward__lockreg_entry *e, uint64_t site, uint64_t t0,
                                uint64_t t1);

/* ward__lockstat_wait_begin: the calling thread is about to block on e (may
 * be NULL). Returns the clock; *owner is who holds e now, as far as known. */
uint64_t ward__lockstat_wait_begin(struct ward__lockreg_entry *e, uint32_t *owner);

/* ward__lockstat_wait_end: the wait that began at t0 ended at the returned
 * time; a wait at least the long-wait threshold becomes a trace event
 * naming the lock and the owner seen when the wait began. */
uint64_t ward__lockstat_wait_end(struct ward__lockreg_entry *e, const char *name, uint64_t t0,
                                 uint32_t owner);

#endif
