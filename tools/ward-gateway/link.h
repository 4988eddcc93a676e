/* A gateway's link to one ward server: its connection and what it hosts. */
#ifndef WARD_GATEWAY_LINK_H
#define WARD_GATEWAY_LINK_H

#include <stdint.h>

#include <ward/ward.h>

#include "reflect.pb-c.h"

/* What calls to one ward server need: the connection, the server's
 * description (ward_rpc_describe), and for each of its services the id the
 * server gave it and whether it takes trace contexts. All NULL, or all set. */
struct link {
        ward_ipc_conn *conn;
        Ward__Reflect__Description *desc;
        uint32_t *ids; /* the server's id of each of desc's services */
        int *traced;   /* whether the server takes trace contexts for it */
};

/* link_open: connect to address, ask what it hosts and resolve each of its
 * services; each step waits at most timeout_ns (with a live server that
 * does not answer, the whole takes up to (2 + services) * timeout_ns). The
 * connection is not attached to any loop: the caller attaches it
 * (ward_ipc_conn_attach) on the thread that will use it. Returns 0 and
 * *ret, or -errno of ward_ipc_connect / ward_rpc_describe /
 * ward_rpc_resolve_traced, -WARD_E_* (the server's answer), -ENOMEM, with
 * *ret all NULL. Ownership: *ret is the caller's (link_close).
 * Thread class: any-thread; the link then belongs to the calling thread
 * until it hands it over whole. */
int link_open(const char *address, uint64_t timeout_ns, struct link *ret);

/* link_close: close the connection (its calls in flight end -ECANCELED)
 * and free the rest; l is all NULL after. NULL members are fine.
 * Thread class: the link's owner. */
void link_close(struct link *l);

#endif
