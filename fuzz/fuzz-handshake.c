/* Fuzz the handshake decoders with whatever a peer could put in a packet. */
#include <stdint.h>
#include <stdlib.h>

#include "ipc/handshake.h"
#include "ipc/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__hello h;
        struct ward__welcome w;
        struct ward__ipc_layout lay;
        ward__hello_decode(data, size, &h);
        if (ward__welcome_decode(data, size, &w) == 0) {
                /* an accepted WELCOME must describe a layout that really is valid */
                if (ward__ipc_layout_compute(w.ring_c2s, w.pool_c2s, w.ring_s2c, w.pool_s2c,
                                             &lay) != 0 ||
                    lay.total != w.total) {
                        abort();
                }
        }
        return 0;
}
