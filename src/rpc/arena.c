/* Bump allocator behind protobuf-c's allocator interface. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpc/arena.h"

#define SPARE_MAX (64u << 20) /* the largest block an idle arena keeps */

struct ward__arena_chunk {
        struct ward__arena_chunk *next;
        size_t size;
        alignas(max_align_t) char data[];
};

static size_t round_up(size_t n)
{
        return (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
}

static void *arena_alloc(void *data, size_t size)
{
        struct ward__arena *a = data;
        size_t n = round_up(size ? size : 1);
        if (n <= sizeof(a->first) - a->used) {
                void *p = a->first + a->used;
                a->used += n;
                return p;
        }
        if (a->spare && n <= a->spare_size - a->spare_used) {
                void *p = a->spare->data + a->spare_used;
                a->spare_used += n;
                return p;
        }
        /* larger pieces get a block of their own; the largest may become the spare */
        struct ward__arena_chunk *c = malloc(sizeof(*c) + n);
        if (!c) {
                return NULL;
        }
        c->size = n;
        c->next = a->chunks;
        a->chunks = c;
        return c->data;
}

static void arena_free_one(void *data, void *p)
{
        (void)data, (void)p; /* everything goes at reset or free */
}

void ward__arena_init(struct ward__arena *a)
{
        a->alloc.alloc = arena_alloc;
        a->alloc.free = arena_free_one;
        a->alloc.allocator_data = a;
        a->chunks = NULL;
        a->spare = NULL;
        a->spare_size = a->spare_used = 0;
        a->used = 0;
}

void ward__arena_reset(struct ward__arena *a)
{
        /* the spare grows to the high-water mark of one call, so the next call
         * of the same shape is served from it without a single malloc */
        size_t total = a->spare_used;
        while (a->chunks) {
                struct ward__arena_chunk *c = a->chunks;
                a->chunks = c->next;
                total += c->size;
                free(c);
        }
        if (total > a->spare_size && total <= SPARE_MAX) {
                struct ward__arena_chunk *c = malloc(sizeof(*c) + total);
                if (c) {
                        free(a->spare);
                        c->size = total;
                        c->next = NULL;
                        a->spare = c;
                        a->spare_size = total;
                }
        }
        a->used = 0;
        a->spare_used = 0;
}

void ward__arena_free(struct ward__arena *a)
{
        ward__arena_reset(a);
        free(a->spare);
        a->spare = NULL;
        a->spare_size = 0;
}

struct ward__arena *ward__arena_take(struct ward__arena_pool *p)
{
        struct ward__arena *a;
        if (p->depth < WARD__ARENA_POOL && p->a[p->depth]) {
                return p->a[p->depth++];
        }
        a = malloc(sizeof(*a));
        if (!a) {
                return NULL;
        }
        ward__arena_init(a);
        if (p->depth < WARD__ARENA_POOL) {
                p->a[p->depth++] = a;
        }
        return a;
}

void ward__arena_give(struct ward__arena_pool *p, struct ward__arena *a)
{
        if (!a) {
                return;
        }
        if (p->depth > 0 && p->a[p->depth - 1] == a) {
                ward__arena_reset(a);
                p->depth--;
                return;
        }
        ward__arena_free(a); /* deeper than the pool: a one-off */
        free(a);
}

void ward__arena_pool_free(struct ward__arena_pool *p)
{
        for (int i = 0; i < WARD__ARENA_POOL; i++) {
                if (p->a[i]) {
                        ward__arena_free(p->a[i]);
                        free(p->a[i]);
                        p->a[i] = NULL;
                }
        }
        p->depth = 0;
}
