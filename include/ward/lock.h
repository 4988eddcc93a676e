/* ward/lock.h: instrumented mutexes and rwlocks that a live process shows
 * from outside.
 *
 *   static ward_mutex cache_lock = WARD_MUTEX_INIT("cache");
 *   ward_mutex_lock(&cache_lock);    ... ward_mutex_unlock(&cache_lock);
 *
 * A ward_mutex is a pthread_mutex_t plus a slot in the process's lock
 * registry, a 0600 shared-memory file /dev/shm/ward-locks.<pid> that
 * `ward locks PID` reads while the program runs: the lock's name, where it was
 * created, its owner and recursion, waiters, acquisitions, contentions,
 * total/max wait, max hold and where it was last acquired.
 *
 * Cost: the statistics are written by the thread that holds the lock (no
 * extra atomic instruction) and published with a seqlock; clocks are read
 * only when a thread has to wait; the fast path makes no syscall. A wait
 * longer than the long-wait threshold becomes a trace event when ward tracing
 * (ward/trace.h) is on.
 *
 * Lock-order checking (off by default; ward_lock_order_checking(1) or
 * WARD_LOCK_ORDER=1 in the environment): each thread keeps the stack of locks
 * it holds; "held A while acquiring B" is an edge between lock classes (a
 * class is a creation site); an acquisition that closes a cycle is an
 * inversion, reported once per pair of classes, with both acquisition sites,
 * in the registry and in the trace — before any deadlock happens — and to the
 * application's handler (ward_lock_order_set_handler), if it set one. ward
 * itself prints nothing; the preload shim installs a handler that prints to
 * stderr.
 *
 * Errors: like every ward function (ward/error.h), these return 0 or a
 * negative errno — the pthread error number, negated: -EDEADLK (an
 * errorcheck mutex the caller holds), -EPERM (unlocking one it does not),
 * -EBUSY (trylock of a held lock, destroying a held one), -EINVAL, -EAGAIN.
 *
 * Every function may be called from any thread (thread class: any-thread).
 * None may be called from a signal handler. The lock and unlock macros record
 * the caller's file:line.
 */
#ifndef WARD_LOCK_H
#define WARD_LOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

struct ward_lock_entry;

/* Internal: where a lock was created or acquired, a "file:line" string (ward
 * locks) or a code address (the preload shim). */
struct ward__lock_where {
        const char *str;
        const void *pc;
};

/* Internal: the calling thread's held locks, oldest first, for lock-order
 * checking (the inline paths below push and pop the common cases). */
#define WARD__LOCK_HELD_MAX 48
struct ward__lock_held {
        uint32_t cls;
        const void *lock;
        struct ward__lock_where at;
};
struct ward__lock_held_stack {
        uint32_t depth; /* may exceed WARD__LOCK_HELD_MAX: the newest are not kept */
        struct ward__lock_held h[WARD__LOCK_HELD_MAX];
};
/* no tls_model: an executable gets the fast model anyway; a plugin that
 * libward.so comes with through dlopen must not demand static TLS */
WARD_API extern __thread struct ward__lock_held_stack ward__lock_held;

/* Internal: the words of a lock's registry entry that the inline fast path
 * below writes. */
struct ward__lock_hot {
        uint64_t acquisitions; /* successful exclusive locks */
        uint64_t last_site;    /* the last acquirer's "file:line" (a pointer) */
        uint64_t hold_start;   /* nonzero while a contended hold is timed */
};

typedef struct ward_mutex {
        pthread_mutex_t m;
        struct ward_lock_entry *entry; /* registry slot, claimed at first lock */
        struct ward__lock_hot *hot;    /* in that slot; NULL until then */
        const char *name;              /* what `ward locks` calls it */
        const char *site;              /* creation "file:line" */
        const char *func;              /* creating function, NULL for a static one */
        uint32_t class_id;             /* lock-order class (0: not yet known) */
        int type;                      /* enum ward_mutex_type */
} ward_mutex;

typedef struct ward_rwlock {
        pthread_rwlock_t rw;
        struct ward_lock_entry *entry;
        const char *name;
        const char *site;
        const char *func;
        uint32_t class_id;
        int unused;
} ward_rwlock;

enum ward_mutex_type {
        WARD_MUTEX_NORMAL = 0,
        WARD_MUTEX_RECURSIVE = 1,
        WARD_MUTEX_ERRORCHECK = 2,
};

