/* ward/ipc.h: connections between processes over shared-memory rings.
 *
 * A server listens on an address; clients connect. Set-up runs over a UNIX
 * SOCK_SEQPACKET socket: a versioned hello, the peer's credentials (SO_PEERCRED)
 * checked against the server's policy (same uid by default), then the server
 * passes a sealed memfd holding two single-producer/single-consumer rings (one
 * per direction) and two zero-copy buffer pools. After that, messages never
 * touch the socket: a sender writes into its ring and makes a syscall only when
 * the receiver sleeps (a futex wake, or a one-byte WAKE packet on the socket for
 * a receiver asleep in its event loop). The socket also says, at once, that the
 * peer has gone; so does a pidfd of the peer's process (its pid from
 * SO_PEERCRED, checked against its start time), which a child the peer forked
 * holding a copy of the socket cannot keep open.
 *
 * Addresses: "unix:/path/to/socket" (a file; the server unlinks a stale one) or
 * "@name" (Linux abstract namespace).
 *
 * Messages: requests with call ids (many in flight per connection), replies
 * carrying an application status, and one-way messages. Messages of one
 * direction arrive in the order they were sent. Payloads up to inline_max bytes
 * are copied through the ring; larger ones are copied into the sender's pool.
 * The zero-copy path (ward_ipc_buf_*) lets a sender build a payload in place in
 * shared memory; the receiver reads it where it lies.
 *
 * Nothing that comes from the peer is trusted: every length, offset and index
 * read from the shared memory or the socket is copied, then checked. A peer that
 * breaks the protocol loses its connection (-EPROTO); the other side neither
 * crashes nor hangs. Breaking it includes a reply to a call that was never made
 * or was answered already, and a record of a kind its sender may not send (a
 * reply to a one-way message). No lock is shared between processes.
 *
 * Threads: a connection and a server are owner-thread objects: use each from one
 * thread at a time (the thread that runs its loop, if it has one). Use one
 * connection per thread for parallel calls.
 *
 * Driving: a server always runs on a ward_loop. A client connection makes
 * synchronous calls without any loop; for asynchronous replies and one-way
 * messages from the server, attach it to a ward_loop. To drive ward from a
 * foreign event loop, watch ward_loop_get_fd() and call ward_loop_run_once(loop, 0).
 */
#ifndef WARD_IPC_H
#define WARD_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ward/api.h>
#include <ward/loop.h>

WARD_BEGIN_DECLS

typedef struct ward_ipc_server ward_ipc_server;
typedef struct ward_ipc_conn ward_ipc_conn;
typedef struct ward_ipc_msg ward_ipc_msg;
typedef struct ward_ipc_buf ward_ipc_buf;

/* Who the peer is, as the kernel reported it at connect time (SO_PEERCRED).
 * Our own type rather than struct ucred, which needs _GNU_SOURCE. */
struct ward_ipc_peer {
        pid_t pid;
        uid_t uid;
        gid_t gid;
};

/* How a side waits for its peer. Spinning costs a CPU: on a machine with fewer
 * cores than busy threads it steals time from the very peer it waits for. */
enum ward_ipc_wait {
        WARD_IPC_WAIT_BLOCK = 0,           /* never spin: sleep at once (futex/eventfd) */
        WARD_IPC_WAIT_SPIN_THEN_BLOCK = 1, /* spin up to spin_ns, then sleep (default) */
        WARD_IPC_WAIT_SPIN = 2,            /* never sleep; the peer never needs a syscall */
};

/* A timeout that never expires, for whoever asks for it by name (no default
 * is forever). Such a wait still ends with its answer, the peer's death or a
 * protocol error, but never for a live peer that does not answer. */
#define WARD_IPC_FOREVER UINT64_MAX

