/* W3C Trace Context's `traceparent` header, the gRPC bridge's way of taking
 * a caller's trace into ward and giving it back, and the check of its
 * `tracestate`, which the bridge passes on (docs/grpc.md, "Traces"). */
#ifndef WARD_GRPC_TRACEPARENT_H
#define WARD_GRPC_TRACEPARENT_H

#include <stddef.h>
#include <stdint.h>

/* Length of a version-00 traceparent: 00-<32 hex>-<16 hex>-<2 hex>. */
#define WARD__TRACEPARENT_LEN 55u

/* A parsed traceparent: the 128-bit trace id, the caller's span id, its flags. */
struct ward__traceparent {
        uint64_t trace_hi, trace_lo;
        uint64_t span;
        uint8_t flags;
};

/* ward__traceparent_parse: p[0..len) (untrusted: a gRPC metadata value, not
 * NUL-terminated) as exactly "00-" 32 lowercase hex "-" 16 lowercase hex "-"
 * 2 lowercase hex, with neither id all zero. Returns 0 and *ret, or -EINVAL
 * for anything else (*ret is then all zero): a malformed header is ignored,
 * never partly trusted. Thread class: any-thread. */
int ward__traceparent_parse(const char *p, size_t len, struct ward__traceparent *ret);

/* ward__traceparent_format: tp as a version-00 traceparent into buf, which
 * holds WARD__TRACEPARENT_LEN + 1 bytes (NUL-terminated). Thread class:
 * any-thread. */
void ward__traceparent_format(const struct ward__traceparent *tp, char *buf);

/* The longest tracestate passed on (W3C's limit: 32 entries of up to 256
 * bytes may be cut down to 512 bytes by whoever passes them on). */
#define WARD__TRACESTATE_MAX 512u

/* ward__tracestate_check: may p[0..len) (untrusted: a gRPC metadata value,
 * not NUL-terminated) be passed on as it is? 1 to WARD__TRACESTATE_MAX
 * bytes, each printable ASCII (0x20..0x7e). W3C's list syntax is not looked
 * at: the value is the caller's vendors', passed on, never read. Returns 0,
 * or -EINVAL (then it is dropped whole). Thread class: any-thread. */
int ward__tracestate_check(const char *p, size_t len);

#endif