#define WARD__LOCK_STR2(x) #x
#define WARD__LOCK_STR(x) WARD__LOCK_STR2(x)
#define WARD__LOCK_HERE __FILE__ ":" WARD__LOCK_STR(__LINE__)

/* WARD_MUTEX_INIT(name): a static initializer (a normal mutex); the creation
 * site is the initializer's file:line. */
#define WARD_MUTEX_INIT(lock_name)                                                                 \
        {                                                                                          \
                PTHREAD_MUTEX_INITIALIZER, 0, 0, (lock_name), WARD__LOCK_HERE, 0, 0,               \
                    WARD_MUTEX_NORMAL                                                              \
        }
#define WARD_RWLOCK_INIT(lock_name)                                                                \
        {                                                                                          \
                PTHREAD_RWLOCK_INITIALIZER, 0, (lock_name), WARD__LOCK_HERE, 0, 0, 0               \
        }

/* ward_mutex_init(m, name, type): initialize m at run time, recording this
 * file:line and function as its creation site. name must outlive m (a string
 * literal is usual). Errors: -EINVAL (bad type), -ENOMEM, -EAGAIN, as
 * pthread_mutex_init. */
#define ward_mutex_init(m, lock_name, mtype)                                                       \
        ward_mutex_init_at((m), (lock_name), (mtype), WARD__LOCK_HERE, __func__)
#define ward_rwlock_init(l, lock_name)                                                             \
        ward_rwlock_init_at((l), (lock_name), WARD__LOCK_HERE, __func__)

/* Lock and unlock: the pthread functions' results, negated (0, or -EDEADLK
 * for an errorcheck mutex the caller holds, -EPERM for unlocking one it does
 * not, -EBUSY from a trylock of a held lock, -EAGAIN for a recursive or read
 * lock taken too many times). */
#define ward_mutex_lock(m) ward_mutex_lock_at((m), WARD__LOCK_HERE)
#define ward_mutex_trylock(m) ward_mutex_trylock_at((m), WARD__LOCK_HERE)
#define ward_rwlock_rdlock(l) ward_rwlock_rdlock_at((l), WARD__LOCK_HERE)
#define ward_rwlock_wrlock(l) ward_rwlock_wrlock_at((l), WARD__LOCK_HERE)

WARD_API int ward_mutex_init_at(ward_mutex *m, const char *name, int type, const char *site,
                                const char *func);
WARD_API int ward_mutex_trylock_at(ward_mutex *m, const char *site);

/* Internal: nonzero while lock-order checking is on; the slow paths. */
WARD_API extern int ward__lock_order_on;
WARD_API int ward__mutex_lock_slow(ward_mutex *m, const char *site);
WARD_API int ward__mutex_unlock_slow(ward_mutex *m);

/* ward_mutex_lock_at: lock m, acquired at site; 0 or -errno. Inline: an uncontended lock
 * of a mutex with its registry slot is a trylock and two plain stores (with
 * order checking on and no other lock held, a push on the thread's held
 * stack); everything else goes to ward__mutex_lock_slow. */
static inline int ward_mutex_lock_at(ward_mutex *m, const char *site)
{
        struct ward__lock_hot *h = __atomic_load_n(&m->hot, __ATOMIC_ACQUIRE);
        int order = __atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED);
        uint32_t c = __atomic_load_n(&m->class_id, __ATOMIC_RELAXED);
        if (__builtin_expect(h != 0 && (!order || (c != 0 && ward__lock_held.depth == 0)), 1) &&
            pthread_mutex_trylock(&m->m) == 0) {
                __atomic_store_n(&h->acquisitions,
                                 __atomic_load_n(&h->acquisitions, __ATOMIC_RELAXED) + 1,
                                 __ATOMIC_RELAXED);
                __atomic_store_n(&h->last_site, (uint64_t)(uintptr_t)site, __ATOMIC_RELAXED);
                if (order) {
                        struct ward__lock_held *held = &ward__lock_held.h[0];
                        held->cls = c;
                        held->lock = m;
                        held->at.str = site;
                        held->at.pc = 0;
                        ward__lock_held.depth = 1;
                }
                return 0;
        }
        return ward__mutex_lock_slow(m, site);
}

/* ward_mutex_unlock: unlock m; 0 or -EPERM. Inline when there is nothing to
 * record but, with order checking on, the pop of the newest held lock. */
