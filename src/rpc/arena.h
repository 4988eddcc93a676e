/* A per-call arena for unpacking messages: bump allocation, freed all at once. */
#ifndef WARD_RPC_ARENA_H
#define WARD_RPC_ARENA_H

#include <stdalign.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct ward__arena_chunk;

struct ward__arena {
        ProtobufCAllocator alloc; /* hand &alloc to protobuf_c_message_unpack */
        struct ward__arena_chunk *chunks;
        alignas(max_align_t) char first[2048]; /* most requests fit here, without a malloc */
        size_t used;
};

/* ward__arena_init: an empty arena; free with ward__arena_free. */
void ward__arena_init(struct ward__arena *a);
void ward__arena_free(struct ward__arena *a);

#endif
