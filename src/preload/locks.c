/* libward-locks.so: LD_PRELOAD it into an unmodified program and its
 * pthread mutexes and rwlocks get what ward_mutex has — a registry entry
 * (`ward locks PID`, `ward locks --report PID`), contention statistics, long
 * waits as trace events, and lock-order checking (on unless
 * WARD_LOCK_ORDER=0) — in the spirit of mutrace.
 *
 * Each interposed call finds the lock's entry in an address-keyed hash table
 * (lock-free to read), then calls the real function found with
 * dlsym(RTLD_NEXT). A lock is registered at its init or its first use; its
 * class (for lock order) is the code that called pthread_*_init, or the lock
 * itself for a static initializer; sites are code addresses. Calls made by
 * the shim's own slow paths go straight to the real functions.
 *
 * The shim prints each lock-order inversion on stderr: it is a tool the user
 * runs a program under to see exactly that, not a library inside one (libward
 * itself prints nothing and leaves it to ward_lock_order_set_handler). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/lock.h>

#include "lock/order.h"
#include "lock/stat.h"

#define EXPORT __attribute__((visibility("default")))
#define SLOTS (1u << 17)

struct slot {
        uintptr_t addr; /* 0: empty; written once */
        struct ward_lock_entry *e;
        uint32_t cls;
};

