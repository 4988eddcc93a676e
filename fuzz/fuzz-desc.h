/* The reflected description of fuzzmsg.proto, built once, for the JSON
 * fuzzers. */
#ifndef WARD_FUZZ_DESC_H
#define WARD_FUZZ_DESC_H

#include <stdlib.h>

#include "fuzzmsg.pb-c.h"
#include "reflect.pb-c.h"
#include "rpc/rpc-internal.h"

static const Ward__Reflect__Description *fuzz_description(void)
{
        static Ward__Reflect__Description *d;
        if (!d) {
                static ProtobufCService svc = {.descriptor = &fuzzmsg__fuzz__descriptor};
                struct ward__hosted h = {.service = &svc, .hash = 1};
                uint8_t *buf;
                size_t len;
                if (ward__rpc_describe_pack(&h, 1, &buf, &len) < 0) {
                        abort();
                }
                d = ward__reflect__description__unpack(NULL, len, buf);
                free(buf);
                if (!d) {
                        abort();
                }
        }
        return d;
}

#endif
