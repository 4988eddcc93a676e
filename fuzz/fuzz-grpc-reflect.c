/* Fuzz gRPC server reflection (src/grpc/reflection.c): any request bytes
 * give a response that decodes, never a crash, from a small description
 * with two packages, a oneof and an enum, next to a description a peer
 * sent (ward gateway learns what it serves from its --to peers) when the
 * input starts with 0xff (never a request's first byte: wire type 7): two
 * bytes of that description's length, its bytes, then the request. */
#include <stdint.h>
#include <stdlib.h>

#include "grpc/reflection.h"
#include "reflection.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Ward__Reflect__Field fx = {
    PROTOBUF_C_MESSAGE_INIT(&ward__reflect__field__descriptor), "x", 1, "none", "int64", "", 0, 0};
static Ward__Reflect__Field fy = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__field__descriptor),
                                  "y",
                                  2,
                                  "none",
                                  "message",
                                  "g.B",
                                  1,
                                  40};
static Ward__Reflect__Field fz = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__field__descriptor),
                                  "z",
                                  3,
                                  "repeated",
                                  "enum",
                                  "f.E",
                                  1,
                                  40};
static Ward__Reflect__Field *fields[] = {&fx, &fy, &fz};
static Ward__Reflect__Message ma = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__message__descriptor),
                                    "f.A", 3, fields};
static Ward__Reflect__Message mb = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__message__descriptor),
                                    "g.B", 0, NULL};
static Ward__Reflect__Message *messages[] = {&ma, &mb};
static Ward__Reflect__EnumValue v0 = {
    PROTOBUF_C_MESSAGE_INIT(&ward__reflect__enum_value__descriptor), "ZERO", 0};
static Ward__Reflect__EnumValue *values[] = {&v0};
static Ward__Reflect__Enum e = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__enum__descriptor), "f.E", 1,
                                values};
static Ward__Reflect__Enum *enums[] = {&e};
static Ward__Reflect__Method m = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__method__descriptor), "M",
                                  "f.A", "g.B", 0};
static Ward__Reflect__Method *methods[] = {&m};
static Ward__Reflect__Service s = {PROTOBUF_C_MESSAGE_INIT(&ward__reflect__service__descriptor),
                                   "f.S", 1, methods, 42};
static Ward__Reflect__Service *services[] = {&s};
static Ward__Reflect__Description d = {
    PROTOBUF_C_MESSAGE_INIT(&ward__reflect__description__descriptor),
    1,
    services,
    2,
    messages,
    1,
    enums};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t skip = 0, peer_len = 0;
        if (size >= 3 && data[0] == 0xff) {
                peer_len = (size_t)data[1] << 8 | data[2];
                peer_len = peer_len > size - 3 ? size - 3 : peer_len;
                skip = 3 + peer_len;
        }
        Ward__Reflect__Description *peer =
            skip ? ward__reflect__description__unpack(NULL, peer_len, data + 3) : NULL;
        const Ward__Reflect__Description *ds[] = {&d, peer ? peer : &d};
        uint8_t *out;
        size_t len;
        int r = ward__grpc_reflect(ds, 2, data + skip, size - skip, &out, &len);
        if (peer) {
                ward__reflect__description__free_unpacked(peer, NULL);
        }
        if (r < 0) {
                return 0; /* no memory */
        }
        Grpc__Reflection__V1alpha__ServerReflectionResponse *resp =
            grpc__reflection__v1alpha__server_reflection_response__unpack(NULL, len, out);
        if (!resp) {
                abort();
        }
        grpc__reflection__v1alpha__server_reflection_response__free_unpacked(resp, NULL);
        free(out);
        return 0;
}
