/* Trace context and span events of RPC calls: see rpc-trace.h. */
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <ward/rpc.h>

#include "rpc/rpc-trace.h"

static __thread struct ward__rpc_tcur cur;
static __thread uint64_t rng_state;

/* next_id: a random nonzero 64-bit id (splitmix64 over a seed drawn once per
 * thread from the kernel: ids must not repeat across processes and hosts). */
static uint64_t next_id(void)
{
        if (!rng_state) {
                uint64_t seed = 0;
                if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
                               (uint64_t)gettid() << 17 ^ (uint64_t)(uintptr_t)&cur;
                }
                rng_state = seed | 1;
        }
        uint64_t z;
        do {
                z = (rng_state += 0x9e3779b97f4a7c15ull);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
                z ^= z >> 31;
        } while (z == 0);
        return z;
}

void ward__rpc_call_begin(const char *service, const char *method, struct ward__rpc_trace *out,
                          struct ward__rpc_tcur *saved)
{
        *saved = cur;
        if (!cur.trace_hi && !cur.trace_lo) {
                cur.trace_hi = next_id();
                cur.trace_lo = next_id();
                cur.span = 0;
        }
        uint64_t parent = cur.span;
        cur.span = next_id();
        *out = (struct ward__rpc_trace){
            .trace_hi = cur.trace_hi, .trace_lo = cur.trace_lo, .span = cur.span};
        WARD__TRACE(WARD_TRACE_INFO, "rpc", WARD__TRACE_SITE_CALL_BEGIN,
                    "call %s/%s trace=%016lx%016lx span=%016lx parent=%016lx", service, method,
                    (unsigned long)cur.trace_hi, (unsigned long)cur.trace_lo,
                    (unsigned long)cur.span, (unsigned long)parent);
}

void ward__rpc_call_end(const char *service, const char *method, const struct ward__rpc_tcur *saved)
{
        WARD__TRACE(WARD_TRACE_INFO, "rpc", WARD__TRACE_SITE_SPAN_END, "%s/%s", service, method);
        cur = *saved;
}

void ward__rpc_serve_begin(const char *service, const char *method,
                           const struct ward__rpc_trace *in, int local,
                           struct ward__rpc_tcur *saved)
{
        *saved = cur;
        uint64_t parent = 0;
        if (in && (in->trace_hi || in->trace_lo)) {
                cur.trace_hi = in->trace_hi;
                cur.trace_lo = in->trace_lo;
                parent = in->span;
        } else if (local && (cur.trace_hi || cur.trace_lo)) {
                parent = cur.span;
        } else {
                cur.trace_hi = next_id();
                cur.trace_lo = next_id();
        }
        cur.span = next_id();
        WARD__TRACE(WARD_TRACE_INFO, "rpc", WARD__TRACE_SITE_SERVE_BEGIN,
                    "serve %s/%s trace=%016lx%016lx span=%016lx parent=%016lx", service, method,
                    (unsigned long)cur.trace_hi, (unsigned long)cur.trace_lo,
                    (unsigned long)cur.span, (unsigned long)parent);
}

void ward__rpc_serve_end(const char *service, const char *method,
                         const struct ward__rpc_tcur *saved)
{
        WARD__TRACE(WARD_TRACE_INFO, "rpc", WARD__TRACE_SITE_SPAN_END, "%s/%s", service, method);
        cur = *saved;
}

void ward_rpc_span_begin(const char *service, const char *method,
                         const struct ward_rpc_trace_ctx *parent, struct ward_rpc_trace_ctx *ret,
                         struct ward_rpc_trace_ctx *saved)
{
        *saved = (struct ward_rpc_trace_ctx){cur.trace_hi, cur.trace_lo, cur.span};
        *ret = (struct ward_rpc_trace_ctx){0};
        if (!ward__rpc_tracing()) {
                return;
        }
        struct ward__rpc_trace in = {0};
        struct ward__rpc_tcur old;
        if (parent) {
                in.trace_hi = parent->trace_hi;
                in.trace_lo = parent->trace_lo;
                in.span = parent->span;
        }
        ward__rpc_serve_begin(service, method, &in, 0, &old);
        *ret = (struct ward_rpc_trace_ctx){cur.trace_hi, cur.trace_lo, cur.span};
}

void ward_rpc_span_end(const char *service, const char *method,
                       const struct ward_rpc_trace_ctx *saved)
{
        if (cur.trace_hi == saved->trace_hi && cur.trace_lo == saved->trace_lo &&
            cur.span == saved->span) {
                return; /* nothing began (tracing was off) */
        }
        struct ward__rpc_tcur old = {saved->trace_hi, saved->trace_lo, saved->span};
        ward__rpc_serve_end(service, method, &old);
}
