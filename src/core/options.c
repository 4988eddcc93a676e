/* Options structs of any version: see options.h and ward/api.h. */
#include <errno.h>
#include <string.h>

#include "core/options.h"

int ward__options_copy(void *out, size_t out_size, const void *in)
{
        uint32_t size;
        memcpy(&size, in, sizeof(size));
        if (size < sizeof(size) || size > WARD__OPTIONS_SIZE_MAX) {
                return -EINVAL;
        }
        const unsigned char *extra = (const unsigned char *)in + out_size;
        for (size_t i = out_size; i < size; i++) {
                if (extra[i - out_size]) {
                        return -EINVAL; /* an option this library cannot honour */
                }
        }
        memcpy(out, in, size < out_size ? size : out_size);
        uint32_t ours = (uint32_t)out_size;
        memcpy(out, &ours, sizeof(ours));
        return 0;
}