static struct {
        int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
        int (*mutex_destroy)(pthread_mutex_t *);
        int (*mutex_lock)(pthread_mutex_t *);
        int (*mutex_trylock)(pthread_mutex_t *);
        int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
        int (*mutex_unlock)(pthread_mutex_t *);
        int (*rw_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
        int (*rw_destroy)(pthread_rwlock_t *);
        int (*rw_rdlock)(pthread_rwlock_t *);
        int (*rw_wrlock)(pthread_rwlock_t *);
        int (*rw_tryrdlock)(pthread_rwlock_t *);
        int (*rw_trywrlock)(pthread_rwlock_t *);
        int (*rw_unlock)(pthread_rwlock_t *);
        int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
        int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
} real;

static struct slot table[SLOTS];
static char table_lock;
static __thread int in_shim __attribute__((tls_model("initial-exec")));
/* A preloaded library is always loaded at start-up: the held-lock stack may
 * use the fast TLS model here (libward.so must not: it may come by dlopen). */
extern __thread struct ward__lock_held_stack ward__lock_held
    __attribute__((tls_model("initial-exec")));
/* the lock this thread took last and its entry: its unlock, the usual next
 * call, needs no lookup */
static __thread struct {
        const void *lock;
        struct ward_lock_entry *e;
} last __attribute__((tls_model("initial-exec")));

static void resolve(void)
{
        in_shim++;
#define R(field, name) *(void **)&real.field = dlsym(RTLD_NEXT, name)
        R(mutex_init, "pthread_mutex_init");
        R(mutex_destroy, "pthread_mutex_destroy");
        R(mutex_lock, "pthread_mutex_lock");
        R(mutex_trylock, "pthread_mutex_trylock");
        R(mutex_timedlock, "pthread_mutex_timedlock");
        R(mutex_unlock, "pthread_mutex_unlock");
        R(rw_init, "pthread_rwlock_init");
        R(rw_destroy, "pthread_rwlock_destroy");
        R(rw_rdlock, "pthread_rwlock_rdlock");
        R(rw_wrlock, "pthread_rwlock_wrlock");
        R(rw_tryrdlock, "pthread_rwlock_tryrdlock");
        R(rw_trywrlock, "pthread_rwlock_trywrlock");
        R(rw_unlock, "pthread_rwlock_unlock");
        R(cond_wait, "pthread_cond_wait");
        R(cond_timedwait, "pthread_cond_timedwait");
#undef R
        in_shim--;
}

static void print_inversion(const struct ward_lock_inversion *inv, void *arg)
{
        char line[1024];
        (void)arg;
        in_shim++; /* stdio's own locking stays out of the registry */
        ward_lock_inversion_format(inv, line, sizeof(line));
        fprintf(stderr, "%s\n", line);
        in_shim--;
}

__attribute__((constructor)) static void shim_start(void)
{
        const char *e = getenv("WARD_LOCK_ORDER");
        resolve();
        ward_lock_order_set_handler(print_inversion, NULL);
        ward_lock_order_checking(!(e && strcmp(e, "0") == 0));
}

static inline uint32_t slot_of(uintptr_t a)
{
        uint64_t k = a * 0x9e3779b97f4a7c15ull;
        return (uint32_t)(k >> 40) & (SLOTS - 1);
}

/* find: the slot of lock a, NULL if it has none */
static inline __attribute__((always_inline)) struct slot *find(const void *a)
{
        uint32_t i = slot_of((uintptr_t)a);
        uintptr_t k;
        while ((k = __atomic_load_n(&table[i].addr, __ATOMIC_ACQUIRE))) {
                if (k == (uintptr_t)a) {
                        return &table[i];
                }
                i = (i + 1) & (SLOTS - 1);
        }
        return NULL;
}

/* attach (slow path): a slot with a fresh entry for lock a, created at
 * site (class key: the site, or the lock itself). NULL when full. */
__attribute__((noinline, cold)) static struct slot *attach(const void *a, uint32_t kind,
                                                           const void *site, int static_init)
{
        char where[WARD_LOCK_SITE_LEN], name[24];
        in_shim++;
        ward__lock_where_format((struct ward__lock_where){NULL, site}, where, sizeof(where));
        snprintf(name, sizeof(name), "%p", a); /* ward locks names it by symbol */
        uint32_t cls = ward__lock_class(static_init ? (uintptr_t)a : (uintptr_t)site, name,
                                        (struct ward__lock_where){NULL, site});
        struct ward_lock_entry *e = ward__lockreg_claim(
            kind, WARD_LOCK_PRELOADED | WARD_LOCK_SITE_IS_PC, a, "", where, cls);
        ward__lock_spin(&table_lock);
        struct slot *s = find(a);
        if (!s) {
                uint32_t i = slot_of((uintptr_t)a), probes = 0;
                while (table[i].addr && ++probes < SLOTS / 2) {
                        i = (i + 1) & (SLOTS - 1);
                }
                if (!table[i].addr) {
                        s = &table[i];
                        s->cls = cls;
                        __atomic_store_n(&s->e, e, __ATOMIC_RELEASE);
                        __atomic_store_n(&s->addr, (uintptr_t)a, __ATOMIC_RELEASE);
                        e = NULL;
                }
        } else if (!__atomic_load_n(&s->e, __ATOMIC_ACQUIRE) || !static_init) {
                struct ward_lock_entry *old = __atomic_exchange_n(&s->e, e, __ATOMIC_ACQ_REL);
                s->cls = cls;
                e = old; /* re-initialized at the same address: the old entry goes */
        }
        ward__lock_unspin(&table_lock);
        ward__lockreg_release(e);
        in_shim--;
        return s;
}

static inline __attribute__((always_inline)) struct slot *slot_for(const void *a, uint32_t kind,
                                                                   const void *pc)
{
        struct slot *s = find(a);
        if (__builtin_expect(!s || !__atomic_load_n(&s->e, __ATOMIC_ACQUIRE), 0)) {
                s = attach(a, kind, pc, 1);
        }
        return s;
}

static struct ward_lock_entry *entry_of(const struct slot *s)
{
        return s ? __atomic_load_n(&s->e, __ATOMIC_ACQUIRE) : NULL;
}

static int order_on(void)
{
        return __atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED);
}

/* wait_for (slow path): block on lock, timed; *t0..*t1 the wait */
__attribute__((noinline, cold)) static int wait_for(void *lock, uint32_t kind,
                                                    struct ward_lock_entry *e,
                                                    int (*block)(void *, const void *),
                                                    const void *arg, uint64_t *t0, uint64_t *t1)
{
        uint32_t owner = kind == WARD_LOCK_ENTRY_RWLOCK ? ward__lock_rwlock_writer(lock)
                                                        : ward__lock_mutex_owner(lock);
        *t0 = ward__lockstat_wait_begin(e);
        int r = block(lock, arg);
        in_shim++;
        *t1 = ward__lockstat_wait_end(e, e ? e->name : "", *t0, owner);
        in_shim--;
        return r;
}

