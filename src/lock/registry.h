/* The process's lock registry (writer side): the shared file of layout.h,
 * created at the first registered lock, one entry per live instrumented lock. */
#ifndef WARD_LOCK_REGISTRY_INTERNAL_H
#define WARD_LOCK_REGISTRY_INTERNAL_H

#include <sched.h>
#include <stdint.h>

#include "lock/layout.h"

/* ward__lockreg_site: a creation site as the registry keeps it: "file:line"
 * or, with the creating function known, "file:line (func)" */
void ward__lockreg_site(const char *site, const char *func, char *buf, size_t size);

/* ward__lockreg_claim: a zeroed entry for a lock at addr, named and placed
 * (name and site are copied, truncated to fit), or NULL when the registry
 * cannot be created or is full (the lock then works unrecorded; the header
 * counts it). Any thread; takes the registry's internal spinlock. */
struct ward_lock_entry *ward__lockreg_claim(uint32_t kind, uint32_t flags, const void *addr,
                                            const char *name, const char *site, uint32_t class_id);

/* ward__lockreg_release: give e back (the lock is destroyed). Any thread. */
void ward__lockreg_release(struct ward_lock_entry *e);

/* ward__lockreg_header: the mapped header, or NULL if there is no registry
 * (none created yet, or it could not be). */
struct ward__lockreg_header *ward__lockreg_header(void);

/* ward__lockreg_create_header: the header, creating the registry if needed
 * (NULL if it cannot be created). */
struct ward__lockreg_header *ward__lockreg_create_header(void);

/* ward__lock_tid: the calling thread's tid (cached; right after fork too). */
uint32_t ward__lock_tid(void);

/* The seqlock of an entry. Only the lock's holder writes, so these are plain
 * stores; x86-64 keeps stores in order, elsewhere a release fence is needed
 * after the opening increment. */
static inline void ward__lockreg_begin(struct ward_lock_entry *e)
{
        __atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
#if defined(__x86_64__)
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
#else
        WARD__LOCKREG_FENCE_RELEASE();
#endif
}

static inline void ward__lockreg_end(struct ward_lock_entry *e)
{
        __atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
}

/* ward__lock_spin, ward__lock_unspin: the short critical sections of the
 * lock machinery itself (registry claims, the order graph, the shim's table).
 * Not a pthread mutex: under the preload shim that would be interposed too. */
static inline void ward__lock_spin(char *l)
{
        while (__atomic_test_and_set(l, __ATOMIC_ACQUIRE)) {
                sched_yield();
        }
}

static inline void ward__lock_unspin(char *l)
{
        __atomic_clear(l, __ATOMIC_RELEASE);
}

/* ward__lock_max: *p = max(*p, v) for a field only the holder writes. */
static inline void ward__lock_max(uint64_t *p, uint64_t v)
{
        if (v > *p) {
                *p = v;
        }
}

/* ward__lock_atomic_max: the same for a field several readers update. */
static inline void ward__lock_atomic_max(uint64_t *p, uint64_t v)
{
        uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
        while (v > cur &&
               !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
}

#endif
