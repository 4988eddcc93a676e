/* Packing requests into the connection (unpack.c decodes what comes back). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc-internal.h"
#include "rpc/wire.h"
#include "ward.pb-c.h"

int ward__rpc_is_oneway(const ProtobufCMethodDescriptor *m)
{
        /* the descriptor is libward's own unless the service was built with a
         * copy of ward.proto: compare the name only then */
        const char *name = m->output ? m->output->name : NULL;
        return m->output == &ward__no_reply__descriptor ||
               (name && name[0] == 'w' && strcmp(name, "ward.NoReply") == 0);
}

/* send_packed: hand a packed buffer to the right IPC call. */
static int send_packed(ward_ipc_conn *conn, const void *buf, size_t len, uint64_t timeout_ns,
                       const ward_ipc_msg **ret_reply, ward_ipc_reply_fn fn, void *arg)
{
        if (ret_reply) {
                return ward_ipc_call(conn, buf, len, timeout_ns, ret_reply);
        }
        if (fn) {
                return ward_ipc_call_async(conn, buf, len, timeout_ns, fn, arg, NULL);
        }
        return ward_ipc_send(conn, buf, len);
}

/* send_zerocopy: send a pool buffer with the right IPC call (which takes it). */
static int send_zerocopy(ward_ipc_conn *conn, ward_ipc_buf *b, uint64_t timeout_ns,
                         const ward_ipc_msg **ret_reply, ward_ipc_reply_fn fn, void *arg)
{
        if (ret_reply) {
                return ward_ipc_call_buf(conn, b, timeout_ns, ret_reply);
        }
        if (fn) {
                return ward_ipc_call_buf_async(conn, b, timeout_ns, fn, arg, NULL);
        }
        return ward_ipc_send_buf(conn, b);
}

int ward__rpc_send(ward_ipc_conn *conn, const struct ward__rpc_hdr *hdr,
                   const ProtobufCMessage *input, uint64_t timeout_ns,
                   const ward_ipc_msg **ret_reply, ward_ipc_reply_fn fn, void *arg)
{
        size_t head = ward__rpc_body_offset(hdr->kind);
        size_t body = protobuf_c_message_get_packed_size(input);
        size_t len = head + body;
        if (len > WARD__RPC_INLINE_MAX) {
                ward_ipc_buf *b;
                int r = ward_ipc_buf_alloc(conn, len, timeout_ns, &b);
                if (r < 0) {
                        return r;
                }
                uint8_t *p = ward_ipc_buf_data(b);
                memcpy(p, hdr, head);
                protobuf_c_message_pack(input, p + head); /* packed in place */
                return send_zerocopy(conn, b, timeout_ns, ret_reply, fn, arg);
        }
        uint8_t small[1024];
        uint8_t *buf = len <= sizeof(small) ? small : malloc(len);
        if (!buf) {
                return -ENOMEM;
        }
        memcpy(buf, hdr, head);
        protobuf_c_message_pack(input, buf + head);
        int r = send_packed(conn, buf, len, timeout_ns, ret_reply, fn, arg);
        if (buf != small) {
                free(buf);
        }
        return r;
}

size_t ward_rpc_max_request(ward_ipc_conn *conn)
{
        size_t max = ward_ipc_conn_get_max_len(conn);
        return max > sizeof(struct ward__rpc_hdr) ? max - sizeof(struct ward__rpc_hdr) : 0;
}
