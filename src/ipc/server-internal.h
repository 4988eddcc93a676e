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
        struct ward__pending *next, *prev;
};

struct ward_ipc_server {
        ward_loop *loop;
        pid_t owner_pid;
        int lsock;
        ward_source *lsrc;
        ward_source *retry_src; /* re-enables lsrc after running out of descriptors */
        struct ward__address addr;
        struct ward_ipc_options opts;
        ward_ipc_msg_fn on_msg;
        void *arg;
        ward_ipc_authorize_fn auth;
        void *auth_arg;
        ward_ipc_conn_fn conn_fn;
        void *conn_arg;
        ward_ipc_conn *conns;
        int count;
        struct ward__pending *pending;
        int npending;
        int freeing;
};

#define WARD__PENDING_MAX 128
#define WARD__HANDSHAKE_TIMEOUT_NS 2000000000ull
#define WARD__ACCEPT_RETRY_NS 100000000ull

int ward__ipc_options_get(const struct ward_ipc_options *in, struct ward_ipc_options *out);
int ward__server_watch(ward_ipc_server *srv);
void ward__server_drop_pending(ward_ipc_server *srv);
void ward__server_add_conn(ward_ipc_server *srv, ward_ipc_conn *c);

#endif