struct ward_ipc_options {
        uint32_t size;       /* sizeof(struct ward_ipc_options); set by options_init (ward/api.h) */
        uint32_t wait;       /* enum ward_ipc_wait; default SPIN_THEN_BLOCK */
        uint32_t spin_ns;    /* spin budget for SPIN_THEN_BLOCK; default 20000 */
        uint32_t ring_bytes; /* per direction, power of two, 4 KiB..64 MiB; default 256 KiB */
        uint32_t pool_bytes; /* zero-copy pool per direction, multiple of 4 KiB, 0..1 GiB;
                                default 4 MiB */
        uint32_t inline_max; /* largest payload copied through the ring; default 16 KiB,
                                at most ring_bytes / 4 */
        uint64_t send_timeout_ns;    /* how long a send may wait for space; default 5 s
                                        (WARD_IPC_FOREVER: as long as the peer lives) */
        uint64_t connect_timeout_ns; /* default 5 s */
        uint32_t reconnect;          /* a client's: 1 reconnects to the same address once the
                                        server has gone (see ward_ipc_call_flags); default 0:
                                        the connection ends with its server */
        uint32_t reserved;           /* 0 */
};

/* ward_ipc_options_init: fill o with the defaults. Thread class: any-thread. */
WARD_API void ward_ipc_options_init(struct ward_ipc_options *o);

/* Called for each request or one-way message a connection receives. m is valid
 * until the callback returns or makes a call on the same connection, whichever
 * comes first; copy what you keep. Reply now or later with
 * ward_ipc_reply(c, ward_ipc_msg_call_id(m), ...). */
typedef void (*ward_ipc_msg_fn)(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg);

enum ward_ipc_conn_event {
        WARD_IPC_CONNECTED = 1, /* a client finished the handshake */
        WARD_IPC_CLOSED = 2,    /* the connection is gone; error says why: 0 when the client
                                   closed it with ward_ipc_conn_close(), -ECONNRESET when it
                                   died or vanished, -EPROTO when it broke the protocol */
};
/* Called on connection events of a server. After WARD_IPC_CLOSED returns, c is freed. */
typedef void (*ward_ipc_conn_fn)(ward_ipc_conn *c, int event, int error, void *arg);

/* Decides whether a peer may connect: return 0 to accept, a negative errno
 * (normally -EACCES) to refuse. peer is what the kernel reported (SO_PEERCRED). */
typedef int (*ward_ipc_authorize_fn)(const struct ward_ipc_peer *peer, void *arg);

/* ward_ipc_server_new: listen on address, on loop. A listening socket of that
 * address handed down by the process that started us is adopted instead of a
 * new one: ward's guardian (`ward run --listen`: WARD_LISTEN_FD=<n> and
 * WARD_LISTEN_ADDRESS=<address>, both removed from the environment once
 * adopted) or systemd socket activation (LISTEN_PID, LISTEN_FDS, from fd 3).
 * It is checked first (a listening SOCK_SEQPACKET AF_UNIX socket bound to
 * address), and its socket file is never unlinked by this server. Clients
 * queued on it while no process accepted are served. Adopting changes the
 * environment: create such a server before other threads read it.
 * on_msg receives requests and one-way messages of every connection. opts may
 * be NULL (defaults); a client's ring and pool sizes are capped at the
 * server's.
 * Errors: -EINVAL (bad address or options), -EADDRINUSE (another server listens
 * there), -ENAMETOOLONG, -ENOMEM, -errno from socket/bind/listen, -EBADF or
 * -ENOTSOCK (WARD_LISTEN_FD names no listening socket of address).
 * Ownership: *ret belongs to the caller; ward_ipc_server_free() releases it. The
 * loop must outlive the server. Thread class: owner-thread of loop. */
WARD_API int ward_ipc_server_new(ward_loop *loop, const char *address,
                                 const struct ward_ipc_options *opts, ward_ipc_msg_fn on_msg,
                                 void *arg, ward_ipc_server **ret);

