/* --listen: the guardian owns the service's listening socket (a ward
 * address, as ward_ipc_server_new listens) and hands the same socket to
 * every worker it starts (WARD_LISTEN_FD, WARD_LISTEN_ADDRESS), so clients
 * connect through a restart without a refused connection: the queue of the
 * socket holds them while no worker accepts. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/address.h"
#include "inspect/guard/guardian-internal.h"

static struct ward__address listen_addr;

/* stale: a socket file at addr that nobody listens on any more */
static int stale(const struct ward__address *a)
{
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (s < 0) {
                return 0;
        }
        int r = connect(s, (const struct sockaddr *)&a->sun, a->len);
        int err = errno;
        close(s);
        return r < 0 && err == ECONNREFUSED;
}

int ward__listen_open(struct ward__guardian *g)
{
        g->listen_fd = -1;
        if (!g->o.listen) {
                return 0;
        }
        int r = ward__address_parse(g->o.listen, &listen_addr);
        if (r < 0) {
                return r;
        }
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s < 0) {
                return -errno;
        }
        r = bind(s, (const struct sockaddr *)&listen_addr.sun, listen_addr.len);
        if (r < 0 && errno == EADDRINUSE && !listen_addr.abstract && stale(&listen_addr)) {
                unlink(listen_addr.sun.sun_path);
                r = bind(s, (const struct sockaddr *)&listen_addr.sun, listen_addr.len);
        }
        if (r < 0 || listen(s, 128) < 0) {
                r = -errno;
                close(s);
                return r;
        }
        g->listen_fd = s;
        return 0;
}

void ward__listen_close(struct ward__guardian *g)
{
        if (g->listen_fd < 0) {
                return;
        }
        close(g->listen_fd);
        g->listen_fd = -1;
        if (!listen_addr.abstract) {
                unlink(listen_addr.sun.sun_path);
        }
}
