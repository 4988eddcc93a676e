/* Fuzz the guardian's record check (what a worker reads of its guardian and
 * the guardian of its worker, the crash handler included): whatever the
 * bytes, an accepted record is exactly one record long, has the magic, the
 * version and a known type, and the fields its type uses are in range.
 * Seeds: one record of each type. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/guard-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__guard_msg m;
        memset(&m, 0xa5, sizeof(m));
        if (ward__guard_msg_check(data, size, &m) < 0) {
                return 0;
        }
        if (size != sizeof(m) || m.magic != WARD__GUARD_MAGIC || m.version != WARD__GUARD_VERSION ||
            m.type < WARD__GUARD_HELLO || m.type > WARD__GUARD_ACK ||
            memcmp(&m, data, sizeof(m)) != 0) {
                abort();
        }
        if (m.type == WARD__GUARD_HELLO && (m.pid <= 0 || m.start == 0)) {
                abort();
        }
        if (m.type == WARD__GUARD_CRASH &&
            (m.pid <= 0 || m.tid <= 0 || m.ucontext_addr == 0 || m.signo <= 0 || m.signo >= NSIG ||
             m.signo == SIGKILL || m.signo == SIGSTOP)) {
                abort();
        }
        return 0;
}