/* acquire: the common path of every locking call, inlined into each so the
 * real functions are called directly. try: the real try function; block:
 * the real blocking one (NULL for a trylock). read: an rwlock read lock. */
static inline __attribute__((always_inline)) int acquire(void *lock, uint32_t kind, const void *pc,
                                                         int (*try)(void *),
                                                         int (*block)(void *, const void *),
                                                         const void *arg, int read)
{
        struct slot *s = slot_for(lock, kind, pc);
        struct ward_lock_entry *e = entry_of(s);
        struct ward__lock_where at = {NULL, pc};
        if (block && s && order_on()) {
                ward__lock_order_check(s->cls, at);
        }
        int r = try(lock);
        uint64_t t0 = 0, t1 = 0;
        if (__builtin_expect(r == EBUSY && block != NULL, 0)) {
                r = wait_for(lock, kind, e, block, arg, &t0, &t1);
        }
        if (r == 0) {
                last.lock = lock;
                last.e = e;
        }
        if (r == 0 && e) {
                if (read) {
                        ward__lockstat_read_locked(e, (uint64_t)(uintptr_t)pc, t0, t1);
                } else {
                        ward__lockstat_locked(e, (uint64_t)(uintptr_t)pc, t0, t1);
                }
        }
        if (r == 0 && s && order_on()) {
                ward__lock_order_push(s->cls, lock, at);
        }
        return r;
}

/* release: the caller is about to unlock lock (a mutex, or an rwlock) */
static inline void release(void *lock, int rwlock)
{
        struct ward_lock_entry *e = last.lock == lock ? last.e : entry_of(find(lock));
        if (e && (rwlock ? ward__lock_rwlock_writer(lock) != 0
                         : ((pthread_mutex_t *)lock)->__data.__count <= 1)) {
                ward__lockstat_unlocking(e); /* the writer's, or a mutex's last level */
        }
        if (order_on()) {
                ward__lock_order_pop(lock);
        }
}

/* adapters: the real functions, typed for acquire() */
static int m_try(void *l)
{
        return real.mutex_trylock(l);
}
static int m_lock(void *l, const void *arg)
{
        (void)arg;
        return real.mutex_lock(l);
}
static int m_timed(void *l, const void *arg)
{
        return real.mutex_timedlock(l, arg);
}
static int r_tryrd(void *l)
{
        return real.rw_tryrdlock(l);
}
static int r_trywr(void *l)
{
        return real.rw_trywrlock(l);
}
static int r_rd(void *l, const void *arg)
{
        (void)arg;
        return real.rw_rdlock(l);
}
static int r_wr(void *l, const void *arg)
{
        (void)arg;
        return real.rw_wrlock(l);
}

/* forget: lock was destroyed: its registry entry goes (the slot stays, for
 * a lock made again at that address) */
static void forget(const void *lock)
{
        struct slot *s = find(lock);
        if (last.lock == lock) {
                last.lock = NULL;
        }
        if (s) {
                ward__lockreg_release(__atomic_exchange_n(&s->e, NULL, __ATOMIC_ACQ_REL));
        }
}

#define READY(fn) (__builtin_expect(real.fn != NULL, 1) || (resolve(), real.fn != NULL))

EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
        if (!READY(mutex_init)) {
                return ENOSYS;
        }
        int r = real.mutex_init(m, a);
        if (r == 0 && !in_shim) {
                attach(m, WARD_LOCK_ENTRY_MUTEX, __builtin_return_address(0), 0);
        }
        return r;
}

EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
        if (!READY(mutex_destroy)) {
                return ENOSYS;
        }
        int r = real.mutex_destroy(m);
        if (r == 0 && !in_shim) {
                forget(m);
        }
        return r;
}

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
        if (!READY(mutex_lock) || in_shim) {
                return real.mutex_lock ? real.mutex_lock(m) : ENOSYS;
        }
        return acquire(m, WARD_LOCK_ENTRY_MUTEX, __builtin_return_address(0), m_try, m_lock, NULL,
                       0);
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
        if (!READY(mutex_trylock) || in_shim) {
                return real.mutex_trylock ? real.mutex_trylock(m) : ENOSYS;
        }
        return acquire(m, WARD_LOCK_ENTRY_MUTEX, __builtin_return_address(0), m_try, NULL, NULL, 0);
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
        if (!READY(mutex_timedlock) || in_shim) {
                return real.mutex_timedlock ? real.mutex_timedlock(m, t) : ENOSYS;
        }
        return acquire(m, WARD_LOCK_ENTRY_MUTEX, __builtin_return_address(0), m_try, m_timed, t, 0);
}

EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
        if (!READY(mutex_unlock) || in_shim) {
                return real.mutex_unlock ? real.mutex_unlock(m) : ENOSYS;
        }
        release(m, 0);
        return real.mutex_unlock(m);
}

EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
        if (!READY(rw_init)) {
                return ENOSYS;
        }
        int r = real.rw_init(l, a);
        if (r == 0 && !in_shim) {
                attach(l, WARD_LOCK_ENTRY_RWLOCK, __builtin_return_address(0), 0);
        }
        return r;
}

EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
        if (!READY(rw_destroy)) {
                return ENOSYS;
        }
        int r = real.rw_destroy(l);
        if (r == 0 && !in_shim) {
                forget(l);
        }
        return r;
}

EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
        if (!READY(rw_rdlock) || in_shim) {
                return real.rw_rdlock ? real.rw_rdlock(l) : ENOSYS;
        }
        return acquire(l, WARD_LOCK_ENTRY_RWLOCK, __builtin_return_address(0), r_tryrd, r_rd, NULL,
                       1);
}

EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
        if (!READY(rw_wrlock) || in_shim) {
                return real.rw_wrlock ? real.rw_wrlock(l) : ENOSYS;
        }
        return acquire(l, WARD_LOCK_ENTRY_RWLOCK, __builtin_return_address(0), r_trywr, r_wr, NULL,
                       0);
}

EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
        if (!READY(rw_tryrdlock) || in_shim) {
                return real.rw_tryrdlock ? real.rw_tryrdlock(l) : ENOSYS;
        }
        return acquire(l, WARD_LOCK_ENTRY_RWLOCK, __builtin_return_address(0), r_tryrd, NULL, NULL,
                       1);
}

EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
        if (!READY(rw_trywrlock) || in_shim) {
                return real.rw_trywrlock ? real.rw_trywrlock(l) : ENOSYS;
        }
        return acquire(l, WARD_LOCK_ENTRY_RWLOCK, __builtin_return_address(0), r_trywr, NULL, NULL,
                       0);
}

EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
        if (!READY(rw_unlock) || in_shim) {
                return real.rw_unlock ? real.rw_unlock(l) : ENOSYS;
        }
        release(l, 1);
        return real.rw_unlock(l);
}

/* A condition wait gives the mutex up and takes it back inside libc. */
static void cond_released(pthread_mutex_t *m, uint32_t *held)
{
        struct ward_lock_entry *e = entry_of(find(m));
        *held = e && ward__lock_mutex_owner(m) == ward__lock_tid();
        if (*held) {
                ward__lockstat_unlocking(e);
        }
}

static void cond_retaken(pthread_mutex_t *m, uint32_t held, const void *pc)
{
        struct ward_lock_entry *e = entry_of(find(m));
        if (e && held) {
                ward__lockstat_locked(e, (uint64_t)(uintptr_t)pc, 0, 0);
        }
}

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
        uint32_t rec;
        if (!READY(cond_wait) || in_shim) {
                return real.cond_wait ? real.cond_wait(c, m) : ENOSYS;
        }
        cond_released(m, &rec);
        int r = real.cond_wait(c, m);
        cond_retaken(m, rec, __builtin_return_address(0));
        return r;
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
        uint32_t rec;
        if (!READY(cond_timedwait) || in_shim) {
                return real.cond_timedwait ? real.cond_timedwait(c, m, t) : ENOSYS;
        }
        cond_released(m, &rec);
        int r = real.cond_timedwait(c, m, t);
        cond_retaken(m, rec, __builtin_return_address(0));
        return r;
}
