/* RESOLVE: a service's name and schema hash in, its id at the server out. */
#include <string.h>

#include "rpc/rpc-internal.h"
#include "rpc/wire.h"

int ward__rpc_peer_error(int32_t s)
{
        switch (s) {
        case WARD_RPC_OK:
                return 0;
        case WARD_RPC_UNKNOWN_SERVICE:
        case WARD_RPC_UNKNOWN_METHOD:
        case WARD_RPC_BAD_MESSAGE:
        case WARD_RPC_HANDLER_ERROR:
        case WARD_RPC_SCHEMA_MISMATCH:
        case WARD_RPC_SERVER_ERROR:
        case WARD_RPC_REPLY_TOO_LARGE:
                return -(WARD_E_RPC + s);
        default:
                return -WARD_E_BAD_MESSAGE;
        }
}

int ward__rpc_resolve(ward_ipc_conn *conn, const char *name, uint64_t hash, uint64_t timeout_ns,
                      uint32_t *ret_id)
{
        uint32_t caps;
        return ward__rpc_resolve_caps(conn, name, hash, timeout_ns, 0, ret_id, &caps);
}

/* take_answer: the id (4 bytes), or the id and the server's caps (8 bytes)
 * when we offered some. */
static int take_answer(const ward_ipc_msg *reply, uint32_t offered, uint32_t *ret_id,
                       uint32_t *ret_caps)
{
        struct ward__rpc_resolved r = {0};
        size_t len = ward_ipc_msg_len(reply);
        if (len != sizeof(r.id) && !(offered && len == sizeof(r))) {
                return -WARD_E_BAD_MESSAGE;
        }
        memcpy(&r, ward_ipc_msg_data(reply), len);
        *ret_id = r.id;
        *ret_caps = r.caps & offered;
        return 0;
}

int ward__rpc_resolve_caps(ward_ipc_conn *conn, const char *name, uint64_t hash,
                           uint64_t timeout_ns, uint32_t offered, uint32_t *ret_id,
                           uint32_t *ret_caps)
{
        size_t nlen = strlen(name);
        struct ward__rpc_hdr h = {.magic = WARD__RPC_MAGIC, .kind = WARD__RPC_RESOLVE};
        struct ward__rpc_resolve r = {.hash = hash, .name_len = (uint32_t)nlen, .caps = offered};
        uint8_t buf[sizeof(h) + sizeof(r) + WARD__RPC_NAME_MAX];
        const ward_ipc_msg *reply;
        *ret_caps = 0;
        if (nlen > WARD__RPC_NAME_MAX) {
                return -WARD_E_UNKNOWN_SERVICE;
        }
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), &r, sizeof(r));
        memcpy(buf + sizeof(h) + sizeof(r), name, nlen);
        int e = ward_ipc_call(conn, buf, sizeof(h) + sizeof(r) + nlen, timeout_ns, &reply);
        if (e < 0) {
                return e;
        }
        e = ward__rpc_peer_error(ward_ipc_msg_status(reply));
        if (e == 0) {
                e = take_answer(reply, offered, ret_id, ret_caps);
        }
        ward_ipc_msg_release(conn, reply);
        return e;
}
