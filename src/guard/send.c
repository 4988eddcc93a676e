/* What a guarded worker tells its guardian while it runs: heartbeats and
 * readiness; and what it says of itself. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "guard/guard.h"

static int send_record(struct ward__guard_msg *m, int flags)
{
        if (__atomic_load_n(&ward__guard.state, __ATOMIC_ACQUIRE) != WARD_GUARD_ON ||
            ward__guard.fd < 0) {
                return -ENOTCONN;
        }
        ssize_t n = send(ward__guard.fd, m, sizeof(*m), MSG_NOSIGNAL | flags);
        if (n == (ssize_t)sizeof(*m)) {
                return 0;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return -EAGAIN;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
                return -EPIPE;
        }
        return n < 0 ? -errno : -EIO;
}

int ward_guard_heartbeat(void)
{
        int saved = errno;
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_BEAT, getpid());
        m.value = __atomic_add_fetch(&ward__guard.beat_seq, 1, __ATOMIC_RELAXED);
        int r = send_record(&m, MSG_DONTWAIT);
        errno = saved;
        return r;
}

int ward_guard_ready(void)
{
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_STARTED, getpid());
        return send_record(&m, 0);
}

int ward_guard_status(char *why, size_t n)
{
        int state = __atomic_load_n(&ward__guard.state, __ATOMIC_ACQUIRE);
        if (why && n) {
                const char *w = state == WARD_GUARD_FALLBACK ? ward__guard.why : "";
                size_t len = strnlen(w, n - 1);
                memcpy(why, w, len);
                why[len] = '\0';
        }
        return state;
}
