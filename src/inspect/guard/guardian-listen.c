/* --listen: the guardian owns the service's listening socket (a ward
 * address, made as ward_ipc_server_new makes it: core/listen.h) and hands
 * the same socket to every worker it starts (WARD_LISTEN_FD,
 * WARD_LISTEN_ADDRESS: the IPC server adopts it), so clients connect through
 * a restart without a refused connection: the socket's backlog holds them
 * while no worker accepts. */
#include <errno.h>
#include <unistd.h>

#include "core/address.h"
#include "core/listen.h"
#include "inspect/guard/guardian-internal.h"

static struct ward__address listen_addr;

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
        /* close-on-exec here; ward_proc_spawn keeps it open in each worker */
        r = ward__listen(&listen_addr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (r < 0) {
                return r;
        }
        g->listen_fd = r;
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
