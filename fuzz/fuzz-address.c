/* Fuzz the address parser: any text must give a valid sockaddr or a clean error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        struct ward__address a;
        memcpy(text, data, size);
        text[size] = '\0';
        if (ward__address_parse(text, &a) == 0 && (a.len > sizeof(a.sun) || a.len < 3)) {
                abort();
        }
        free(text);
        return 0;
}
