/* Fuzz the gRPC :path splitter (src/grpc/path.c): any bytes give either a
 * clean refusal or two names that put back together are exactly the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char svc[WARD__GRPC_NAME_MAX + 1], method[WARD__GRPC_NAME_MAX + 1];
        char back[2 * WARD__GRPC_NAME_MAX + 3];
        if (ward__grpc_split_path((const char *)data, size, svc, method) < 0) {
                if (svc[0] || method[0]) {
                        abort();
                }
                return 0;
        }
        if (!svc[0] || !method[0] || strchr(svc, '/') || strchr(method, '/')) {
                abort();
        }
        int n = snprintf(back, sizeof(back), "/%s/%s", svc, method);
        if (n < 0 || (size_t)n != size || memcmp(back, data, size) != 0) {
                abort();
        }
        return 0;
}
