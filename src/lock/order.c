/* Lock-order checking: see order.h. */
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/lock.h>
#include <ward/trace.h>

#include "lock/order.h"
#include "lock/registry.h"

#define MAX_CLASSES 4096 /* class ids 1..MAX_CLASSES-1 */
#define CLASS_SLOTS 8192 /* hash of keys to class ids */
#define EDGE_SLOTS 65536 /* hash set of known edges (and reported pairs) */
#define MAX_EDGES 32768

struct lock_class {
        uintptr_t key;
        char name[48]; /* a copy: the caller's may be on its stack */
        struct ward__lock_where where;
        uint32_t *next; /* edge indices out of this class */
        uint32_t n_next, cap_next;
};

struct edge {
        uint32_t from, to;
        struct ward__lock_where from_at, to_at; /* from was taken at from_at, then to at to_at */
};

WARD_API int ward__lock_order_on;
static unsigned inversions;
static char order_lock;
static struct lock_class classes[MAX_CLASSES];
static uint32_t n_classes = 1;
static uint32_t class_slot[CLASS_SLOTS]; /* class id, 0 empty */
static uint64_t edge_set[EDGE_SLOTS];    /* from << 32 | to; bit 63: a reported pair */
static struct edge edges[MAX_EDGES];
static uint32_t n_edges;
static ward_lock_order_fn handler; /* with handler_arg: under order_lock */
static void *handler_arg;
WARD_API __thread struct ward__lock_held_stack ward__lock_held;

static uint32_t hash64(uint64_t k)
{
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdull;
        k ^= k >> 33;
        return (uint32_t)k;
}

uint32_t ward__lock_class(uintptr_t key, const char *name, struct ward__lock_where where)
{
        uint32_t i = hash64(key) & (CLASS_SLOTS - 1), id;
        while ((id = __atomic_load_n(&class_slot[i], __ATOMIC_ACQUIRE))) {
                if (classes[id].key == key) {
                        return id;
                }
                i = (i + 1) & (CLASS_SLOTS - 1);
        }
        ward__lock_spin(&order_lock);
        while ((id = class_slot[i]) && classes[id].key != key) { /* raced: probe on */
                i = (i + 1) & (CLASS_SLOTS - 1);
        }
        if (!id && n_classes < MAX_CLASSES) {
                id = n_classes++;
                classes[id] = (struct lock_class){.key = key, .where = where};
                snprintf(classes[id].name, sizeof(classes[id].name), "%s", name ? name : "");
                __atomic_store_n(&class_slot[i], id, __ATOMIC_RELEASE);
        }
        ward__lock_unspin(&order_lock);
        return id;
}

static int edge_set_has(uint64_t key)
{
        uint32_t i = hash64(key) & (EDGE_SLOTS - 1);
        uint64_t k;
        while ((k = __atomic_load_n(&edge_set[i], __ATOMIC_ACQUIRE))) {
                if (k == key) {
                        return 1;
                }
                i = (i + 1) & (EDGE_SLOTS - 1);
        }
        return 0;
}

/* edge_set_add (under the spinlock): 0, or -1 when full */
static int edge_set_add(uint64_t key)
{
        uint32_t i = hash64(key) & (EDGE_SLOTS - 1), probes = 0;
        while (edge_set[i] && edge_set[i] != key) {
                if (++probes == EDGE_SLOTS / 2) {
                        return -1;
                }
                i = (i + 1) & (EDGE_SLOTS - 1);
        }
        __atomic_store_n(&edge_set[i], key, __ATOMIC_RELEASE);
        return 0;
}

static uint64_t edge_key(uint32_t from, uint32_t to)
{
        return (uint64_t)from << 32 | to;
}

static uint64_t pair_key(uint32_t a, uint32_t b)
{
        return 1ull << 63 | (a < b ? edge_key(a, b) : edge_key(b, a));
}

/* path_first_edge (under the spinlock): is `to` reachable from `from`? If
 * so, the index of the first edge of such a path. Iterative DFS. */
