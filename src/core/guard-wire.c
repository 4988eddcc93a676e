/* Checking a guardian record before any field of it is used. */
#include "core/guard-wire.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

struct ward__guard_msg ward__guard_msg_make(enum ward__guard_type t, int32_t pid)
{
        return (struct ward__guard_msg){.magic = WARD__GUARD_MAGIC,
                                        .version = WARD__GUARD_VERSION,
                                        .type = (uint16_t)t,
                                        .pid = pid};
}

static int fields_check(const struct ward__guard_msg *m)
{
        switch (m->type) {
        case WARD__GUARD_HELLO:
                return m->pid > 0 && m->start != 0 ? 0 : -EINVAL;
        case WARD__GUARD_CRASH:
                if (m->pid <= 0 || m->tid <= 0 || m->ucontext_addr == 0) {
                        return -EINVAL;
                }
                if (m->signo <= 0 || m->signo >= NSIG || m->signo == SIGKILL ||
                    m->signo == SIGSTOP) {
                        return -EINVAL;
                }
                return 0;
        case WARD__GUARD_READY:
        case WARD__GUARD_STARTED:
        case WARD__GUARD_BEAT:
        case WARD__GUARD_ACK:
                return 0;
        default:
                return -EPROTO;
        }
}

int ward__guard_msg_check(const void *buf, size_t len, struct ward__guard_msg *ret)
{
        struct ward__guard_msg m;
        if (buf == NULL || len != sizeof(m)) {
                return -EPROTO;
        }
        memcpy(&m, buf, sizeof(m));
        if (m.magic != WARD__GUARD_MAGIC) {
                return -EPROTO;
        }
        if (m.version != WARD__GUARD_VERSION) {
                return -EPROTONOSUPPORT;
        }
        int r = fields_check(&m);
        if (r < 0) {
                return r;
        }
        *ret = m;
        return 0;
}
