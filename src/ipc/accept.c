/* The server's half of the handshake: accept, read one HELLO, check the peer's
 * credentials, build the shared mapping and pass it over. A client that is
 * silent, slow or wrong is dropped without a word and without stalling others. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fdpass.h"
#include "core/shm.h"
#include "ipc/server-internal.h"

static void pending_drop(struct ward__pending *p)
{
        ward__list_unlink(&p->link);
        p->srv->npending--;
        ward_source_free(p->io);
        ward_source_free(p->timer);
        if (p->sock >= 0) {
                close(p->sock);
        }
        free(p);
}

void ward__server_drop_pending(ward_ipc_server *srv)
{
        struct ward__list *n = srv->pending.next;
        while (n != &srv->pending) {
                struct ward__pending *p = ward__list_entry(n, struct ward__pending, link);
                n = n->next;
                if (!p->busy) { /* a busy one is on_hello's to drop */
                        pending_drop(p);
                }
        }
}

static void send_reject(int sock, int status)
{
        struct ward__welcome w = {.magic = WARD__HS_MAGIC,
                                  .version = WARD__HS_VERSION,
                                  .type = WARD__HS_REJECT,
                                  .status = status};
        ward__send_fds(sock, &w, sizeof(w), NULL, 0);
}

/* welcome: answer an accepted HELLO with the sealed memfd and the doorbell; on
 * success the connection owns sock. */
static int welcome(ward_ipc_server *srv, int sock, const struct ward__hello *h, ward_ipc_conn **ret)
{
        uint32_t ring = ward__clamp_ring(h->ring_bytes, srv->opts.ring_bytes);
        uint32_t pool = ward__clamp_pool(h->pool_bytes, srv->opts.pool_bytes);
        struct ward__ipc_layout lay;
        int sv[2];
        int r = ward__ipc_layout_compute(ring, pool, ring, pool, &lay);
        int memfd = r < 0 ? r : ward__memfd_new("ward-ipc", lay.total);
        if (memfd < 0) {
                return memfd;
        }
        /* the doorbell: a stream socket pair, one byte per wake-up */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
                r = -errno;
                close(memfd);
                return r;
        }
        int fds[2] = {memfd, sv[1]};
        struct ward__welcome w = {.magic = WARD__HS_MAGIC,
                                  .version = WARD__HS_VERSION,
                                  .type = WARD__HS_WELCOME,
                                  .ring_c2s = ring,
                                  .pool_c2s = pool,
                                  .ring_s2c = ring,
                                  .pool_s2c = pool,
                                  .total = lay.total};
        ward__hs_self_fill(&w.self);
        r = ward__send_fds(sock, &w, sizeof(w), fds, 2);
        if (r >= 0) {
                r = ward__conn_new(sock, memfd, sv[0], &lay, 1, &srv->opts, &h->self, ret);
        }
        close(memfd);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
        }
        return r;
}

/* authorize: the peer's credentials against the server's policy. */
static int authorize(ward_ipc_server *srv, int sock)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                return -errno;
        }
        struct ward_ipc_peer peer = {.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
        int r = srv->auth(&peer, srv->auth_arg);
        return r < 0 ? r : 0;
}

/* handshake: read and answer the HELLO. 1 done, 0 wait for more, <0 drop. */
static int handshake(struct ward__pending *p, ward_ipc_conn **ret)
{
        struct ward__hello h;
        char buf[sizeof(h) + 1];
        int nfds = 0, fds[1];
        ssize_t n = ward__recv_fds(p->sock, buf, sizeof(buf), fds, 0, &nfds, MSG_DONTWAIT);
        if (n == -EAGAIN || n == -EINTR) {
                return 0;
        }
        if (n <= 0 || ward__hello_decode(buf, (size_t)n, &h) < 0) {
                return n < 0 ? (int)n : -EPROTO;
        }
        int r = authorize(p->srv, p->sock);
        if (p->srv->freeing) {
                return -ECANCELED; /* the policy freed the server: just hang up */
        }
        if (r < 0) {
                send_reject(p->sock, r);
                return r;
        }
        r = welcome(p->srv, p->sock, &h, ret);
        if (r == -EMFILE || r == -ENFILE || r == -ENOMEM) {
                send_reject(p->sock, r); /* out of resources: say so, not just hang up */
        }
        return r < 0 ? r : 1;
}

static void on_hello(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct ward__pending *p = arg;
        ward_ipc_server *srv = p->srv;
        ward_ipc_conn *c = NULL;
        (void)s, (void)fd, (void)events;
        srv->depth++; /* authorize and the WARD_IPC_CONNECTED handler may free srv */
        p->busy = 1;
        int r = handshake(p, &c);
        p->busy = 0;
        if (r != 0) {
                if (r > 0) {
                        p->sock = -1; /* the connection owns it now */
                }
                pending_drop(p);
        }
        if (r > 0 && ward__conn_attach(c, srv->loop) < 0) {
                ward__conn_destroy(c);
        } else if (r > 0) {
                ward_ipc_conn_set_handler(c, srv->on_msg, srv->arg);
                ward__server_add_conn(srv, c);
        }
        ward__server_leave(srv);
}

static void on_handshake_timeout(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s, (void)expirations;
        pending_drop(arg);
}

static int pending_add(ward_ipc_server *srv, int sock)
{
        struct ward__pending *p = calloc(1, sizeof(*p));
        if (!p) {
                close(sock);
                return -ENOMEM;
        }
        *p = (struct ward__pending){.srv = srv, .sock = sock};
        ward__list_prepend(&srv->pending, &p->link);
        srv->npending++;
        int r = ward_loop_add_io(srv->loop, sock, EPOLLIN, on_hello, p, &p->io);
        if (r >= 0) {
                r = ward_loop_add_timer(srv->loop, WARD__HANDSHAKE_TIMEOUT_NS, 0,
                                        on_handshake_timeout, p, &p->timer);
        }
        if (r < 0) {
                pending_drop(p);
        }
        return r;
}

static void on_listen_again(ward_source *s, uint64_t expirations, void *arg)
{
        ward_ipc_server *srv = arg;
        (void)expirations;
        ward_source_set_io_events(srv->lsrc, EPOLLIN);
        srv->retry_src = ward_source_free(s);
}

/* pause_listening: out of descriptors, the listening socket stays readable;
 * rather than spin on it, look again in a while. */
static void pause_listening(ward_ipc_server *srv)
{
        if (srv->retry_src || ward_source_set_io_events(srv->lsrc, 0) < 0) {
                return;
        }
        if (ward_loop_add_timer(srv->loop, WARD__ACCEPT_RETRY_NS, 0, on_listen_again, srv,
                                &srv->retry_src) < 0) {
                ward_source_set_io_events(srv->lsrc, EPOLLIN);
        }
}

static void on_listen(ward_source *s, int fd, uint32_t events, void *arg)
{
        ward_ipc_server *srv = arg;
        (void)s, (void)events;
        for (int i = 0; i < 64; i++) {
                int sock = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (sock < 0 &&
                    (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
                        pause_listening(srv);
                        return;
                }
                if (sock < 0) {
                        return; /* EAGAIN, or a transient error: the loop calls again */
                }
                if (srv->npending >= WARD__PENDING_MAX) {
                        close(sock); /* a flood of silent clients costs them, not us */
                        continue;
                }
                pending_add(srv, sock);
        }
}

int ward__server_watch(ward_ipc_server *srv)
{
        return ward_loop_add_io(srv->loop, srv->lsock, EPOLLIN, on_listen, srv, &srv->lsrc);
}
