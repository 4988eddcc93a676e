/* The watcher's process table: see ptable.h. */
#include <errno.h>
#include <stdlib.h>

#include "inspect/proc/ptable.h"

static size_t home(const struct ward__ptable *t, int pid)
{
        uint32_t h = (uint32_t)pid * 2654435761u; /* Knuth's multiplicative hash */
        return (size_t)h & (t->cap - 1);
}

struct ward__pentry *ward__ptable_get(const struct ward__ptable *t, int pid)
{
        if (!t->cap) {
                return NULL;
        }
        for (size_t i = home(t, pid);; i = (i + 1) & (t->cap - 1)) {
                if (!t->slot[i]) {
                        return NULL;
                }
                if (t->slot[i]->pid == pid) {
                        return t->slot[i];
                }
        }
}

static void insert(struct ward__ptable *t, struct ward__pentry *e)
{
        size_t i = home(t, e->pid);
        while (t->slot[i]) {
                i = (i + 1) & (t->cap - 1);
        }
        t->slot[i] = e;
}

int ward__ptable_put(struct ward__ptable *t, struct ward__pentry *e)
{
        if ((t->n + 1) * 2 > t->cap) { /* at most half full */
                size_t cap = t->cap ? t->cap * 2 : 64;
                struct ward__pentry **old = t->slot;
                size_t old_cap = t->cap;
                t->slot = calloc(cap, sizeof(*t->slot));
                if (!t->slot) {
                        t->slot = old;
                        return -ENOMEM;
                }
                t->cap = cap;
                for (size_t i = 0; i < old_cap; i++) {
                        if (old[i]) {
                                insert(t, old[i]);
                        }
                }
                free(old);
        }
        insert(t, e);
        t->n++;
        return 0;
}

struct ward__pentry *ward__ptable_del(struct ward__ptable *t, int pid)
{
        if (!t->cap) {
                return NULL;
        }
        size_t mask = t->cap - 1, i = home(t, pid);
        while (t->slot[i] && t->slot[i]->pid != pid) {
                i = (i + 1) & mask;
        }
        struct ward__pentry *e = t->slot[i];
        if (!e) {
                return NULL;
        }
        t->slot[i] = NULL;
        t->n--;
        /* shift back what follows in the run, so lookups never stop early */
        for (size_t j = (i + 1) & mask; t->slot[j]; j = (j + 1) & mask) {
                size_t h = home(t, t->slot[j]->pid);
                /* the entry at j may move to i if i lies cyclically in [h, j) */
                if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
                        t->slot[i] = t->slot[j];
                        t->slot[j] = NULL;
                        i = j;
                }
        }
        return e;
}

void ward__ptable_free(struct ward__ptable *t)
{
        free(t->slot);
        t->slot = NULL;
        t->cap = t->n = 0;
}