static int path_first_edge(uint32_t from, uint32_t to, uint32_t *first)
{
        static uint8_t seen[MAX_CLASSES];
        static uint32_t stack[MAX_CLASSES], via[MAX_CLASSES];
        uint32_t sp = 0;
        memset(seen, 0, sizeof(seen));
        stack[sp] = from;
        via[sp++] = UINT32_MAX;
        seen[from] = 1;
        while (sp) {
                uint32_t c = stack[--sp], first_edge = via[sp];
                if (c == to) {
                        *first = first_edge;
                        return 1;
                }
                for (uint32_t k = 0; k < classes[c].n_next; k++) {
                        uint32_t e = classes[c].next[k], n = edges[e].to;
                        if (!seen[n]) {
                                seen[n] = 1;
                                stack[sp] = n;
                                via[sp++] = first_edge == UINT32_MAX ? e : first_edge;
                        }
                }
        }
        return 0;
}

static void add_edge(uint32_t from, uint32_t to, struct ward__lock_where from_at,
                     struct ward__lock_where to_at)
{
        struct lock_class *c = &classes[from];
        if (n_edges == MAX_EDGES) {
                return;
        }
        if (c->n_next == c->cap_next) {
                uint32_t cap = c->cap_next ? 2 * c->cap_next : 4;
                uint32_t *p = realloc(c->next, cap * sizeof(*p));
                if (!p) {
                        return;
                }
                c->next = p;
                c->cap_next = cap;
        }
        if (edge_set_add(edge_key(from, to)) < 0) {
                return;
        }
        edges[n_edges] = (struct edge){from, to, from_at, to_at};
        c->next[c->n_next++] = n_edges++;
}

void ward__lock_where_format(struct ward__lock_where w, char *buf, size_t size)
{
        Dl_info info;
        if (w.str) {
                snprintf(buf, size, "%s", w.str);
                return;
        }
        if (!w.pc || !dladdr(w.pc, &info) || !info.dli_fname) {
                snprintf(buf, size, "%p", w.pc);
                return;
        }
        const char *slash = strrchr(info.dli_fname, '/');
        const char *mod = slash ? slash + 1 : info.dli_fname;
        if (info.dli_sname) {
                snprintf(buf, size, "%p %s+0x%lx (%s)", w.pc, info.dli_sname,
                         (unsigned long)((const char *)w.pc - (const char *)info.dli_saddr), mod);
        } else {
                snprintf(buf, size, "%p (%s+0x%lx)", w.pc, mod,
                         (unsigned long)((const char *)w.pc - (const char *)info.dli_fbase));
        }
}

static void copy_name(char *dst, size_t size, const char *name)
{
        snprintf(dst, size, "%s", name ? name : "?");
}

/* publish: the inversion into the registry (if the process has one) */
static void publish(const struct ward_lock_inversion *inv)
{
        struct ward__lockreg_header *h = ward__lockreg_create_header();
        if (!h) {
                return;
        }
        uint32_t n = __atomic_fetch_add(&h->inversions, 1, __ATOMIC_RELAXED);
        if (n < WARD_LOCK_INVERSIONS) {
                struct ward_lock_inversion *slot = &h->inversion[n];
                memcpy((char *)slot + sizeof(slot->seq), (const char *)inv + sizeof(inv->seq),
                       sizeof(*inv) - sizeof(inv->seq));
                __atomic_store_n(&slot->seq, 2, __ATOMIC_RELEASE);
        }
}

int ward_lock_inversion_format(const struct ward_lock_inversion *inv, char *buf, size_t size)
{
        return snprintf(buf, size,
                        "ward: lock order inversion (thread %u): takes \"%s\" at %s while holding "
                        "\"%s\" (taken at %s); earlier \"%s\" was held (taken at %s) when the next "
                        "lock on the way to \"%s\" was taken at %s. These orders can deadlock.",
                        inv->tid, inv->wanted, inv->wanted_site, inv->held, inv->held_site,
                        inv->wanted, inv->earlier_first_site, inv->held, inv->earlier_second_site);
}

void ward_lock_order_set_handler(ward_lock_order_fn fn, void *arg)
{
        ward__lock_spin(&order_lock);
        handler = fn;
        handler_arg = arg;
        ward__lock_unspin(&order_lock);
}

