/* Fuzz the W3C traceparent parser (src/grpc/traceparent.c): any bytes give
 * either a clean refusal (all-zero output) or ids that, formatted back, are
 * exactly the input. And the tracestate check: what it lets pass is 1..512
 * printable ASCII bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/traceparent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__traceparent tp;
        char back[WARD__TRACEPARENT_LEN + 1];
        if (ward__tracestate_check((const char *)data, size) == 0) {
                if (size == 0 || size > WARD__TRACESTATE_MAX) {
                        abort();
                }
                for (size_t i = 0; i < size; i++) {
                        if (data[i] < 0x20 || data[i] > 0x7e) {
                                abort();
                        }
                }
        }
        if (ward__traceparent_parse((const char *)data, size, &tp) < 0) {
                if (tp.trace_hi || tp.trace_lo || tp.span || tp.flags) {
                        abort();
                }
                return 0;
        }
        if ((!tp.trace_hi && !tp.trace_lo) || !tp.span) {
                abort();
        }
        ward__traceparent_format(&tp, back);
        if (size != WARD__TRACEPARENT_LEN || memcmp(back, data, size) != 0) {
                abort();
        }
        return 0;
}
