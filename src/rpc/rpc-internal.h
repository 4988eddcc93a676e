/* Internals shared by the RPC client and server. */
#ifndef WARD_RPC_INTERNAL_H
#define WARD_RPC_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include <ward/rpc.h>

#include "rpc/arena.h"

/* Messages larger than this are packed straight into the connection's shared
 * pool; smaller ones go through the ring, which copies them anyway. */
#define WARD__RPC_INLINE_MAX 16384u

/* ward__rpc_peer_error: what the status a server answered (enum
 * ward_rpc_status, on the wire) means to our caller: 0 for WARD_RPC_OK, else
 * one of ward's own codes, negated (-WARD_E_*). Anything we do not know is a
 * bad message, never something that could pass for an errno. */
int ward__rpc_peer_error(int32_t s);

/* ward__rpc_resolve: ask the server at conn for the id of the service name
 * whose schema hash is hash. Returns 0 and *ret_id, or -errno (transport) or
 * -WARD_E_* (the server's answer). */
int ward__rpc_resolve(ward_ipc_conn *conn, const char *name, uint64_t hash, uint64_t timeout_ns,
                      uint32_t *ret_id);

/* ward__rpc_resolve_caps: ward__rpc_resolve offering the server the caps
 * offered (WARD__RPC_CAP_*, rpc/wire.h); *ret_caps is what of them the server
 * takes (0 from a server that knows none). */
int ward__rpc_resolve_caps(ward_ipc_conn *conn, const char *name, uint64_t hash,
                           uint64_t timeout_ns, uint32_t offered, uint32_t *ret_id,
                           uint32_t *ret_caps);

/* ward__rpc_is_oneway: is desc's output ward.NoReply? */
int ward__rpc_is_oneway(const ProtobufCMethodDescriptor *m);

/* ward__rpc_unpack: decode msg's bytes (after skip) as desc (unpack.c). The
 * bytes are read once, by a copy into private memory (the peer could change
 * them while protobuf-c reads them twice); that copy is in scratch, or in out
 * when large bytes fields of the message point into it. The message is
 * allocated in out (NULL: with malloc, for messages the caller frees itself).
 * NULL on failure. */
ProtobufCMessage *ward__rpc_unpack(const ProtobufCMessageDescriptor *desc, const ward_ipc_msg *msg,
                                   size_t skip, struct ward__arena *scratch,
                                   struct ward__arena *out);

/* ward__rpc_unpack_private: decode buf[0..len), private memory allocated in
 * out, into a message allocated in out; large top-level bytes fields point
 * into buf instead of being copied. The skeleton protobuf-c parses then is
 * allocated in scratch (which may be out). NULL on failure. */
ProtobufCMessage *ward__rpc_unpack_private(const ProtobufCMessageDescriptor *desc, uint8_t *buf,
                                           size_t len, struct ward__arena *scratch,
                                           struct ward__arena *out);

/* ward__rpc_send: pack hdr + input and send it on conn as a call (sync when
 * ret_reply, async when fn), or one-way when both are NULL. A CALL_TRACED hdr
 * is the first member of a struct ward__rpc_req, whose trace context follows
 * it on the wire (ward__rpc_body_offset). Messages above
 * WARD__RPC_INLINE_MAX are packed straight into the shared pool. Returns 0 or
 * -errno. */
struct ward__rpc_hdr;
int ward__rpc_send(ward_ipc_conn *conn, const struct ward__rpc_hdr *hdr,
                   const ProtobufCMessage *input, uint64_t timeout_ns,
                   const ward_ipc_msg **ret_reply, ward_ipc_reply_fn fn, void *arg);

/* A service a server hosts, with its schema hash. */
struct ward__hosted {
        ProtobufCService *service;
        uint64_t hash;
};

/* ward__rpc_describe_pack: the packed ward.reflect.Description of svcs[0..n)
 * into *ret (malloc'ed, the caller's) and *ret_len. Returns 0 or -ENOMEM. */
int ward__rpc_describe_pack(const struct ward__hosted *svcs, unsigned n, uint8_t **ret,
                            size_t *ret_len);

/* ward__rpc_reflect_reply: answer a REFLECT request with the description of
 * svcs[0..n) (reflect.c). */
void ward__rpc_reflect_reply(const struct ward__hosted *svcs, unsigned n, ward_ipc_conn *conn,
                             uint64_t call_id);

/* local.c: servers of this process, by address (see the file's comment);
 * loop is the server's, whose borrowers may short-circuit too. */
int ward__rpc_local_register(const char *address, ward_rpc_server *srv, const ward_loop *loop);
void ward__rpc_local_unregister(ward_rpc_server *srv);
ward_rpc_server *ward__rpc_local_find(const char *address);

/* ward__rpc_server_invoke_local: run method of the hosted service named like
 * desc (whose schema hash is hash) with input, as a remote call would: input is
 * packed and unpacked, and so is the output handed to closure. Returns 0 when
 * the handler was called (closure runs now or later), or the error that stopped
 * it, as a remote call would report it (closure not called). With give_output, the message
 * passed to closure is malloc'ed and becomes the closure's to free. */
int ward__rpc_server_invoke_local(ward_rpc_server *s, const ProtobufCServiceDescriptor *desc,
                                  uint64_t hash, unsigned method, const ProtobufCMessage *input,
                                  ProtobufCClosure closure, void *closure_data, int give_output);

/* ward__rpc_server_local_message: inside the closure a short-circuit call
 * of s is answered through, the text the handler failed it with
 * (ward_rpc_fail), else NULL. Valid while that closure runs. */
const char *ward__rpc_server_local_message(ward_rpc_server *s);

/* ward__rpc_server_loop: the loop a server runs on. */
ward_loop *ward__rpc_server_loop(ward_rpc_server *s);

#endif
