/* Checks of the RPC framing: everything here comes from another process. */
#include <errno.h>
#include <string.h>

#include "rpc/wire.h"

int ward__rpc_hdr_decode(const void *buf, size_t len, struct ward__rpc_hdr *ret)
{
        struct ward__rpc_hdr h;
        if (len < sizeof(h)) {
                return -EPROTO;
        }
        memcpy(&h, buf, sizeof(h));
        if (h.magic != WARD__RPC_MAGIC || h.kind < WARD__RPC_CALL ||
            h.kind > WARD__RPC_CALL_TRACED) {
                return -EPROTO;
        }
        *ret = h;
        return 0;
}

int ward__rpc_resolve_decode(const void *body, size_t len, uint64_t *ret_hash, char *name_buf,
                             uint32_t *ret_caps)
{
        struct ward__rpc_resolve r;
        if (len < sizeof(r)) {
                return -EPROTO;
        }
        memcpy(&r, body, sizeof(r));
        if (r.name_len == 0 || r.name_len > WARD__RPC_NAME_MAX || r.name_len != len - sizeof(r)) {
                return -EPROTO;
        }
        memcpy(name_buf, (const char *)body + sizeof(r), r.name_len);
        name_buf[r.name_len] = '\0';
        if (strlen(name_buf) != r.name_len) {
                return -EPROTO; /* an embedded NUL */
        }
        *ret_hash = r.hash;
        *ret_caps = r.caps;
        return 0;
}

int ward__rpc_trace_decode(const void *buf, size_t len, struct ward__rpc_trace *ret)
{
        if (len < sizeof(struct ward__rpc_hdr) + sizeof(*ret)) {
                return -EPROTO;
        }
        memcpy(ret, (const char *)buf + sizeof(struct ward__rpc_hdr), sizeof(*ret));
        return 0;
}
