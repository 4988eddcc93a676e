/* The worker's half of the handshake: HELLO with the kernel-checked
 * credentials, then READY within a deadline. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "core/procstat.h"
#include "guard/guard.h"
#include <ward/time.h>

static int send_hello(int fd, uint64_t heartbeat_ns)
{
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_HELLO, getpid());
        int r = ward__proc_stat(0, NULL, &m.start);
        if (r < 0) {
                return r;
        }
        m.value = heartbeat_ns;
        struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
        union {
                char buf[CMSG_SPACE(sizeof(struct ucred))];
                struct cmsghdr align;
        } c;
        memset(&c, 0, sizeof(c));
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = c.buf,
                            .msg_controllen = sizeof(c.buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_CREDENTIALS;
        cm->cmsg_len = CMSG_LEN(sizeof(cred));
        memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
        if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
                return errno ? -errno : -EIO;
        }
        return 0;
}

static int recv_ready(int fd, uint64_t deadline, struct ward__guard_msg *ret)
{
        int r = ward__guard_wait_readable(fd, deadline);
        if (r < 0) {
                return r;
        }
        char buf[sizeof(struct ward__guard_msg) + 1];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
                return -errno;
        }
        if (n == 0) {
                return -EPIPE;
        }
        r = ward__guard_msg_check(buf, (size_t)n, ret);
        if (r < 0) {
                return r;
        }
        return ret->type == WARD__GUARD_READY ? 0 : -EPROTO;
}

int ward__guard_handshake(int fd, uint64_t heartbeat_ns, uint64_t timeout_ns,
                          uint64_t *ret_deadline, char *why, size_t n)
{
        uint64_t deadline = ward_now_ns() + timeout_ns;
        int r = send_hello(fd, heartbeat_ns);
        if (r < 0) {
                snprintf(why, n, "the guardian's socket refused HELLO: %s", strerror(-r));
                return r;
        }
        struct ward__guard_msg m;
        r = recv_ready(fd, deadline, &m);
        if (r == -ETIMEDOUT) {
                snprintf(why, n, "no READY from the guardian within %llu ms",
                         (unsigned long long)(timeout_ns / 1000000));
        } else if (r == -EPIPE || r == -ECONNRESET) {
                snprintf(why, n, "the guardian closed its socket before READY");
        } else if (r < 0) {
                snprintf(why, n, "the guardian's answer to HELLO is not READY: %s", strerror(-r));
        } else {
                *ret_deadline = m.value;
        }
        return r;
}