static inline int ward_mutex_unlock(ward_mutex *m)
{
        struct ward__lock_hot *h = __atomic_load_n(&m->hot, __ATOMIC_RELAXED);
        if (__builtin_expect(h != 0 && m->type != WARD_MUTEX_ERRORCHECK &&
                                 !__atomic_load_n(&h->hold_start, __ATOMIC_RELAXED),
                             1)) {
                if (!__atomic_load_n(&ward__lock_order_on, __ATOMIC_RELAXED)) {
                        return -pthread_mutex_unlock(&m->m);
                }
                struct ward__lock_held_stack *s = &ward__lock_held;
                if (__builtin_expect(
                        s->depth - 1 < WARD__LOCK_HELD_MAX && s->h[s->depth - 1].lock == m, 1)) {
                        s->depth--;
                        return -pthread_mutex_unlock(&m->m);
                }
        }
        return ward__mutex_unlock_slow(m);
}
/* ward_mutex_destroy: 0, or -EBUSY if held; on success the registry slot is
 * released. */
WARD_API int ward_mutex_destroy(ward_mutex *m);
/* ward_mutex_native: the pthread mutex inside, for pthread_cond_wait. A
 * condition wait releases and retakes it behind ward's back: call
 * ward_mutex_cond_wait instead to keep owner and statistics right (0 or
 * -errno, as pthread_cond_wait's result negated). */
WARD_API pthread_mutex_t *ward_mutex_native(ward_mutex *m);
WARD_API int ward_mutex_cond_wait(pthread_cond_t *c, ward_mutex *m);

/* The rwlock functions: 0 or -errno as the mutex ones (-EDEADLK: a write lock
 * the caller holds; -EBUSY: destroying a held one). */
WARD_API int ward_rwlock_init_at(ward_rwlock *l, const char *name, const char *site,
                                 const char *func);
WARD_API int ward_rwlock_rdlock_at(ward_rwlock *l, const char *site);
WARD_API int ward_rwlock_wrlock_at(ward_rwlock *l, const char *site);
WARD_API int ward_rwlock_unlock(ward_rwlock *l);
WARD_API int ward_rwlock_destroy(ward_rwlock *l);

/* ward_lock_order_checking(on): switch lock-order checking on (1) or off
 * (0) for the whole process; returns the previous setting. Locks already held
 * when it is switched on are not on the threads' held stacks (their releases
 * are ignored). */
WARD_API int ward_lock_order_checking(int on);

/* ward_lock_inversions: lock-order inversions reported so far. */
WARD_API unsigned ward_lock_inversions(void);

/* Called once for each lock-order inversion (each pair of lock classes), on
 * the thread whose acquisition closed the cycle, just before that thread
 * blocks on the lock, while it holds its other locks. inv (ward/lock-registry.h)
 * is valid until the handler returns. Keep it short, and take no lock the
 * thread's held locks might be ordered with (writing to a file descriptor, a
 * counter, abort() are fine; so is stdio's stderr, which uses no pthread
 * mutex). */
struct ward_lock_inversion;
typedef void (*ward_lock_order_fn)(const struct ward_lock_inversion *inv, void *arg);

/* ward_lock_order_set_handler: report inversions to fn(inv, arg) from now on
 * (NULL: to nobody; the default). Inversions always reach the registry
 * (`ward locks`) and the trace too. Never fails. Thread class: any-thread. */
WARD_API void ward_lock_order_set_handler(ward_lock_order_fn fn, void *arg);

/* ward_lock_inversion_format: the one-line report of inv, in English, as
 * "ward: lock order inversion (thread T): takes "B" at SITE while holding
 * "A" (...). These orders can deadlock." (no newline), into buf (size
 * bytes, NUL-terminated if size > 0). Returns the length of the whole
 * report, as snprintf: a value >= size means it was cut.
 * Thread class: any-thread. */
WARD_API int ward_lock_inversion_format(const struct ward_lock_inversion *inv, char *buf,
                                        size_t size);

/* ward_lock_long_wait_ns(ns): waits of at least ns become trace events
 * (default 1 ms, or WARD_LOCK_LONG_WAIT_US from the environment); returns
 * the previous threshold. 0 turns them off. */
WARD_API uint64_t ward_lock_long_wait_ns(uint64_t ns);

WARD_END_DECLS

#endif
