/* A connection: set up from the handshake's descriptors, torn down, and its
 * small accessors. Sending, receiving and waiting live in their own files. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fdpass.h"
#include "core/pid.h"
#include "core/shm.h"
#include "ipc/handshake.h"
#include "ipc/ipc-internal.h"
#include "ipc/ipc-test-hooks.h"
#include "ipc/wake.h"

void ward_ipc_options_init(struct ward_ipc_options *o)
{
        *o = (struct ward_ipc_options){
            .size = sizeof(*o),
            .wait = WARD_IPC_WAIT_SPIN_THEN_BLOCK,
            .spin_ns = 20000,
            .ring_bytes = 256u << 10,
            .pool_bytes = 4u << 20,
            .inline_max = 16u << 10,
            .send_timeout_ns = 5000000000ull, /* finite: docs/ipc.md says why */
            .connect_timeout_ns = 5000000000ull,
        };
}

static struct ward__ipc_chan_ctl *ctl_at(void *map, size_t off)
{
        return (struct ward__ipc_chan_ctl *)(void *)((uint8_t *)map + off);
}

/* wire_rings: point our producer at one direction and our consumer at the other. */
static void wire_rings(ward_ipc_conn *c, const struct ward__ipc_layout *lay)
{
        const struct ward__ipc_chan_layout *out = c->is_server_side ? &lay->s2c : &lay->c2s;
        const struct ward__ipc_chan_layout *in = c->is_server_side ? &lay->c2s : &lay->s2c;
        uint8_t *m = c->map;
        ward__ring_tx_init(&c->tx, ctl_at(m, out->ctl_off), m + out->ring_off, out->ring_bytes);
        ward__pool_init(&c->pool, ctl_at(m, out->ctl_off), m + out->pool_off, out->pool_bytes);
        ward__ring_rx_init(&c->rx, ctl_at(m, in->ctl_off), m + in->ring_off, in->ring_bytes);
        c->rx_pool = m + in->pool_off;
        c->rx_pool_bytes = in->pool_bytes;
        if (c->opts.inline_max > c->tx.cap / 4) {
                c->opts.inline_max = c->tx.cap / 4;
        }
}

int ward__conn_new(int sock, int memfd, int wake_fd, const struct ward__ipc_layout *lay,
                   int is_server_side, const struct ward_ipc_options *opts,
                   const struct ward__hs_self *peer, ward_ipc_conn **ret)
{
        ward_ipc_conn *c = calloc(1, sizeof(*c));
        if (!c) {
                return -ENOMEM;
        }
        c->sock = sock;
        c->wake_fd = wake_fd;
        c->pidfd = -1;
        c->is_server_side = is_server_side;
        c->opts = *opts;
        c->owner_pid = ward__pid();
        c->next_id = 1;
        ward__list_init(&c->link);
        int r = ward__shm_map(memfd, lay->total, &c->map);
        if (r < 0) {
                c->sock = c->wake_fd = -1; /* the caller still owns them */
                free(c);
                return r;
        }
        c->map_len = lay->total;
        wire_rings(c, lay);
        struct ucred cred = {0};
        socklen_t sl = sizeof(cred);
        if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0) {
                c->peer = (struct ward_ipc_peer){.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
        }
        int fd = ward__peer_pidfd(c->peer.pid, peer);
        c->pidfd = fd >= 0 ? fd : -1; /* without it, the socket alone tells */
        *ret = c;
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

void ward__conn_destroy(ward_ipc_conn *c)
{
        ward__conn_detach(c);
        ward__calls_free(&c->calls);
        if (c->map) {
                munmap(c->map, c->map_len);
        }
        close_fd(&c->sock);
        close_fd(&c->wake_fd);
        close_fd(&c->pidfd);
        free(c->reply_buf);
        free(c);
}

int ward__conn_forked(ward_ipc_conn *c)
{
        return c->owner_pid != ward__pid();
}

/* peer_left: the peer closed (BYE) or vanished (EOF). What it published before
 * is already in the ring: take it first, so nothing sent before a close is lost. */
static void peer_left(ward_ipc_conn *c, int said_bye)
{
        c->peer_said_bye = said_bye;
        ward__conn_dispatch(c);
        ward__conn_fail(c, -ECONNRESET);
}

int ward__conn_read_socket(ward_ipc_conn *c)
{
        char buf[sizeof(struct ward__bye) + 1];
        int nfds = 0, fds[1];
        if (c->error) {
                return c->error;
        }
        /* maxfds 0: descriptors a peer pushes at us here are closed at once */
        ssize_t n = ward__recv_fds(c->sock, buf, sizeof(buf), fds, 0, &nfds, MSG_DONTWAIT);
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
                return 0;
        }
        if (n > 0 && ward__bye_decode(buf, (size_t)n) == 0) {
                peer_left(c, 1);
        } else if (n == 0 || (n < 0 && n != -EPROTO)) {
                peer_left(c, 0);
        } else {
                ward__conn_fail(c, -EPROTO);
        }
        return c->error;
}

