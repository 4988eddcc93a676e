/* ward_mutex: a pthread mutex with a registry entry. See ward/lock.h. */
#include <errno.h>

#include <ward/lock.h>

#include "lock/order.h"
#include "lock/stat.h"

static uint32_t mutex_class(ward_mutex *m)
{
        return ward__lock_class_of(&m->class_id, m->site, m->name);
}

/* mutex_entry (holding m): m's registry entry, claimed at the first lock */
static struct ward_lock_entry *mutex_entry(ward_mutex *m)
{
        struct ward_lock_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        if (__builtin_expect(!e, 0)) {
                uint32_t flags = m->type == WARD_MUTEX_RECURSIVE    ? WARD_LOCK_RECURSIVE
                                 : m->type == WARD_MUTEX_ERRORCHECK ? WARD_LOCK_ERRORCHECK
                                                                    : 0;
                char site[WARD_LOCK_SITE_LEN];
                ward__lockreg_site(m->site, m->func, site, sizeof(site));
                e = ward__lockreg_claim(WARD_LOCK_ENTRY_MUTEX, flags, m, m->name, site,
                                        mutex_class(m));
                __atomic_store_n(&m->entry, e, __ATOMIC_RELEASE);
                if (e) { /* from now on the inline fast path may run */
                        __atomic_store_n(&m->hot, (struct ward__lock_hot *)&e->acquisitions,
                                         __ATOMIC_RELEASE);
                }
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
                return -EINVAL;
        }
        *m = (ward_mutex){.name = name, .site = site, .func = func, .type = type};
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, kinds[type]);
        int r = pthread_mutex_init(&m->m, &a);
        pthread_mutexattr_destroy(&a);
        return -r;
}

/* locked: bookkeeping once m is ours */
static void locked(ward_mutex *m, const char *site, uint64_t t0, uint64_t t1)
{
        struct ward_lock_entry *e = mutex_entry(m);
        if (e) {
                ward__lockstat_locked(e, (uint64_t)(uintptr_t)site, t0, t1);
        }
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_push(mutex_class(m), m, (struct ward__lock_where){site, NULL});
        }
}

/* lock_slow: a lock that must wait, fails, or is m's first (its registry
 * entry); try is the first trylock's result */
__attribute__((noinline, cold)) static int lock_slow(ward_mutex *m, const char *site, int try)
{
        int r = try;
        uint64_t t0 = 0, t1 = 0;
        if (r == EBUSY) {
                uint32_t owner = ward__lock_mutex_owner(&m->m);
                struct ward_lock_entry *e = __atomic_load_n(&m->entry, __ATOMIC_ACQUIRE);
                t0 = ward__lockstat_wait_begin(e);
                r = pthread_mutex_lock(&m->m); /* EDEADLK: an errorcheck mutex we hold */
                t1 = ward__lockstat_wait_end(e, m->name, t0, owner);
        }
        if (r == 0) {
                locked(m, site, t0, t1);
        }
        return -r;
}

int ward__mutex_lock_slow(ward_mutex *m, const char *site)
{
        /* here with order checking on, or without the registry slot yet */
        uint32_t c = __atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED) ? mutex_class(m) : 0;
        struct ward__lock_where at = {site, NULL};
        if (c) {
                ward__lock_order_check(c, at);
        }
        int r = pthread_mutex_trylock(&m->m);
        struct ward_lock_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        if (__builtin_expect(r != 0 || e == NULL, 0)) {
                return lock_slow(m, site, r);
        }
        ward__lockstat_locked(e, (uint64_t)(uintptr_t)site, 0, 0);
        if (c) {
                ward__lock_order_push(c, m, at);
        }
        return 0;
}

int ward_mutex_trylock_at(ward_mutex *m, const char *site)
{
        int r = pthread_mutex_trylock(&m->m);
        if (r == 0) {
                locked(m, site, 0, 0);
        }
        return -r;
}

int ward__mutex_unlock_slow(ward_mutex *m)
{
        struct ward_lock_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        if (m->type == WARD_MUTEX_ERRORCHECK && ward__lock_mutex_owner(&m->m) != ward__lock_tid()) {
                return -pthread_mutex_unlock(&m->m); /* EPERM, stats untouched */
        }
        if (e && m->m.__data.__count <= 1) { /* the last level of a recursive one */
                ward__lockstat_unlocking(e);
        }
        if (__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                ward__lock_order_pop(m);
        }
        return -pthread_mutex_unlock(&m->m);
}

int ward_mutex_destroy(ward_mutex *m)
{
        int r = pthread_mutex_destroy(&m->m);
        if (r == 0 && m->entry) {
                m->hot = NULL;
                ward__lockreg_release(m->entry);
                m->entry = NULL;
        }
        return -r;
}

pthread_mutex_t *ward_mutex_native(ward_mutex *m)
{
        return &m->m;
}

int ward_mutex_cond_wait(pthread_cond_t *c, ward_mutex *m)
{
        struct ward_lock_entry *e = __atomic_load_n(&m->entry, __ATOMIC_RELAXED);
        uint64_t site = e ? e->last_site : 0;
        if (e) { /* the wait gives the mutex up and takes it back */
                ward__lockstat_unlocking(e);
        }
        int r = pthread_cond_wait(c, &m->m);
        if (e) {
                ward__lockstat_locked(e, site, 0, 0);
        }
        return -r;
}
