/* Reconnecting a client connection in place: the application keeps its
 * ward_ipc_conn pointer, and the channel beneath (socket, doorbell, pidfd,
 * shared rings and pools) is replaced by a new connection's. */
#include <errno.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc-internal.h"
#include "ipc/reconnect.h"

#define BACKOFF_FIRST_NS 1000000ull /* 1 ms */
#define BACKOFF_MAX_NS 100000000ull /* 100 ms */

static void close_fd(int *fd)
{
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

/* take_channel: move n's channel into c, whose own has ended, and free n. */
static void take_channel(ward_ipc_conn *c, ward_ipc_conn *n)
{
        ward__conn_release_reply(c);
        if (c->map) {
                munmap(c->map, c->map_len);
        }
        close_fd(&c->sock);
        close_fd(&c->wake_fd);
        close_fd(&c->pidfd);
        ward__calls_free(&c->calls);
        c->sock = n->sock;
        c->wake_fd = n->wake_fd;
        c->pidfd = n->pidfd;
        c->wakes = 0;
        c->map = n->map;
        c->map_len = n->map_len;
        c->tx = n->tx;
        c->rx = n->rx;
        c->pool = n->pool;
        c->rx_pool = n->rx_pool;
        c->rx_pool_bytes = n->rx_pool_bytes;
        c->rel_head = n->rel_head;
        c->opts = n->opts;
        c->peer = n->peer;
        c->peer_said_bye = 0;
        c->error = 0;
        c->generation++;
        n->sock = n->wake_fd = n->pidfd = -1;
        n->map = NULL;
        ward__conn_destroy(n);
}

/* worth_retrying: a dial that failed so may work once the server is back. */
static int worth_retrying(int r)
{
        return r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET || r == -EAGAIN ||
               r == -ETIMEDOUT;
}

static void pause_ns(uint64_t ns)
{
        struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                              .tv_nsec = (long)(ns % 1000000000ull)};
        nanosleep(&ts, NULL);
}

/* dial_again: a new connection to c's address by deadline, each attempt
 * bounded by connect_timeout_ns too, with back-off between failures. */
static int dial_again(ward_ipc_conn *c, uint64_t deadline, ward_ipc_conn **ret)
{
        uint64_t wait = BACKOFF_FIRST_NS;
        for (;;) {
                uint64_t now = ward_now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                uint64_t until = ward__deadline(c->opts.connect_timeout_ns);
                int r =
                    ward__ipc_dial(&c->addr, &c->opts, until < deadline ? until : deadline, ret);
                if (r == 0 || !worth_retrying(r)) {
                        return r;
                }
                now = ward_now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                pause_ns(deadline - now < wait ? deadline - now : wait);
                wait = wait * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : wait * 2;
        }
}

int ward__ipc_revive(ward_ipc_conn *c, uint64_t deadline)
{
        if (!c) {
                return -EINVAL;
        }
        if (ward__conn_forked(c)) {
                return -ECHILD;
        }
        if (c->closing) {
                return -ECANCELED;
        }
        if (c->error != -ECONNRESET || !c->opts.reconnect || c->is_server_side ||
            ward__conn_busy(c)) {
                return c->error;
        }
        ward_loop *loop = c->loop;
        c->depth++; /* the calls of the old connection end first; their callbacks may close c */
        ward__conn_cancel_calls(c, c->error);
        c->depth--;
        if (ward__conn_maybe_finish(c)) {
                return -ECANCELED;
        }
        ward_ipc_conn *n;
        int r = dial_again(c, deadline, &n);
        if (r < 0) {
                return r;
        }
        if (loop) {
                ward__conn_detach(c);
        }
        take_channel(c, n);
        if (loop && (r = ward__conn_attach(c, loop)) < 0) {
                c->error = r; /* no loop can drive it: fail as a dead one */
        }
        return r;
}

void ward__ipc_revive_explicitly(ward_ipc_conn *c)
{
        if (c) {
                c->revive_explicit = 1;
        }
}

uint64_t ward__ipc_generation(ward_ipc_conn *c)
{
        return c ? c->generation : 0;
}
