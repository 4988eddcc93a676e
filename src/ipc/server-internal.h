/* Internals of the server, shared by server.c and accept.c. */
#ifndef WARD_IPC_SERVER_INTERNAL_H
#define WARD_IPC_SERVER_INTERNAL_H

#include "core/address.h"
#include "ipc/handshake.h"
#include "ipc/ipc-internal.h"

/* A client that has connected but not finished the handshake. */
struct ward__pending {
        ward_ipc_server *srv;
        int sock;
        ward_source *io, *timer;
        struct ward__list link; /* in srv->pending */
        int busy;               /* its handshake runs (and may call authorize) */
};

struct ward_ipc_server {
        ward_loop *loop;
        pid_t owner_pid;
        int lsock;
        ward_source *lsrc;
        ward_source *retry_src; /* re-enables lsrc after running out of descriptors */
        struct ward__address addr;
        int owns_path; /* we bound addr's socket file (not inherited): unlink it at the end */
        struct ward_ipc_options opts;
        ward_ipc_msg_fn on_msg;
        void *arg;
        ward_ipc_authorize_fn auth;
        void *auth_arg;
        ward_ipc_conn_fn conn_fn;
        void *conn_arg;
        struct ward__list conns; /* ward_ipc_conn.link, past the handshake */
        int count;
        struct ward__list pending; /* struct ward__pending.link */
        int npending;
        int depth;   /* server callbacks (authorize, connection events) on the stack */
        int freeing; /* ward_ipc_server_free was called: no more events; free when idle */
};

#define WARD__PENDING_MAX 128
#define WARD__HANDSHAKE_TIMEOUT_NS 2000000000ull
#define WARD__ACCEPT_RETRY_NS 100000000ull

/* ward__ipc_options_get: in (NULL: defaults) as the options of this version,
 * the fields an older caller does not have at their defaults (ward/api.h).
 * Errors: -EINVAL. */
int ward__ipc_options_get(const struct ward_ipc_options *in, struct ward_ipc_options *out);
int ward__server_watch(ward_ipc_server *srv);
/* ward__server_drop_pending: end every handshake but one whose authorize
 * callback is on the stack (that one ends as it returns). */
void ward__server_drop_pending(ward_ipc_server *srv);
void ward__server_add_conn(ward_ipc_server *srv, ward_ipc_conn *c);
/* ward__server_leave: a server callback returned; if the server was freed
 * meanwhile and nothing of it is on the stack any more, its memory goes.
 * 1 if srv is gone. */
int ward__server_leave(ward_ipc_server *srv);

#endif
