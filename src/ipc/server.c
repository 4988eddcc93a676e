/* The server: a listening SOCK_SEQPACKET socket on a loop, the connections it
 * has accepted, and their teardown. The handshake itself is in accept.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/address.h"
#include "core/listen.h"
#include "core/options.h"
#include "ipc/inherit.h"
#include "ipc/server-internal.h"

static int same_uid(const struct ward_ipc_peer *peer, void *arg)
{
        (void)arg;
        return peer->uid == geteuid() ? 0 : -EACCES;
}

/* open_listener: the socket a guardian or systemd handed down for address,
 * else a new one. *owns_path: 1 when we bound the unix: path ourselves (so
 * ours to unlink at the end), 0 for an inherited socket's. */
static int open_listener(const char *address, const struct ward__address *addr, int *owns_path)
{
        int fd = ward__inherit_listener(address, addr);
        *owns_path = 0;
        if (fd != -ENOENT) {
                return fd;
        }
        fd = ward__listen(addr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        *owns_path = fd >= 0 && !addr->abstract;
        return fd;
}

static int options_valid(const struct ward_ipc_options *o)
{
        return o->wait <= WARD_IPC_WAIT_SPIN && o->reconnect <= 1 && o->reserved == 0 &&
               ward__clamp_ring(o->ring_bytes, o->ring_bytes) == o->ring_bytes &&
               o->pool_bytes % WARD__IPC_POOL_ALIGN == 0 && o->pool_bytes <= WARD__IPC_POOL_MAX;
}

int ward__ipc_options_get(const struct ward_ipc_options *in, struct ward_ipc_options *out)
{
        ward_ipc_options_init(out);
        if (in && (ward__options_copy(out, sizeof(*out), in) < 0 || !options_valid(out))) {
                return -EINVAL;
        }
        return 0;
}

int ward_ipc_server_new(ward_loop *loop, const char *address, const struct ward_ipc_options *opts,
                        ward_ipc_msg_fn on_msg, void *arg, ward_ipc_server **ret)
{
        if (!loop || !ret) {
                return -EINVAL;
        }
        ward_ipc_server *srv = calloc(1, sizeof(*srv));
        if (!srv) {
                return -ENOMEM;
        }
        srv->lsock = -1;
        srv->loop = loop;
        ward__list_init(&srv->conns);
        ward__list_init(&srv->pending);
        srv->on_msg = on_msg;
        srv->arg = arg;
        srv->auth = same_uid;
        srv->owner_pid = getpid();
        int r = ward__ipc_options_get(opts, &srv->opts);
        if (r >= 0) {
                r = ward__address_parse(address, &srv->addr);
        }
        if (r >= 0) {
                r = srv->lsock = open_listener(address, &srv->addr, &srv->owns_path);
        }
        if (r >= 0) {
                r = ward__server_watch(srv);
        }
        if (r < 0) {
                ward_ipc_server_free(srv);
                return r;
        }
        *ret = srv;
        return 0;
}

/* maybe_release: the server's memory, once it was freed and no connection
 * and no callback of it is left. 1 if srv is gone. */
static int maybe_release(ward_ipc_server *srv)
{
        if (!srv->freeing || srv->depth > 0 || !ward__list_empty(&srv->conns)) {
                return 0;
        }
        free(srv);
        return 1;
}

int ward__server_leave(ward_ipc_server *srv)
{
        srv->depth--;
        return maybe_release(srv);
}

/* Freeing from inside a callback of the server or of one of its connections
 * would pull the connection (or the handshake) from under the code that runs
 * the callback. So everything no frame uses goes at once, and the rest as the
 * callbacks that use it return: a connection with a callback on the stack
 * closes like one closed by ward_ipc_conn_close() there, and the server's own
 * memory goes with the last of them (ward__server_conn_closed, on_hello). */
ward_ipc_server *ward_ipc_server_free(ward_ipc_server *srv)
{
        if (!srv || srv->freeing) {
                return NULL; /* a second call while the first waits for a callback */
        }
        srv->freeing = 1;
        srv->lsrc = ward_source_free(srv->lsrc);
        srv->retry_src = ward_source_free(srv->retry_src);
        if (srv->lsock >= 0) {
                close(srv->lsock);
                srv->lsock = -1;
                if (srv->owns_path && srv->owner_pid == getpid()) {
                        unlink(srv->addr.sun.sun_path);
                }
        }
        ward__server_drop_pending(srv);
        struct ward__list *n = srv->conns.next;
        while (n != &srv->conns) {
                ward_ipc_conn *c = ward__list_entry(n, ward_ipc_conn, link);
                n = n->next; /* c may be unlinked and gone below */
                if (ward__conn_busy(c)) {
                        ward__conn_abandon(c);
                } else {
                        ward__list_unlink(&c->link);
                        srv->count--;
                        ward__conn_destroy(c);
                }
        }
        maybe_release(srv);
        return NULL;
}

int ward_ipc_server_set_authorize(ward_ipc_server *srv, ward_ipc_authorize_fn fn, void *arg)
{
        if (!srv || !fn) {
                return -EINVAL;
        }
        srv->auth = fn;
        srv->auth_arg = arg;
        return 0;
}

int ward_ipc_server_set_conn_handler(ward_ipc_server *srv, ward_ipc_conn_fn fn, void *arg)
{
        if (!srv) {
                return -EINVAL;
        }
        srv->conn_fn = fn;
        srv->conn_arg = arg;
        return 0;
}

int ward_ipc_server_count(ward_ipc_server *srv)
{
        return srv ? srv->count : -EINVAL;
}

void ward__server_add_conn(ward_ipc_server *srv, ward_ipc_conn *c)
{
        c->srv = srv;
        ward__list_prepend(&srv->conns, &c->link);
        srv->count++;
        if (srv->conn_fn) {
                c->depth++;
                srv->conn_fn(c, WARD_IPC_CONNECTED, 0, srv->conn_arg);
                c->depth--;
                ward__conn_maybe_finish(c);
        }
}

void ward__server_conn_closed(ward_ipc_server *srv, ward_ipc_conn *c)
{
        ward__list_unlink(&c->link);
        srv->count--;
        c->srv = NULL;
        if (srv->conn_fn && !srv->freeing) {
                int why = c->peer_said_bye || c->closing_by_us ? 0 : c->error;
                srv->depth++; /* the handler may free srv: not under our feet */
                srv->conn_fn(c, WARD_IPC_CLOSED, why, srv->conn_arg);
                srv->depth--;
        }
        ward__conn_destroy(c);
        maybe_release(srv);
}
