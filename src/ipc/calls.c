/* Pending-call bookkeeping: open addressing (ids are sequential, so the low
 * bits spread well) with backward-shift deletion, and a lazy deadline heap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/calls.h"

static uint32_t find(const struct ward__calls *cs, uint64_t id)
{
        uint32_t mask = cs->cap - 1;
        uint32_t i = (uint32_t)id & mask;
        while (cs->tab[i].id != 0 && cs->tab[i].id != id) {
                i = (i + 1) & mask;
        }
        return i;
}

static int grow_table(struct ward__calls *cs)
{
        uint32_t ncap = cs->cap ? cs->cap * 2 : 64;
        struct ward__call *old = cs->tab;
        uint32_t ocap = cs->cap;
        cs->tab = calloc(ncap, sizeof(*cs->tab));
        if (!cs->tab) {
                cs->tab = old;
                return -ENOMEM;
        }
        cs->cap = ncap;
        for (uint32_t i = 0; i < ocap; i++) {
                if (old[i].id) {
                        cs->tab[find(cs, old[i].id)] = old[i];
                }
        }
        free(old);
        return 0;
}

static void heap_swap(struct ward__deadline *h, uint32_t a, uint32_t b)
{
        struct ward__deadline t = h[a];
        h[a] = h[b];
        h[b] = t;
}

static void heap_up(struct ward__deadline *h, uint32_t i)
{
        while (i > 0 && h[(i - 1) / 2].when > h[i].when) {
                heap_swap(h, i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
}

static void heap_down(struct ward__deadline *h, uint32_t n, uint32_t i)
{
        for (;;) {
                uint32_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < n && h[l].when < h[m].when) {
                        m = l;
                }
                if (r < n && h[r].when < h[m].when) {
                        m = r;
                }
                if (m == i) {
                        return;
                }
                heap_swap(h, i, m);
                i = m;
        }
}

static void heap_pop(struct ward__calls *cs)
{
        cs->heap[0] = cs->heap[--cs->heap_len];
        heap_down(cs->heap, cs->heap_len, 0);
}

static int heap_push(struct ward__calls *cs, uint64_t when, uint64_t id)
{
        if (cs->heap_len == cs->heap_cap) {
                uint32_t ncap = cs->heap_cap ? cs->heap_cap * 2 : 64;
                void *n = realloc(cs->heap, ncap * sizeof(*cs->heap));
                if (!n) {
                        return -ENOMEM;
                }
                cs->heap = n;
                cs->heap_cap = ncap;
        }
        cs->heap[cs->heap_len] = (struct ward__deadline){.when = when, .id = id};
        heap_up(cs->heap, cs->heap_len++);
        return 0;
}

/* compact: rebuild the heap from the live calls when stale entries dominate,
 * so memory stays proportional to the calls in flight. */
static void compact(struct ward__calls *cs)
{
        if (cs->heap_len < 2 * cs->count + 1024) {
                return;
        }
        cs->heap_len = 0;
        for (uint32_t i = 0; i < cs->cap; i++) {
                if (cs->tab[i].id && cs->tab[i].deadline != UINT64_MAX) {
                        cs->heap[cs->heap_len] = (struct ward__deadline){
                            .when = cs->tab[i].deadline, .id = cs->tab[i].id};
                        heap_up(cs->heap, cs->heap_len++);
                }
        }
}

int ward__calls_add(struct ward__calls *cs, const struct ward__call *call)
{
        compact(cs);
        if ((cs->count + 1) * 2 > cs->cap && grow_table(cs) < 0) {
                return -ENOMEM;
        }
        if (call->deadline != UINT64_MAX && heap_push(cs, call->deadline, call->id) < 0) {
                return -ENOMEM;
        }
        cs->tab[find(cs, call->id)] = *call;
        cs->count++;
        return 0;
}

/* remove_at: delete slot i, shifting later members of its cluster back. */
static void remove_at(struct ward__calls *cs, uint32_t i)
{
        uint32_t mask = cs->cap - 1;
        uint32_t j = i;
        for (;;) {
                j = (j + 1) & mask;
                if (cs->tab[j].id == 0) {
                        break;
                }
                uint32_t home = (uint32_t)cs->tab[j].id & mask;
                /* move j back to i unless its home lies cyclically in (i, j] */
                if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
                        cs->tab[i] = cs->tab[j];
                        i = j;
                }
        }
        cs->tab[i].id = 0;
        cs->count--;
}

int ward__calls_take(struct ward__calls *cs, uint64_t id, struct ward__call *ret)
{
        if (cs->count == 0 || id == 0) {
                return 0;
        }
        uint32_t i = find(cs, id);
        if (cs->tab[i].id != id) {
                return 0;
        }
        *ret = cs->tab[i];
        remove_at(cs, i);
        return 1;
}

/* prune: drop heap entries of calls that are gone or whose deadline changed. */
static void prune(struct ward__calls *cs)
{
        while (cs->heap_len > 0) {
                struct ward__deadline d = cs->heap[0];
                uint32_t i = cs->count ? find(cs, d.id) : 0;
                if (cs->count && cs->tab[i].id == d.id && cs->tab[i].deadline == d.when) {
                        return;
                }
                heap_pop(cs);
        }
}

int ward__calls_take_expired(struct ward__calls *cs, uint64_t now, struct ward__call *ret)
{
        prune(cs);
        if (cs->heap_len == 0 || cs->heap[0].when > now) {
                return 0;
        }
        uint64_t id = cs->heap[0].id;
        heap_pop(cs);
        return ward__calls_take(cs, id, ret);
}

int ward__calls_take_any(struct ward__calls *cs, struct ward__call *ret)
{
        for (uint32_t i = 0; cs->count && i < cs->cap; i++) {
                if (cs->tab[i].id) {
                        *ret = cs->tab[i];
                        remove_at(cs, i);
                        return 1;
                }
        }
        return 0;
}

uint64_t ward__calls_next_deadline(struct ward__calls *cs)
{
        prune(cs);
        return cs->heap_len ? cs->heap[0].when : UINT64_MAX;
}

/* forget: id will not be recognised any more; answers up to it pass. */
static void forget(struct ward__calls *cs, uint64_t id)
{
        if (id >= cs->late_below) {
                cs->late_below = id + 1;
        }
}

void ward__calls_abandon(struct ward__calls *cs, uint64_t id)
{
        if (!cs->late) {
                cs->late = calloc(WARD__CALLS_LATE_MAX, sizeof(*cs->late));
                if (!cs->late) {
                        forget(cs, id); /* no memory: lenient, not wrong */
                        return;
                }
        }
        uint64_t *slot = &cs->late[cs->late_next++ % WARD__CALLS_LATE_MAX];
        if (*slot) {
                forget(cs, *slot);
        }
        *slot = id;
}

int ward__calls_take_late(struct ward__calls *cs, uint64_t id)
{
        if (id < cs->late_below) {
                return 1;
        }
        for (uint32_t i = 0; cs->late && i < WARD__CALLS_LATE_MAX; i++) {
                if (cs->late[i] == id) {
                        cs->late[i] = 0;
                        return 1;
                }
        }
        return 0;
}

void ward__calls_free(struct ward__calls *cs)
{
        free(cs->tab);
        free(cs->heap);
        free(cs->late);
        memset(cs, 0, sizeof(*cs));
}
