/* The thread's tracestate, from a bridge to the grpc: calls made inside its
 * call: see tracestate.h. */
#include "grpc/tracestate.h"

static __thread const struct ward__tracestate *cur;

void ward__tracestate_enter(const struct ward__tracestate *ts,
                            const struct ward__tracestate **saved)
{
        *saved = cur;
        cur = ts;
}

void ward__tracestate_leave(const struct ward__tracestate *saved)
{
        cur = saved;
}

const struct ward__tracestate *ward__tracestate_for(uint64_t trace_hi, uint64_t trace_lo)
{
        return cur && cur->trace_hi == trace_hi && cur->trace_lo == trace_lo ? cur : NULL;
}
