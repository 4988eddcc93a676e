/* link_open and link_close: a ward server's connection and what it hosts,
 * learned in one go (ward's reflection, then each service's id). */
#include <errno.h>
#include <stdlib.h>

#include <ward/rpc-json.h>

#include "link.h"

#define LINK_SEND_TIMEOUT_NS 1000000u /* 1 ms */

void link_close(struct link *l)
{
        l->conn = ward_ipc_conn_close(l->conn);
        if (l->desc) {
                protobuf_c_message_free_unpacked(&l->desc->base, NULL);
        }
        l->desc = NULL;
        free(l->ids);
        l->ids = NULL;
        free(l->traced);
        l->traced = NULL;
}

/* resolve_all: the id of each of l->desc's services, and whether each takes
 * trace contexts. 0 or the first error. */
static int resolve_all(struct link *l, uint64_t timeout_ns)
{
        size_t n = l->desc->n_services;
        l->ids = calloc(n + 1, sizeof(*l->ids));
        l->traced = calloc(n + 1, sizeof(*l->traced));
        if (!l->ids || !l->traced) {
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const Ward__Reflect__Service *s = l->desc->services[i];
                int r = ward_rpc_resolve_traced(l->conn, s->name, s->schema_hash, timeout_ns,
                                                &l->ids[i], &l->traced[i]);
                if (r < 0) {
                        return r;
                }
        }
        return 0;
}

int link_open(const char *address, uint64_t timeout_ns, struct link *ret)
{
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.connect_timeout_ns = timeout_ns;
        /* the gateway's sends run on its loop: a server that is alive but
         * not reading fills its ring, and then a call may wait this long for
         * room, never the default 5 s (it fails, and is answered an error) */
        o.send_timeout_ns = LINK_SEND_TIMEOUT_NS;
        *ret = (struct link){0};
        int r = ward_ipc_connect(address, &o, &ret->conn);
        if (r == 0) {
                r = ward_rpc_describe(ret->conn, timeout_ns, &ret->desc);
        }
        if (r == 0) {
                r = resolve_all(ret, timeout_ns);
        }
        if (r < 0) {
                link_close(ret);
        }
        return r;
}
