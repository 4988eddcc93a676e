/* Fuzz `ward call`'s request path: JSON text (from a user or a file) parsed and
 * encoded as fuzzmsg.Outer. Whatever encodes must decode with protobuf-c's own
 * generated decoder, and print back as JSON. */
#include <stdint.h>
#include <stdlib.h>

#include <ward/rpc-json.h>

#include "fuzz-desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const Ward__Reflect__Description *d = fuzz_description();
        uint8_t *pb;
        size_t len;
        char err[256], *json;
        if (ward_rpc_json_to_pb(d, "fuzzmsg.Outer", (const char *)data, size, &pb, &len, err,
                                sizeof(err)) < 0) {
                return 0;
        }
        ProtobufCMessage *m = protobuf_c_message_unpack(&fuzzmsg__outer__descriptor, NULL, len, pb);
        if (!m) {
                abort(); /* we wrote bytes protobuf-c rejects */
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (ward_rpc_pb_to_json(d, "fuzzmsg.Outer", pb, len, 0, &json, err, sizeof(err)) < 0) {
                abort(); /* we cannot read what we wrote */
        }
        free(json);
        free(pb);
        return 0;
}