void ward__conn_peer_exited(ward_ipc_conn *c)
{
        /* a BYE it sent before exiting is on the socket already: a peer that
         * closed on purpose and then exited did not crash */
        ward__conn_read_socket(c);
        if (!c->error) {
                peer_left(c, 0);
        }
}

/* One poll for both: the socket (BYE, EOF, junk) and the peer's process. */
int ward__conn_check_peer(ward_ipc_conn *c)
{
        struct pollfd p[2] = {{.fd = c->sock, .events = POLLIN},
                              {.fd = c->pidfd, .events = POLLIN}};
        if (c->error) {
                return c->error;
        }
        if (poll(p, c->pidfd >= 0 ? 2 : 1, 0) <= 0) {
                return c->error; /* nothing yet (or EINTR: look again next time) */
        }
        if (p[0].revents) {
                ward__conn_read_socket(c);
        }
        if (!c->error && c->pidfd >= 0 && p[1].revents) {
                ward__conn_peer_exited(c);
        }
        return c->error;
}

int ward__conn_drain_doorbell(ward_ipc_conn *c)
{
        char buf[256];
        for (int i = 0; i < 16; i++) {
                ssize_t n = recv(c->wake_fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        peer_left(c, 0);
                        break;
                }
                if (n < (ssize_t)sizeof(buf)) {
                        break;
                }
        }
        c->wakes = 0;
        return c->error;
}

void ward__conn_say_bye(ward_ipc_conn *c)
{
        struct ward__bye b = {
            .magic = WARD__HS_MAGIC, .version = WARD__HS_VERSION, .type = WARD__HS_BYE};
        if (!c->error && !ward__conn_forked(c)) {
                send(c->sock, &b, sizeof(b), MSG_DONTWAIT | MSG_NOSIGNAL);
        }
}

int ward_ipc_conn_get_peer(ward_ipc_conn *c, struct ward_ipc_peer *ret)
{
        if (!c || !ret) {
                return -EINVAL;
        }
        *ret = c->peer;
        return 0;
}

size_t ward_ipc_conn_get_max_len(ward_ipc_conn *c)
{
        if (!c) {
                return 0;
        }
        return c->pool.size > c->opts.inline_max ? c->pool.size : c->opts.inline_max;
}

int ward_ipc_conn_get_error(ward_ipc_conn *c)
{
        return c ? c->error : -EINVAL;
}

void ward_ipc_conn_set_userdata(ward_ipc_conn *c, void *userdata)
{
        if (c) {
                c->userdata = userdata;
        }
}

void *ward_ipc_conn_get_userdata(ward_ipc_conn *c)
{
        return c ? c->userdata : NULL;
}

ward_loop *ward_ipc_conn_get_loop(ward_ipc_conn *c)
{
        return c ? c->loop : NULL;
}

void ward_ipc_conn_set_handler(ward_ipc_conn *c, ward_ipc_msg_fn fn, void *arg)
{
        if (c) {
                c->on_msg = fn;
                c->on_msg_arg = arg;
        }
}

const void *ward_ipc_msg_data(const ward_ipc_msg *m)
{
        return m ? m->data : NULL;
}

size_t ward_ipc_msg_len(const ward_ipc_msg *m)
{
        return m ? m->len : 0;
}

uint64_t ward_ipc_msg_call_id(const ward_ipc_msg *m)
{
        return m ? m->call_id : 0;
}

int32_t ward_ipc_msg_status(const ward_ipc_msg *m)
{
        return m ? m->status : 0;
}

void *ward_ipc_buf_data(ward_ipc_buf *b)
{
        return b ? ((struct ward__slot *)(void *)b)->ptr : NULL;
}

int ward__ipc_conn_shm(ward_ipc_conn *c, void **ret_base, size_t *ret_len)
{
        if (!c || !c->map) {
                return -EINVAL;
        }
        *ret_base = c->map;
        *ret_len = c->map_len;
        return 0;
}