/* ward_ipc_server_free: stop listening, close every connection (their
 * WARD_IPC_CLOSED is not reported; a client sees -ECONNRESET), unlink a unix:
 * socket file. NULL-safe; returns NULL; never fails.
 * Inside a callback of this server or of one of its connections (a message
 * handler, the connection handler, the authorize policy, a reply callback),
 * it is safe, and deferred where it must be: the listening socket closes at
 * once, but the connection whose callback is running closes, and the server's
 * memory goes, when that callback returns. Until then the connection still
 * answers calls (with -ECANCELED), and calling ward_ipc_server_free again does
 * nothing. Thread class: owner-thread of the server's loop. */
WARD_API ward_ipc_server *ward_ipc_server_free(ward_ipc_server *srv);

/* ward_ipc_server_set_authorize: replace the default policy (peer uid == our
 * euid). Errors: -EINVAL (fn NULL). */
WARD_API int ward_ipc_server_set_authorize(ward_ipc_server *srv, ward_ipc_authorize_fn fn,
                                           void *arg);

/* ward_ipc_server_set_conn_handler: be told of connects and disconnects. */
WARD_API int ward_ipc_server_set_conn_handler(ward_ipc_server *srv, ward_ipc_conn_fn fn, void *arg);

/* ward_ipc_server_count: the number of connections past the handshake. */
WARD_API int ward_ipc_server_count(ward_ipc_server *srv);

/* ward_ipc_connect: connect to address and complete the handshake, waiting at
 * most opts->connect_timeout_ns. opts may be NULL.
 * Errors: -ENOENT/-ECONNREFUSED (nobody listens), -EACCES (refused by the
 * server's policy), -EPROTO (the server broke the protocol or speaks another
 * version), -ETIMEDOUT (including a backlog that stayed full), -EINVAL,
 * -ENAMETOOLONG, -ENOMEM, -EMFILE.
 * Ownership: *ret belongs to the caller; ward_ipc_conn_close() releases it.
 * Thread class: any-thread; the connection then belongs to the calling thread. */
WARD_API int ward_ipc_connect(const char *address, const struct ward_ipc_options *opts,
                              ward_ipc_conn **ret);

/* ward_ipc_conn_attach: drive a client connection by loop, so asynchronous
 * replies and one-way messages from the server are dispatched by the loop.
 * Errors: -EBUSY (already attached), -EINVAL, -ENOMEM. */
WARD_API int ward_ipc_conn_attach(ward_ipc_conn *c, ward_loop *loop);

/* ward_ipc_conn_get_loop: the loop c is attached to, or NULL. */
WARD_API ward_loop *ward_ipc_conn_get_loop(ward_ipc_conn *c);

/* ward_ipc_conn_set_handler: receive one-way messages (and requests) the peer
 * sends on this connection (a client's server pushes). Without a handler they
 * are dropped. */
WARD_API void ward_ipc_conn_set_handler(ward_ipc_conn *c, ward_ipc_msg_fn fn, void *arg);

/* ward_ipc_conn_close: close the connection. Pending asynchronous calls complete
 * with -ECANCELED. On a server's connection this drops that client (the server
 * reports WARD_IPC_CLOSED with error 0); it is safe inside a callback, and the
 * memory is reclaimed after the callback returns. NULL-safe; returns NULL. */
WARD_API ward_ipc_conn *ward_ipc_conn_close(ward_ipc_conn *c);

/* ward_ipc_conn_get_peer: the peer's pid, uid and gid as the kernel reported them
 * at connect time. Errors: -EINVAL. */
WARD_API int ward_ipc_conn_get_peer(ward_ipc_conn *c, struct ward_ipc_peer *ret);

/* ward_ipc_conn_get_max_len: the largest payload one message sent on c may
 * carry: the zero-copy pool the server granted (pool_bytes, capped by the
 * server's own; both directions have the same), or inline_max when that is
 * more. A larger send fails with -EMSGSIZE, before anything is sent. 0 for
 * NULL. */
WARD_API size_t ward_ipc_conn_get_max_len(ward_ipc_conn *c);

