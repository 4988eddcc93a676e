/* Internals shared by the files of src/ipc. */
#ifndef WARD_IPC_INTERNAL_H
#define WARD_IPC_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <ward/ipc.h>
#include <ward/loop.h>

#include "core/address.h"
#include "core/list.h"
#include "ipc/calls.h"
#include "ipc/layout.h"
#include "ipc/pool.h"
#include "ipc/ring.h"

struct ward_ipc_msg {
        const void *data;
        size_t len;
        uint64_t call_id;
        int32_t status;
        int pooled;   /* data lies in the peer's pool and must be released */
        uint32_t seq; /* pool sequence number to release */
};

struct ward_ipc_buf {
        struct ward__slot slot; /* never instantiated: ward_ipc_buf * is a slot pointer */
};

struct ward_ipc_conn {
        pid_t owner_pid;
        int is_server_side;
        ward_ipc_server *srv;
        struct ward__list link; /* in the server's list; self-linked on a client */

        int sock;    /* the handshake socket: the peer's BYE and its end */
        int wake_fd; /* doorbell: a stream socket, one byte per wake-up each way */
        int pidfd;   /* the peer's process (peer.c), or -1: readable once it exited */
        int wakes;   /* wake-ups taken since the doorbell was last drained */
        void *map;
        size_t map_len;

        struct ward__ring_tx tx;
        struct ward__ring_rx rx;
        struct ward__pool pool; /* ours, for what we send */
        uint8_t *rx_pool;       /* the peer's, for what we receive */
        uint32_t rx_pool_bytes;
        uint64_t rel_head; /* our head of the peer pool's release ring */

        struct ward_ipc_options opts;
        struct ward__address addr; /* a client's: where it connected (reconnect.c) */
        uint64_t generation;       /* a client's: reconnects so far */
        int revive_explicit;       /* reconnect only by ward__ipc_revive, never inside a call */
        struct ward_ipc_peer peer;
        int peer_said_bye; /* the peer closed on purpose (BYE), not crashed */
        int error;

        ward_loop *loop;
        ward_source *sock_src, *wake_src, *poll_src, *timer_src, *fail_src, *more_src, *pid_src;
        uint64_t last_work_ns;

        ward_ipc_msg_fn on_msg;
        void *on_msg_arg;
        void *userdata;

        struct ward__calls calls;
        uint64_t next_id;

        /* the synchronous call in progress, and its reply */
        uint64_t sync_id;
        int sync_done;
        struct ward_ipc_msg reply;
        int reply_live;
        uint8_t *reply_buf;
        size_t reply_cap;

        int depth;         /* callbacks of this connection on the stack */
        int closing;       /* close requested while depth > 0 */
        int closing_by_us; /* the application closed it (not a failure) */
};

struct ward__hs_self;

/* conn.c */
/* ward__conn_new: a connection over the handshake's descriptors; peer is who
 * the peer said it is in the handshake (its process is watched if that holds). */
int ward__conn_new(int sock, int memfd, int wake_fd, const struct ward__ipc_layout *lay,
                   int is_server_side, const struct ward_ipc_options *opts,
                   const struct ward__hs_self *peer, ward_ipc_conn **ret);
void ward__conn_destroy(ward_ipc_conn *c);
void ward__conn_fail(ward_ipc_conn *c, int err);
/* ward__conn_maybe_finish: complete a requested close if no callback of c runs; 1 if c is gone. */
int ward__conn_maybe_finish(ward_ipc_conn *c);
/* ward__conn_check_peer: has the peer gone (socket EOF, BYE, its process
 * exited) or sent what it never should? Sets and returns the error, else 0. */
int ward__conn_check_peer(ward_ipc_conn *c);
/* ward__conn_peer_exited: the peer's pidfd is readable: take its BYE if it
 * said one, what it published before, and end the connection (-ECONNRESET). */
void ward__conn_peer_exited(ward_ipc_conn *c);
/* ward__conn_read_socket: take one packet from the socket: 0 none, or the
 * connection's error (BYE, EOF: after draining the ring; junk: -EPROTO). */
int ward__conn_read_socket(ward_ipc_conn *c);
/* ward__conn_drain_doorbell: read the wake-up bytes queued on the doorbell.
 * Returns 0, or the connection's error when the peer closed it. */
int ward__conn_drain_doorbell(ward_ipc_conn *c);
/* ward__conn_say_bye: tell the peer we close on purpose (best effort, never blocks). */
void ward__conn_say_bye(ward_ipc_conn *c);
int ward__conn_forked(ward_ipc_conn *c);

/* peer.c */
/* ward__peer_pidfd: a pidfd of process pid (what SO_PEERCRED reported) if it
 * is the process claim describes, else -errno (-ESRCH: not the same pid, or
 * our own; -ESTALE: another process now has that pid). */
int ward__peer_pidfd(pid_t pid, const struct ward__hs_self *claim);

/* recv.c */
int ward__conn_dispatch(ward_ipc_conn *c);
void ward__conn_release_reply(ward_ipc_conn *c);
void ward__conn_cancel_calls(ward_ipc_conn *c, int err);
int ward__conn_expire_calls(ward_ipc_conn *c, uint64_t now);

/* send.c */
int ward__conn_send(ward_ipc_conn *c, uint8_t type, uint64_t call_id, int32_t status,
                    const void *data, size_t len);
int ward__conn_send_slot(ward_ipc_conn *c, uint8_t type, uint64_t call_id, int32_t status,
                         struct ward__slot *s);

/* wait.c */
int ward__conn_wait_rx(ward_ipc_conn *c, uint64_t deadline);
typedef int (*ward__cond_fn)(ward_ipc_conn *c, const void *arg);
int ward__conn_wait_space(ward_ipc_conn *c, uint64_t deadline, ward__cond_fn has_space,
                          const void *arg);
int ward__conn_alloc(ward_ipc_conn *c, size_t len, uint64_t deadline, struct ward__slot **ret);
uint64_t ward__deadline(uint64_t timeout_ns);

/* attach.c */
int ward__conn_attach(ward_ipc_conn *c, ward_loop *loop);
void ward__conn_detach(ward_ipc_conn *c);
void ward__conn_rearm(ward_ipc_conn *c);
void ward__conn_update_timer(ward_ipc_conn *c);

/* close.c */
/* ward__conn_busy: a callback of c, or a synchronous call on it, is on the
 * stack: c must not be freed yet. */
int ward__conn_busy(const ward_ipc_conn *c);
/* ward__conn_abandon: the server that accepted busy c is being freed: c stops
 * here and is freed as the code on the stack returns (ward__conn_maybe_finish),
 * without a word to the peer (it sees the socket end, as if our process had
 * exited) and without calling back the calls still pending on it. */
void ward__conn_abandon(ward_ipc_conn *c);

/* client.c */
/* ward__ipc_dial: connect to addr and complete the handshake by deadline. */
int ward__ipc_dial(const struct ward__address *addr, const struct ward_ipc_options *o,
                   uint64_t deadline, ward_ipc_conn **ret);

/* reconnect.c: see ipc/reconnect.h */

/* server.c */
/* ward__server_conn_closed: c has finished closing: unlink it, report
 * WARD_IPC_CLOSED (unless the server is being freed) and free it; and free
 * the server too if it was waiting for its last connection. */
void ward__server_conn_closed(ward_ipc_server *srv, ward_ipc_conn *c);

#endif
