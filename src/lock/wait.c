/* The slow side of lock statistics: waits, long waits as trace events, and
 * readers of rwlocks. See stat.h. */
#include <stdlib.h>

#include <ward/lock.h>
#include <ward/trace.h>

#include "lock/stat.h"

static uint64_t long_wait_ns = 1000000; /* 1 ms */

uint64_t ward__lockstat_wait_begin(struct ward_lock_entry *e)
{
        if (e) {
                __atomic_fetch_add(&e->waiters, 1, __ATOMIC_RELAXED);
        }
        return ward_now_ns();
}

uint64_t ward__lockstat_wait_end(struct ward_lock_entry *e, const char *name, uint64_t t0,
                                 uint32_t owner)
{
        uint64_t t1 = ward_now_ns(), limit = __atomic_load_n(&long_wait_ns, __ATOMIC_RELAXED);
        if (e) {
                __atomic_fetch_sub(&e->waiters, 1, __ATOMIC_RELAXED);
        }
        if (limit && t1 - t0 >= limit) {
                WARD_TRACE_CAT(WARD_TRACE_WARN, "lock", "long wait: lock %s, %llu us, owner %u",
                               name ? name : "?", (unsigned long long)(t1 - t0) / 1000, owner);
        }
        return t1;
}

void ward__lockstat_read_locked(struct ward_lock_entry *e, uint64_t site, uint64_t t0, uint64_t t1)
{
        __atomic_store_n(&e->last_site, site, __ATOMIC_RELAXED);
        __atomic_fetch_add(&e->read_acquisitions, 1, __ATOMIC_RELAXED);
        if (t0) {
                __atomic_fetch_add(&e->contentions, 1, __ATOMIC_RELAXED);
                __atomic_fetch_add(&e->wait_ns_total, t1 - t0, __ATOMIC_RELAXED);
                ward__lock_atomic_max(&e->wait_ns_max, t1 - t0);
        }
}

uint64_t ward_lock_long_wait_ns(uint64_t ns)
{
        return __atomic_exchange_n(&long_wait_ns, ns, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void long_wait_from_env(void)
{
        const char *e = getenv("WARD_LOCK_LONG_WAIT_US");
        if (e && *e) {
                ward_lock_long_wait_ns(strtoull(e, NULL, 10) * 1000);
        }
}
