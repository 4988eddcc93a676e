/* Fuzz `ward call`'s reply path: protobuf bytes from any server decoded by
 * the generic (descriptor-driven) decoder into JSON. What decodes must be
 * valid JSON that encodes again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ward/rpc-json.h>

#include "fuzz-desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const Ward__Reflect__Description *d = fuzz_description();
        uint8_t *pb;
        size_t len;
        char err[256], *json;
        if (ward_rpc_pb_to_json(d, "fuzzmsg.Outer", data, size, WARD_RPC_JSON_PRETTY, &json, err,
                                sizeof(err)) < 0) {
                return 0;
        }
        if (ward_rpc_json_to_pb(d, "fuzzmsg.Outer", json, strlen(json), &pb, &len, err,
                                sizeof(err)) < 0) {
                abort(); /* we printed JSON we cannot read back */
        }
        free(pb);
        free(json);
        return 0;
}
