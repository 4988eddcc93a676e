/* What a guarded worker tells its guardian while it runs: heartbeats and
 * readiness; and what it says of itself. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "guard/guard.h"
#include <ward/time.h>

static int send_errno(int e)
{
        if (e == EAGAIN || e == EWOULDBLOCK) {
                return -EAGAIN;
        }
        return e == EPIPE || e == ECONNRESET ? -EPIPE : -e;
}

int ward__guard_send_within(int fd, const struct ward__guard_msg *m, uint64_t timeout_ns)
{
        uint64_t deadline = ward_now_ns() + timeout_ns;
        for (;;) {
                ssize_t n = send(fd, m, sizeof(*m), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n == (ssize_t)sizeof(*m)) {
                        return 0;
                }
                if (n >= 0) {
                        return -EIO;
                }
                if (errno == EINTR) {
                        continue;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                        return send_errno(errno);
                }
                uint64_t now = ward_now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                uint64_t ms = (deadline - now + 999999) / 1000000;
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, ms > 60000 ? 60000 : (int)ms) < 0 && errno != EINTR) {
                        return -errno;
                }
        }
}

static int guarded_fd(void)
{
        if (__atomic_load_n(&ward__guard.state, __ATOMIC_ACQUIRE) != WARD_GUARD_ON) {
                return -ENOTCONN;
        }
        if (ward__guard.fd < 0 || getpid() != ward__guard.pid) {
                return -ENOTCONN; /* none, or a child forked from the worker */
        }
        if (!ward__guard_file_same(ward__guard.fd, &ward__guard.fd_file)) {
                return -ENOTCONN; /* the program closed it; the number is another file's now */
        }
        return ward__guard.fd;
}

int ward_guard_heartbeat(void)
{
        int saved = errno;
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_BEAT, getpid());
        m.value = __atomic_add_fetch(&ward__guard.beat_seq, 1, __ATOMIC_RELAXED);
        int fd = guarded_fd();
        int r = fd < 0 ? fd : ward__guard_send_within(fd, &m, 0);
        errno = saved;
        return r == -ETIMEDOUT ? -EAGAIN : r;
}

int ward_guard_ready(void)
{
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_STARTED, getpid());
        int fd = guarded_fd();
        return fd < 0 ? fd : ward__guard_send_within(fd, &m, ward__guard.send_timeout_ns);
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

int ward__guard_wait_readable(int fd, uint64_t deadline)
{
        for (;;) {
                uint64_t now = ward_now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                uint64_t ms = (deadline - now + 999999) / 1000000;
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int n = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
                if (n < 0 && errno != EINTR) {
                        return -errno;
                }
                if (n > 0 && (p.revents & POLLIN)) {
                        return 0;
                }
                if (n > 0) {
                        return -EPIPE; /* HUP or ERR without data */
                }
        }
}
