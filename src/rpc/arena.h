/* A per-call arena for unpacking messages: bump allocation, released all at
 * once. An arena that is reset instead of freed keeps its largest block for the
 * next call: on a VM a fresh page costs a fault of several microseconds, and a
 * 1 MiB message would otherwise fault in 256 of them on every call. */
#ifndef WARD_RPC_ARENA_H
#define WARD_RPC_ARENA_H

#include <stdalign.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct ward__arena_chunk;

struct ward__arena {
        ProtobufCAllocator alloc; /* hand &alloc to protobuf_c_message_unpack */
        struct ward__arena_chunk *chunks;
        struct ward__arena_chunk *spare; /* kept across resets */
        size_t spare_size, spare_used;
        size_t used;
        alignas(max_align_t) char first[2048]; /* most requests fit here, without a malloc */
};

/* ward__arena_init: an empty arena; release with ward__arena_free. */
void ward__arena_init(struct ward__arena *a);
/* ward__arena_reset: forget every allocation, keeping the largest block. */
void ward__arena_reset(struct ward__arena *a);
void ward__arena_free(struct ward__arena *a);

/* A few arenas reused call after call; nested calls (a handler that calls a
 * short-circuited service) take the next one. */
#define WARD__ARENA_POOL 4
struct ward__arena_pool {
        struct ward__arena *a[WARD__ARENA_POOL];
        int depth;
};

/* ward__arena_take: an arena for one call (NULL when out of memory);
 * ward__arena_give: give it back, reset (or freed when it was a spare one). */
struct ward__arena *ward__arena_take(struct ward__arena_pool *p);
void ward__arena_give(struct ward__arena_pool *p, struct ward__arena *a);
void ward__arena_pool_free(struct ward__arena_pool *p);

#endif
