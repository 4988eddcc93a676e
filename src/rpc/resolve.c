/* RESOLVE: a service's name and schema hash in, its id at the server out. */
#include <string.h>

#include "rpc/rpc-internal.h"
#include "rpc/wire.h"

int ward__rpc_peer_status(int32_t s)
{
        return s >= WARD_RPC_OK && s <= WARD_RPC_TRANSPORT_ERROR ? s : WARD_RPC_BAD_MESSAGE;
}

int ward__rpc_resolve(ward_ipc_conn *conn, const char *name, uint64_t hash, uint64_t timeout_ns,
                      uint32_t *ret_id)
{
        size_t nlen = strlen(name);
        struct ward__rpc_hdr h = {.magic = WARD__RPC_MAGIC, .kind = WARD__RPC_RESOLVE};
        struct ward__rpc_resolve r = {.hash = hash, .name_len = (uint32_t)nlen};
        uint8_t buf[sizeof(h) + sizeof(r) + WARD__RPC_NAME_MAX];
        const ward_ipc_msg *reply;
        if (nlen > WARD__RPC_NAME_MAX) {
                return WARD_RPC_UNKNOWN_SERVICE;
        }
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), &r, sizeof(r));
        memcpy(buf + sizeof(h) + sizeof(r), name, nlen);
        int e = ward_ipc_call(conn, buf, sizeof(h) + sizeof(r) + nlen, timeout_ns, &reply);
        if (e < 0) {
                return ward__rpc_status_of(e);
        }
        int status = ward__rpc_peer_status(ward_ipc_msg_status(reply));
        if (status == WARD_RPC_OK && ward_ipc_msg_len(reply) == sizeof(uint32_t)) {
                memcpy(ret_id, ward_ipc_msg_data(reply), sizeof(uint32_t));
        } else if (status == WARD_RPC_OK) {
                status = WARD_RPC_BAD_MESSAGE;
        }
        ward_ipc_msg_release(conn, reply);
        return status;
}
