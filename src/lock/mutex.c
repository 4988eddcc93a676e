/* ward_mutex: a pthread mutex with a registry entry. See ward/lock.h. */
#include <errno.h>

#include <ward/lock.h>

#include "lock/order.h"
#include "lock/stat.h"

static uint32_t mutex_class(ward_mutex *m)
{
        uint32_t c = __atomic_load_n(&m->class_id, __ATOMIC_RELAXED);
        if (!c) {
                c = ward__lock_class((uintptr_t)m->site, m->name,
                                     (struct ward__lock_where){m->site, NULL});
                __atomic_store_n(&m->class_id, c, __ATOMIC_RELAXED);
        }
        return c;
}

/* mutex_entry (holding m): m's registry entry, claimed at the first lock */
static struct ward__lockreg_entry *mutex_entry(ward_mutex *m)
{
        struct ward__lockreg_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        if (__builtin_expect(!e, 0)) {
                uint32_t flags = m->type == WARD_MUTEX_RECURSIVE    ? WARD__LOCKREG_RECURSIVE
                                 : m->type == WARD_MUTEX_ERRORCHECK ? WARD__LOCKREG_ERRORCHECK
                                                                    : 0;
                e = ward__lockreg_claim(WARD__LOCKREG_MUTEX, flags, m, m->name, m->site,
                                        mutex_class(m));
                __atomic_store_n(&m->entry, e, __ATOMIC_RELEASE);
        }
        return e;
}

int ward_mutex_init_at(ward_mutex *m, const char *name, int type, const char *site,
                       const char *func)
{
        static const int kinds[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
                                    PTHREAD_MUTEX_ERRORCHECK};
        pthread_mutexattr_t a;
        if (!m || type < 0 || type > WARD_MUTEX_ERRORCHECK) {
                return EINVAL;
        }
        *m = (ward_mutex){.name = name, .site = site, .func = func, .type = type};
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, kinds[type]);
        int r = pthread_mutex_init(&m->m, &a);
        pthread_mutexattr_destroy(&a);
        return r;
}

/* locked: bookkeeping once m is ours */
static void locked(ward_mutex *m, const char *site, uint64_t t0, uint64_t t1)
{
        struct ward__lockreg_entry *e = mutex_entry(m);
        if (e) {
                ward__lockstat_locked(e, (uint64_t)(uintptr_t)site, t0, t1);
        }
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_push(mutex_class(m), m, (struct ward__lock_where){site, NULL});
        }
}

int ward_mutex_lock_at(ward_mutex *m, const char *site)
{
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_check(mutex_class(m), (struct ward__lock_where){site, NULL});
        }
        int r = pthread_mutex_trylock(&m->m);
        uint64_t t0 = 0, t1 = 0;
        if (__builtin_expect(r == EBUSY, 0)) {
                uint32_t owner;
                struct ward__lockreg_entry *e = __atomic_load_n(&m->entry, __ATOMIC_ACQUIRE);
                t0 = ward__lockstat_wait_begin(e, &owner);
                r = pthread_mutex_lock(&m->m); /* EDEADLK: an errorcheck mutex we hold */
                t1 = ward__lockstat_wait_end(e, m->name, t0, owner);
        }
        if (r == 0) {
                locked(m, site, t0, t1);
        }
        return r;
}

int ward_mutex_trylock_at(ward_mutex *m, const char *site)
{
        int r = pthread_mutex_trylock(&m->m);
        if (r == 0) {
                locked(m, site, 0, 0);
        }
        return r;
}

int ward_mutex_unlock(ward_mutex *m)
{
        struct ward__lockreg_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        if (m->type == WARD_MUTEX_ERRORCHECK && e &&
            __atomic_load_n(&e->owner, __ATOMIC_RELAXED) != ward__lock_tid()) {
                return pthread_mutex_unlock(&m->m); /* EPERM, stats untouched */
        }
        if (e) {
                ward__lockstat_unlocking(e);
        }
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_pop(m);
        }
        return pthread_mutex_unlock(&m->m);
}

int ward_mutex_destroy(ward_mutex *m)
{
        int r = pthread_mutex_destroy(&m->m);
        if (r == 0 && m->entry) {
                ward__lockreg_release(m->entry);
                m->entry = NULL;
        }
        return r;
}

pthread_mutex_t *ward_mutex_native(ward_mutex *m)
{
        return &m->m;
}

int ward_mutex_cond_wait(pthread_cond_t *c, ward_mutex *m)
{
        struct ward__lockreg_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        uint64_t site = e ? e->last_site : 0;
        uint32_t recursion = e ? e->recursion : 0;
        if (e) {
                ward__lockreg_begin(e);
                e->recursion = 1; /* a condition wait releases every level */
                ward__lockreg_end(e);
                ward__lockstat_unlocking(e);
        }
        int r = pthread_cond_wait(c, &m->m);
        if (e) {
                ward__lockstat_locked(e, site, 0, 0);
                ward__lockreg_begin(e);
                e->recursion = recursion;
                ward__lockreg_end(e);
        }
        return r;
}
