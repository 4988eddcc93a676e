/* The tracestate a thread's gRPC calls pass on: while a bridge runs the
 * dispatch of a call that came with a W3C `tracestate` (and a valid
 * `traceparent`), grpc: calls the thread makes in that trace send it on,
 * unchanged (docs/grpc.md, "Traces"). */
#ifndef WARD_GRPC_TRACESTATE_H
#define WARD_GRPC_TRACESTATE_H

#include <stddef.h>
#include <stdint.h>

struct ward__tracestate {
        uint64_t trace_hi, trace_lo; /* the trace it belongs to */
        const char *value;           /* checked (ward__tracestate_check); borrowed */
        size_t len;
};

/* ward__tracestate_enter: ts (NULL: none) is the thread's, until
 * ward__tracestate_leave(*saved); ts must stay valid until then. Thread
 * class: the calling thread's own state only. */
void ward__tracestate_enter(const struct ward__tracestate *ts,
                            const struct ward__tracestate **saved);

/* ward__tracestate_leave: saved (what enter gave) is the thread's again. */
void ward__tracestate_leave(const struct ward__tracestate *saved);

/* ward__tracestate_for: the thread's tracestate when it belongs to the
 * trace (trace_hi, trace_lo), else NULL. */
const struct ward__tracestate *ward__tracestate_for(uint64_t trace_hi, uint64_t trace_lo);

#endif
