/* ward_rwlock: a pthread rwlock with a registry entry. See ward/lock.h. */
#include <errno.h>

#include <ward/lock.h>

#include "lock/order.h"
#include "lock/stat.h"

static uint32_t rwlock_class(ward_rwlock *l)
{
        return ward__lock_class_of(&l->class_id, l->site, l->name);
}

/* rwlock_entry: claimed by the first holder; readers may race to claim, so
 * the claim is published with a compare-and-swap (a loser gives its back). */
static struct ward_lock_entry *rwlock_entry(ward_rwlock *l)
{
        struct ward_lock_entry *e = __atomic_load_n(&l->entry, __ATOMIC_ACQUIRE), *none = NULL;
        if (__builtin_expect(!e, 0)) {
                char site[WARD_LOCK_SITE_LEN];
                ward__lockreg_site(l->site, l->func, site, sizeof(site));
                e = ward__lockreg_claim(WARD_LOCK_ENTRY_RWLOCK, 0, l, l->name, site,
                                        rwlock_class(l));
                if (e && !__atomic_compare_exchange_n(&l->entry, &none, e, 0, __ATOMIC_ACQ_REL,
                                                      __ATOMIC_ACQUIRE)) {
                        ward__lockreg_release(e);
                        e = none;
                }
        }
        return e;
}

int ward_rwlock_init_at(ward_rwlock *l, const char *name, const char *site, const char *func)
{
        if (!l) {
                return -EINVAL;
        }
        *l = (ward_rwlock){.name = name, .site = site, .func = func};
        return -pthread_rwlock_init(&l->rw, NULL);
}

static void order_before(ward_rwlock *l, const char *site)
{
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_check(rwlock_class(l), (struct ward__lock_where){site, NULL});
        }
}

static void order_after(ward_rwlock *l, const char *site)
{
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_push(rwlock_class(l), l, (struct ward__lock_where){site, NULL});
        }
}

/* acquire: a read (write 0) or write lock of l at site */
static int acquire(ward_rwlock *l, const char *site, int write)
{
        order_before(l, site);
        int r = write ? pthread_rwlock_trywrlock(&l->rw) : pthread_rwlock_tryrdlock(&l->rw);
        uint64_t t0 = 0, t1 = 0;
        if (r == EBUSY) {
                uint32_t owner = ward__lock_rwlock_writer(&l->rw);
                struct ward_lock_entry *e = __atomic_load_n(&l->entry, __ATOMIC_ACQUIRE);
                t0 = ward__lockstat_wait_begin(e);
                /* EDEADLK: a write lock we hold */
                r = write ? pthread_rwlock_wrlock(&l->rw) : pthread_rwlock_rdlock(&l->rw);
                t1 = ward__lockstat_wait_end(e, l->name, t0, owner);
        }
        if (r == 0) {
                struct ward_lock_entry *e = rwlock_entry(l);
                if (e && write) {
                        ward__lockstat_locked(e, (uint64_t)(uintptr_t)site, t0, t1);
                } else if (e) {
                        ward__lockstat_read_locked(e, (uint64_t)(uintptr_t)site, t0, t1);
                }
                order_after(l, site);
        }
        return -r;
}

int ward_rwlock_rdlock_at(ward_rwlock *l, const char *site)
{
        return acquire(l, site, 0);
}

int ward_rwlock_wrlock_at(ward_rwlock *l, const char *site)
{
        return acquire(l, site, 1);
}

int ward_rwlock_unlock(ward_rwlock *l)
{
        struct ward_lock_entry *e = __atomic_load_n(&l->entry, __ATOMIC_ACQUIRE);
        if (e && ward__lock_rwlock_writer(&l->rw)) { /* held by a writer: by us */
                ward__lockstat_unlocking(e);
        }
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_pop(l);
        }
        return -pthread_rwlock_unlock(&l->rw);
}

int ward_rwlock_destroy(ward_rwlock *l)
{
        int r = pthread_rwlock_destroy(&l->rw);
        if (r == 0 && l->entry) {
                ward__lockreg_release(l->entry);
                l->entry = NULL;
        }
        return -r;
}