/* ward_ipc_conn_get_error: 0 while the connection works, else why it failed
 * (-ECONNRESET peer gone or closed, -EPROTO peer broke the protocol, ...). */
WARD_API int ward_ipc_conn_get_error(ward_ipc_conn *c);

/* ward_ipc_conn_set_userdata / get_userdata: one pointer for the application. */
WARD_API void ward_ipc_conn_set_userdata(ward_ipc_conn *c, void *userdata);
WARD_API void *ward_ipc_conn_get_userdata(ward_ipc_conn *c);

/* ward_ipc_conn_process: dispatch what has arrived, without waiting: replies to
 * asynchronous calls, messages to the handler, expired call timeouts, and the
 * peer's end (its socket or its process: then pending calls complete with the
 * error). For connections without a loop. Returns the number of messages dispatched, or
 * the connection's error (-ECONNRESET, -EPROTO). */
WARD_API int ward_ipc_conn_process(ward_ipc_conn *c);

/* ward_ipc_call: send a request and wait up to timeout_ns for its reply. On
 * success *ret_reply is the reply, valid until ward_ipc_msg_release() or the next
 * call on c; its status is ward_ipc_msg_status(). Replies to other calls and
 * other messages that arrive meanwhile are dispatched to their callbacks.
 * Errors: -ETIMEDOUT (the reply may still arrive later; it is dropped),
 * -ECONNRESET (peer gone), -EPROTO, -EMSGSIZE (len above ward_ipc_conn_get_max_len),
 * -EBUSY (called from a callback that runs inside another ward_ipc_call on the
 * same connection), -ECANCELED (a callback closed c meanwhile), -ECHILD (used
 * after fork), -EINVAL, -ENOMEM. On a connection made with options.reconnect,
 * it is ward_ipc_call_flags with no flags (below). */
WARD_API int ward_ipc_call(ward_ipc_conn *c, const void *req, size_t len, uint64_t timeout_ns,
                           const ward_ipc_msg **ret_reply);

/* Flags of ward_ipc_call_flags. */
#define WARD_IPC_CALL_IDEMPOTENT 1u /* the request may be carried out twice */

/* ward_ipc_call_flags: ward_ipc_call with flags. On a client connection made
 * with options.reconnect = 1:
 *   - whatever call or message follows the server's end first reconnects to
 *     the same address (waiting for a restarted server with a bounded back-off,
 *     within the call's timeout or connect_timeout_ns for a message); calls
 *     pending on the old connection have completed with -ECONNRESET;
 *   - a call with WARD_IPC_CALL_IDEMPOTENT whose connection ends before its
 *     reply came is sent again on a new connection, as often as needed within
 *     timeout_ns: the caller sees its reply, or -ETIMEDOUT;
 *   - a call without it ends with -ECONNRESET, as without reconnect (the
 *     server may have carried it out), and the next call reconnects.
 * A reconnect happens only where no callback of c is on the stack (a nested
 * call keeps the connection's end). Replies and messages of the old
 * connection are lost with it; the handler, the loop c is attached to and the
 * userdata stay. Errors as ward_ipc_call, -EINVAL for an unknown flag.
 * Thread class: owner-thread of c. */
WARD_API int ward_ipc_call_flags(ward_ipc_conn *c, const void *req, size_t len, uint64_t timeout_ns,
                                 unsigned flags, const ward_ipc_msg **ret_reply);

/* Receives the reply of an asynchronous call: status 0 and the reply, or a
 * negative errno (-ETIMEDOUT, -ECONNRESET, -ECANCELED) and reply NULL. reply is
 * valid until the callback returns. */
typedef void (*ward_ipc_reply_fn)(ward_ipc_conn *c, int status, const ward_ipc_msg *reply,
                                  void *arg);

