/* An intrusive circular doubly linked list with a sentinel head: a node unlinks
 * itself without knowing which list holds it, and without a special case for
 * the head. The one list of ward: the loop's sources, a server's connections
 * and handshakes, RPC calls in flight. */
#ifndef WARD_CORE_LIST_H
#define WARD_CORE_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define ward__container_of(ptr, type, member)                                                      \
        ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ward__list_entry: the structure whose member n is. */
#define ward__list_entry(n, type, member) ward__container_of(n, type, member)

struct ward__list {
        struct ward__list *prev, *next;
};

/* ward__list_init: an empty head, or a node on no list (which unlinks safely). */
static inline void ward__list_init(struct ward__list *l)
{
        l->prev = l;
        l->next = l;
}

static inline bool ward__list_empty(const struct ward__list *l)
{
        return l->next == l;
}

/* ward__list_append: n becomes the last node of head. */
static inline void ward__list_append(struct ward__list *head, struct ward__list *n)
{
        n->prev = head->prev;
        n->next = head;
        head->prev->next = n;
        head->prev = n;
}

/* ward__list_prepend: n becomes the first node of head. */
static inline void ward__list_prepend(struct ward__list *head, struct ward__list *n)
{
        ward__list_append(head->next, n);
}

/* ward__list_unlink: take n off its list; n is then on none (unlinking it
 * again does nothing). */
static inline void ward__list_unlink(struct ward__list *n)
{
        n->prev->next = n->next;
        n->next->prev = n->prev;
        ward__list_init(n);
}

#endif
