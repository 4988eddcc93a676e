/* The RPC layer's framing inside an IPC message. A request is a header and the
 * packed protobuf input; a reply is the packed output, its ward_rpc_status in
 * the IPC reply's status. A client first RESOLVEs a service by name and schema
 * hash to the small id it then puts in every CALL.
 *
 * Trace context: a CALL_TRACED is a CALL whose header is followed by a
 * struct ward__rpc_trace (then the input). A client sends it only to a server
 * that said it takes it: the client offers WARD__RPC_CAP_TRACE in RESOLVE's
 * caps (a field servers before it ignored), a server that knows it answers
 * its caps after the id (8 bytes instead of 4; clients before it never offer
 * it, so never see 8). Old clients and old servers keep working unchanged. */
#ifndef WARD_RPC_WIRE_H
#define WARD_RPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WARD__RPC_MAGIC 0x43505257u /* "WRPC" */
#define WARD__RPC_NAME_MAX 256u

enum {
        WARD__RPC_CALL = 1,
        WARD__RPC_RESOLVE = 2,
        WARD__RPC_REFLECT = 3,
        WARD__RPC_CALL_TRACED = 4,
};

/* RESOLVE caps, and the server's answer. */
#define WARD__RPC_CAP_TRACE 1u /* takes CALL_TRACED */

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
        uint32_t caps; /* WARD__RPC_CAP_*; 0 from clients before trace contexts */
};

/* RESOLVE's answer to a client that offered caps: the id, then the server's caps. */
struct ward__rpc_resolved {
        uint32_t id;
        uint32_t caps;
};

/* A CALL_TRACED's trace context, after the header: the caller's span. */
struct ward__rpc_trace {
        uint64_t trace_hi, trace_lo; /* the 128-bit trace id (0: none) */
        uint64_t span;               /* the calling span, parent of the handler's */
        uint64_t reserved;
};

/* A request's header with its trace context (used for CALL_TRACED). */
struct ward__rpc_req {
        struct ward__rpc_hdr hdr;
        struct ward__rpc_trace trace;
};

/* ward__rpc_hdr_decode: copy and check the header of a request of len bytes.
 * Returns 0 or -EPROTO. */
int ward__rpc_hdr_decode(const void *buf, size_t len, struct ward__rpc_hdr *ret);

/* ward__rpc_resolve_decode: the hash, name and caps of a RESOLVE body (after
 * the header); name is NUL-terminated into name_buf (WARD__RPC_NAME_MAX + 1
 * bytes). Returns 0 or -EPROTO. */
int ward__rpc_resolve_decode(const void *body, size_t len, uint64_t *ret_hash, char *name_buf,
                             uint32_t *ret_caps);

/* ward__rpc_trace_decode: the trace context of a CALL_TRACED request of len
 * bytes (header included). Returns 0 or -EPROTO (too short). */
int ward__rpc_trace_decode(const void *buf, size_t len, struct ward__rpc_trace *ret);

/* ward__rpc_body_offset: where the input starts in a CALL or CALL_TRACED. */
static inline size_t ward__rpc_body_offset(uint32_t kind)
{
        return sizeof(struct ward__rpc_hdr) +
               (kind == WARD__RPC_CALL_TRACED ? sizeof(struct ward__rpc_trace) : 0);
}

#endif