/* ward_ipc_call_async: send a request; fn runs exactly once, on the connection's
 * loop or in ward_ipc_conn_process()/ward_ipc_call(). *ret_id (may be NULL) is the
 * call id. Errors as ward_ipc_call, except -ETIMEDOUT, which goes to fn. */
WARD_API int ward_ipc_call_async(ward_ipc_conn *c, const void *req, size_t len, uint64_t timeout_ns,
                                 ward_ipc_reply_fn fn, void *arg, uint64_t *ret_id);

/* ward_ipc_send: send a one-way message (no reply). Errors: -ECONNRESET, -EPROTO,
 * -EMSGSIZE, -ETIMEDOUT (no space within send_timeout_ns), -ECANCELED (a callback
 * closed c while we waited for space), -ECHILD (used after fork), -EINVAL. */
WARD_API int ward_ipc_send(ward_ipc_conn *c, const void *data, size_t len);

/* ward_ipc_reply: answer request call_id with an application status and data.
 * Errors: -EINVAL (call_id 0), -ECONNRESET, -EPROTO, -EMSGSIZE, -ETIMEDOUT,
 * -ECANCELED, -ECHILD, as ward_ipc_send. */
WARD_API int ward_ipc_reply(ward_ipc_conn *c, uint64_t call_id, int32_t status, const void *data,
                            size_t len);

/* Zero-copy. ward_ipc_buf_alloc reserves len bytes in this side's pool, waiting up
 * to timeout_ns for space (back-pressure: the pool is bounded). Write the payload
 * at ward_ipc_buf_data(), then pass the buffer to one of the *_buf senders, which
 * take it over whether they succeed or not; or give it back unsent with
 * ward_ipc_buf_free(). The receiver reads the payload in place.
 * Errors: -EMSGSIZE (len larger than the pool), -ETIMEDOUT, -ECONNRESET, -EPROTO,
 * -ECANCELED, -ECHILD, -EINVAL. The *_buf senders return what ward_ipc_call,
 * ward_ipc_call_async, ward_ipc_send and ward_ipc_reply return, and -EINVAL for a
 * buffer that is not c's or was already sent. */
WARD_API int ward_ipc_buf_alloc(ward_ipc_conn *c, size_t len, uint64_t timeout_ns,
                                ward_ipc_buf **ret);
WARD_API void *ward_ipc_buf_data(ward_ipc_buf *b);
WARD_API void ward_ipc_buf_free(ward_ipc_conn *c, ward_ipc_buf *b);
WARD_API int ward_ipc_call_buf(ward_ipc_conn *c, ward_ipc_buf *b, uint64_t timeout_ns,
                               const ward_ipc_msg **ret_reply);
WARD_API int ward_ipc_call_buf_async(ward_ipc_conn *c, ward_ipc_buf *b, uint64_t timeout_ns,
                                     ward_ipc_reply_fn fn, void *arg, uint64_t *ret_id);
WARD_API int ward_ipc_send_buf(ward_ipc_conn *c, ward_ipc_buf *b);
WARD_API int ward_ipc_reply_buf(ward_ipc_conn *c, uint64_t call_id, int32_t status,
                                ward_ipc_buf *b);

/* A received message. data points into shared memory the peer can still write:
 * treat the bytes as untrusted and read each field once. */
WARD_API const void *ward_ipc_msg_data(const ward_ipc_msg *m);
WARD_API size_t ward_ipc_msg_len(const ward_ipc_msg *m);
/* 0 for a one-way message. */
WARD_API uint64_t ward_ipc_msg_call_id(const ward_ipc_msg *m);
/* The application status of a reply (0 for requests and one-way messages). */
WARD_API int32_t ward_ipc_msg_status(const ward_ipc_msg *m);

/* ward_ipc_msg_release: give back a reply returned by ward_ipc_call (its pool
 * space returns to the peer). Optional: the next call releases it. NULL-safe. */
WARD_API void ward_ipc_msg_release(ward_ipc_conn *c, const ward_ipc_msg *m);

WARD_END_DECLS

#endif