/* report: the inversion into the registry, the trace and the application's
 * handler, if any. Library code prints nothing itself: where the text goes
 * (stderr, a log, nowhere) is the application's to say. */
static void report(const struct ward__lock_held *h, uint32_t wanted, struct ward__lock_where at,
                   const struct edge *earlier, ward_lock_order_fn fn, void *arg)
{
        struct ward_lock_inversion inv = {.tid = ward__lock_tid()};
        copy_name(inv.held, sizeof(inv.held), classes[h->cls].name);
        copy_name(inv.wanted, sizeof(inv.wanted), classes[wanted].name);
        ward__lock_where_format(h->at, inv.held_site, sizeof(inv.held_site));
        ward__lock_where_format(at, inv.wanted_site, sizeof(inv.wanted_site));
        ward__lock_where_format(earlier->from_at, inv.earlier_first_site,
                                sizeof(inv.earlier_first_site));
        ward__lock_where_format(earlier->to_at, inv.earlier_second_site,
                                sizeof(inv.earlier_second_site));
        __atomic_fetch_add(&inversions, 1, __ATOMIC_RELAXED);
        publish(&inv);
        WARD_TRACE_CAT(WARD_TRACE_WARN, "lock", "lock order inversion: %s at %s while holding %s",
                       inv.wanted, inv.wanted_site, inv.held);
        if (fn) {
                fn(&inv, arg);
        }
}

/* new_edge (slow path): record held -> wanted, or report the inversion. */
static void new_edge(const struct ward__lock_held *h, uint32_t wanted, struct ward__lock_where at)
{
        uint32_t first;
        struct edge earlier;
        int inverted = 0;
        ward_lock_order_fn fn;
        void *arg;
        ward__lock_spin(&order_lock);
        fn = handler;
        arg = handler_arg;
        if (!edge_set_has(edge_key(h->cls, wanted))) {
                if (path_first_edge(wanted, h->cls, &first)) {
                        if (edge_set_add(pair_key(h->cls, wanted)) == 0 &&
                            edge_set_add(edge_key(h->cls, wanted)) == 0) {
                                inverted = 1; /* known from now on: reported once */
                                earlier = edges[first];
                        }
                } else {
                        add_edge(h->cls, wanted, h->at, at);
                }
        }
        ward__lock_unspin(&order_lock);
        if (inverted) {
                report(h, wanted, at, &earlier, fn, arg); /* the spinlock is free: fn may block */
        }
}

void ward__lock_order_check_held(uint32_t cls, struct ward__lock_where at)
{
        const struct ward__lock_held_stack *held = &ward__lock_held;
        for (uint32_t i = 0; cls && i < held->depth && i < WARD__LOCK_HELD_MAX; i++) {
                const struct ward__lock_held *h = &held->h[i];
                if (h->cls && h->cls != cls && !edge_set_has(edge_key(h->cls, cls))) {
                        new_edge(h, cls, at);
                }
        }
}

void ward__lock_order_pop_deep(const void *lock)
{
        struct ward__lock_held_stack *held = &ward__lock_held;
        uint32_t top = held->depth < WARD__LOCK_HELD_MAX ? held->depth : WARD__LOCK_HELD_MAX;
        if (held->depth > WARD__LOCK_HELD_MAX) { /* the newest were not kept */
                held->depth--;
                return;
        }
        for (uint32_t i = top; i-- > 0;) {
                if (held->h[i].lock == lock) {
                        memmove(&held->h[i], &held->h[i + 1], (top - i - 1) * sizeof(held->h[0]));
                        held->depth--;
                        return;
                }
        }
}

int ward_lock_order_checking(int on)
{
        struct ward__lockreg_header *h = ward__lockreg_header();
        if (h) {
                __atomic_store_n(&h->order_checking, on ? 1 : 0, __ATOMIC_RELAXED);
        }
        return __atomic_exchange_n(&ward__lock_order_on, on ? 1 : 0, __ATOMIC_RELAXED);
}

unsigned ward_lock_inversions(void)
{
        return __atomic_load_n(&inversions, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void order_from_env(void)
{
        const char *e = getenv("WARD_LOCK_ORDER");
        if (e && *e && strcmp(e, "0") != 0) {
                ward_lock_order_checking(1);
        }
}
