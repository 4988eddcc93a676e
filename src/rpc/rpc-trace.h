/* One trace across processes: the trace context RPC requests carry and the
 * span events calls and handlers emit (docs/trace.md, "Calls across
 * processes").
 *
 * A trace id is 128 bits (as W3C Trace Context's, so a gateway can map a
 * `traceparent` to it unchanged, and ids drawn at random on many hosts do not
 * collide), a span id 64 bits. Each thread knows its innermost RPC span (the
 * call it is making, or the handler it runs): a call made inside a handler
 * continues the handler's trace with the handler's span as its parent.
 *
 * Everything here runs only when tracing is on (ward__rpc_tracing(), the one
 * branch the RPC path pays otherwise). Thread class: the calling thread's own
 * state only. */
#ifndef WARD_RPC_TRACE_H
#define WARD_RPC_TRACE_H

#include <stdint.h>

#include <ward/trace.h>

#include "rpc/wire.h"

/* The innermost RPC span of a thread (trace id 0: none). */
struct ward__rpc_tcur {
        uint64_t trace_hi, trace_lo, span;
};

/* ward__rpc_tracing: are RPC spans recorded (tracing on at INFO)? */
static inline int ward__rpc_tracing(void)
{
        return __builtin_expect(
            __atomic_load_n(&ward__trace_level, __ATOMIC_RELAXED) >= WARD_TRACE_INFO, 0);
}

/* ward__rpc_call_begin: a call to service/method starts on this thread: a
 * span in the thread's trace (a new one when it has none), child of its
 * innermost span, becomes the innermost. *out is what the request carries;
 * *saved what ward__rpc_call_end restores. */
void ward__rpc_call_begin(const char *service, const char *method, struct ward__rpc_trace *out,
                          struct ward__rpc_tcur *saved);

/* ward__rpc_call_end: the call's span ends; saved is innermost again. */
void ward__rpc_call_end(const char *service, const char *method,
                        const struct ward__rpc_tcur *saved);

/* ward__rpc_serve_begin: a handler of service/method starts: its span
 * continues in's trace as a child of in's span; without in (a caller that did
 * not trace) a short-circuit call (local) continues the thread's innermost
 * span, a remote one starts a trace. */
void ward__rpc_serve_begin(const char *service, const char *method,
                           const struct ward__rpc_trace *in, int local,
                           struct ward__rpc_tcur *saved);

/* ward__rpc_serve_end: the handler returned. */
void ward__rpc_serve_end(const char *service, const char *method,
                         const struct ward__rpc_tcur *saved);

#endif
