/* Lock-order checking in the spirit of Linux lockdep.
 *
 * A lock class is a creation site (all locks made at one place are one
 * class). Each thread keeps the stack of locks it holds; acquiring B while
 * holding A records the edge A -> B of a global graph between classes, with
 * both acquisition sites. An acquisition that would close a cycle is an
 * inversion: two code paths take the same locks in opposite orders, and can
 * deadlock one day even if they have not yet. The first time a pair of
 * classes inverts it is reported once (the registry, the trace, and the
 * application's handler: ward_lock_order_set_handler);
 * the edge is not added, so the graph stays acyclic.
 *
 * Cost when on: a push and a pop on a thread-local stack per lock, plus, per
 * lock already held when another is taken, one lookup in a lock-free hash
 * set of known edges. New edges and the search for a cycle take a spinlock. */
#ifndef WARD_LOCK_ORDER_H
#define WARD_LOCK_ORDER_H

#include <stdint.h>

#include <ward/lock.h> /* struct ward__lock_where, the held stack, ward__lock_order_on */

/* ward__lock_class: the class id (>= 1) of locks keyed by key (a creation
 * site's string or code address, or a static lock's own address), naming
 * the class name (copied) and where (kept: static strings or code). 0 when the class table is full
 * (the lock is then not checked). Any thread; a spinlock on first use of a key. */
uint32_t ward__lock_class(uintptr_t key, const char *name, struct ward__lock_where where);

/* ward__lock_class_of: the class of the lock created at site (a ward lock),
 * looked up once and kept in *id */
static inline uint32_t ward__lock_class_of(uint32_t *id, const char *site, const char *name)
{
        uint32_t c = __atomic_load_n(id, __ATOMIC_RELAXED);
        if (__builtin_expect(c == 0, 0)) {
                c = ward__lock_class((uintptr_t)site, name, (struct ward__lock_where){site, NULL});
                __atomic_store_n(id, c, __ATOMIC_RELAXED);
        }
        return c;
}

/* ward__lock_order_check_held: the out-of-line part of the check below */
void ward__lock_order_check_held(uint32_t cls, struct ward__lock_where at);

/* ward__lock_order_pop_deep: the out-of-line part of the pop below */
void ward__lock_order_pop_deep(const void *lock);

/* ward__lock_order_check: before the calling thread blocks on a lock of
 * class cls at `at`: an edge from every held class to cls; report an
 * inversion if one closes a cycle. */
static inline void ward__lock_order_check(uint32_t cls, struct ward__lock_where at)
{
        if (ward__lock_held.depth) {
                ward__lock_order_check_held(cls, at);
        }
}

/* ward__lock_order_push: the calling thread now holds lock (class cls,
 * acquired at `at`). A stack deeper than the limit drops the newest. */
static inline void ward__lock_order_push(uint32_t cls, const void *lock, struct ward__lock_where at)
{
        struct ward__lock_held_stack *s = &ward__lock_held;
        if (s->depth < WARD__LOCK_HELD_MAX) {
                s->h[s->depth] = (struct ward__lock_held){cls, lock, at};
        }
        s->depth++;
}

/* ward__lock_order_pop: the calling thread released lock (the newest entry
 * for it; nothing if it is not on the stack). */
static inline void ward__lock_order_pop(const void *lock)
{
        struct ward__lock_held_stack *s = &ward__lock_held;
        if (s->depth && s->depth <= WARD__LOCK_HELD_MAX && s->h[s->depth - 1].lock == lock) {
                s->depth--; /* the usual order: the newest goes first */
        } else {
                ward__lock_order_pop_deep(lock);
        }
}

/* ward__lock_where_format: "file:line", or for a code address "0xPC
 * function+0xN (module)" (or "0xPC (module+0xN)" without a dynamic symbol),
 * into buf. The leading address lets `ward locks` name the place with debug
 * info (function, file:line), which dladdr cannot. */
void ward__lock_where_format(struct ward__lock_where w, char *buf, size_t size);

#endif
