/* The RPC layer's framing inside an IPC message. A request is a header and the
 * packed protobuf input; a reply is the packed output, its ward_rpc_status in
 * the IPC reply's status. A client first RESOLVEs a service by name and schema
 * hash to the small id it then puts in every CALL. */
#ifndef WARD_RPC_WIRE_H
#define WARD_RPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WARD__RPC_MAGIC 0x43505257u /* "WRPC" */
#define WARD__RPC_NAME_MAX 256u

enum { WARD__RPC_CALL = 1, WARD__RPC_RESOLVE = 2, WARD__RPC_REFLECT = 3 };

struct ward__rpc_hdr {
        uint32_t magic;
        uint32_t kind;
        uint32_t service; /* CALL: id from RESOLVE */
        uint32_t method;  /* CALL: index in the service descriptor */
};

/* RESOLVE's body after the header: the hash, then the name (name_len bytes). */
struct ward__rpc_resolve {
        uint64_t hash;
        uint32_t name_len;
        uint32_t reserved;
};

/* ward__rpc_hdr_decode: copy and check the header of a request of len bytes.
 * Returns 0 or -EPROTO. */
int ward__rpc_hdr_decode(const void *buf, size_t len, struct ward__rpc_hdr *ret);

/* ward__rpc_resolve_decode: the hash and name of a RESOLVE body (after the
 * header); name is NUL-terminated into name_buf (WARD__RPC_NAME_MAX + 1 bytes).
 * Returns 0 or -EPROTO. */
int ward__rpc_resolve_decode(const void *body, size_t len, uint64_t *ret_hash, char *name_buf);

#endif
