/* The client's half of the handshake: connect, say HELLO, check everything the
 * server hands over (sizes, seals, descriptor kinds) before mapping it. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/address.h"
#include "core/fdpass.h"
#include "core/shm.h"
#include "ipc/server-internal.h"

/* wait_fd: poll fd for events until deadline. 0 ready, -ETIMEDOUT, -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
        for (;;) {
                uint64_t now = ward_now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                uint64_t ms = (deadline - now + 999999) / 1000000;
                struct pollfd p = {.fd = fd, .events = events};
                int r = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
                if (r > 0) {
                        return 0;
                }
                if (r < 0 && errno != EINTR) {
                        return -errno;
                }
        }
}

/* try_connect: one attempt. The socket, -EAGAIN (the server's backlog is full:
 * AF_UNIX never completes such a connect later, so try again), or -errno. */
static int try_connect(const struct ward__address *addr)
{
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s < 0) {
                return -errno;
        }
        if (connect(s, (const struct sockaddr *)&addr->sun, addr->len) < 0) {
                int r = errno == EINPROGRESS ? -EAGAIN : -errno;
                close(s);
                return r;
        }
        return s;
}

static int connect_socket(const struct ward__address *addr, uint64_t deadline)
{
        for (;;) {
                int s = try_connect(addr);
                if (s != -EAGAIN) {
                        return s;
                }
                if (ward_now_ns() >= deadline) {
                        return -ETIMEDOUT;
                }
                usleep(1000); /* a server busy accepting: give it a moment */
        }
}

static void close_fds(int *fds, int n)
{
        for (int i = 0; i < n; i++) {
                close(fds[i]);
        }
}

/* is_stream_socket: the doorbell must be a UNIX stream socket: we only ever
 * send to it and receive from it with MSG_DONTWAIT, which the peer cannot undo. */
static int is_stream_socket(int fd)
{
        struct stat st;
        int type = 0, domain = 0;
        socklen_t len = sizeof(type), dlen = sizeof(domain);
        return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
               getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM &&
               getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 && domain == AF_UNIX;
}

/* check_fds: exactly two descriptors: a memfd sealed against shrinking and
 * growing, of the announced size, and the doorbell socket. */
static int check_fds(const int *fds, int nfds, uint64_t total)
{
        return nfds == 2 && ward__memfd_check(fds[0], total) == 0 && is_stream_socket(fds[1])
                   ? 0
                   : -EPROTO;
}

/* exchange: send HELLO, receive and check WELCOME. */
static int exchange(int s, const struct ward_ipc_options *o, uint64_t deadline,
                    struct ward__welcome *w, int fds[WARD_FDPASS_MAX])
{
        struct ward__hello h = {.magic = WARD__HS_MAGIC,
                                .version = WARD__HS_VERSION,
                                .type = WARD__HS_HELLO,
                                .ring_bytes = o->ring_bytes,
                                .pool_bytes = o->pool_bytes};
        ward__hs_self_fill(&h.self);
        char buf[sizeof(*w) + 1];
        int nfds = 0;
        int r = ward__send_fds(s, &h, sizeof(h), NULL, 0);
        if (r < 0 || (r = wait_fd(s, POLLIN, deadline)) < 0) {
                return r == -EPIPE ? -ECONNRESET : r;
        }
        ssize_t n = ward__recv_fds(s, buf, sizeof(buf), fds, WARD_FDPASS_MAX, &nfds, MSG_DONTWAIT);
        if (n <= 0) {
                return n == 0 ? -ECONNRESET : (int)n;
        }
        r = ward__welcome_decode(buf, (size_t)n, w);
        if (r == 0) {
                r = check_fds(fds, nfds, w->total);
        }
        if (r < 0) {
                close_fds(fds, nfds);
        }
        return r;
}

int ward__ipc_dial(const struct ward__address *addr, const struct ward_ipc_options *o,
                   uint64_t deadline, ward_ipc_conn **ret)
{
        struct ward__welcome w;
        struct ward__ipc_layout lay;
        int fds[WARD_FDPASS_MAX];
        int s = connect_socket(addr, deadline);
        if (s < 0) {
                return s;
        }
        int r = exchange(s, o, deadline, &w, fds);
        if (r == 0) {
                ward__ipc_layout_compute(w.ring_c2s, w.pool_c2s, w.ring_s2c, w.pool_s2c, &lay);
                r = ward__conn_new(s, fds[0], fds[1], &lay, 0, o, &w.self, ret);
                close(fds[0]);
                if (r < 0) {
                        close(fds[1]);
                }
        }
        if (r < 0) {
                close(s);
                return r;
        }
        (*ret)->addr = *addr;
        return 0;
}

int ward_ipc_connect(const char *address, const struct ward_ipc_options *opts, ward_ipc_conn **ret)
{
        struct ward_ipc_options o;
        struct ward__address addr;
        if (!ret) {
                return -EINVAL;
        }
        int r = ward__ipc_options_get(opts, &o);
        if (r < 0 || (r = ward__address_parse(address, &addr)) < 0) {
                return r;
        }
        return ward__ipc_dial(&addr, &o, ward__deadline(o.connect_timeout_ns), ret);
}
