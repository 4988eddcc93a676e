/* Bump allocator behind protobuf-c's allocator interface. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#include "rpc/arena.h"

struct ward__arena_chunk {
        struct ward__arena_chunk *next;
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
        /* larger pieces get a chunk of their own: simple, and frees stay O(chunks) */
        struct ward__arena_chunk *c = malloc(sizeof(*c) + n);
        if (!c) {
                return NULL;
        }
        c->next = a->chunks;
        a->chunks = c;
        return c->data;
}

static void arena_free_one(void *data, void *p)
{
        (void)data, (void)p; /* everything goes at ward__arena_free */
}

void ward__arena_init(struct ward__arena *a)
{
        a->alloc.alloc = arena_alloc;
        a->alloc.free = arena_free_one;
        a->alloc.allocator_data = a;
        a->chunks = NULL;
        a->used = 0;
}

void ward__arena_free(struct ward__arena *a)
{
        while (a->chunks) {
                struct ward__arena_chunk *c = a->chunks;
                a->chunks = c->next;
                free(c);
        }
        a->used = 0;
}
