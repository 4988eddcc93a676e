/* Fuzz the RPC server's request path: header and RESOLVE checks, then unpacking
 * into the per-call arena, with bytes a client controls. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzmsg.pb-c.h"
#include "reflect.pb-c.h"
#include "rpc/arena.h"
#include "rpc/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__rpc_hdr h;
        char name[WARD__RPC_NAME_MAX + 1];
        uint64_t hash;
        if (ward__rpc_hdr_decode(data, size, &h) == 0) {
                if (h.kind == WARD__RPC_RESOLVE) {
                        uint32_t caps;
                        ward__rpc_resolve_decode(data + sizeof(h), size - sizeof(h), &hash, name,
                                                 &caps);
                } else if (h.kind == WARD__RPC_CALL_TRACED) {
                        struct ward__rpc_trace t;
                        ward__rpc_trace_decode(data, size, &t);
                }
        }
        struct ward__arena arena;
        ward__arena_init(&arena);
        ProtobufCMessage *m =
            protobuf_c_message_unpack(&fuzzmsg__outer__descriptor, &arena.alloc, size, data);
        if (m) {
                /* what was decoded must pack again */
                size_t n = protobuf_c_message_get_packed_size(m);
                uint8_t *buf = malloc(n + 1);
                protobuf_c_message_pack(m, buf);
                free(buf);
        }
        ward__arena_reset(&arena);
        /* a reflection reply, as `ward list` decodes it from any server */
        m = protobuf_c_message_unpack(&ward__reflect__description__descriptor, &arena.alloc, size,
                                      data);
        (void)m;
        ward__arena_free(&arena);
        return 0;
}
