/* The clocks: ward_now_ns, the one clock every ward timeout and deadline is
 * measured on, and the helpers of core/clock.h. */
#include <time.h>

#include <ward/time.h>
#include <ward/trace.h> /* ward__trace_clock: what ward__clock_tsc_hz measures */

#include "core/clock.h"

static uint64_t clock_ns(clockid_t id)
{
        struct timespec ts;
        /* CLOCK_MONOTONIC and CLOCK_REALTIME cannot fail with a valid pointer;
         * they are vDSO calls. */
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ward_now_ns(void)
{
        return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ward__clock_real_ns(void)
{
        return clock_ns(CLOCK_REALTIME);
}

void ward__clock_anchor(uint64_t *ret_mono, uint64_t *ret_real)
{
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 5; i++) {
                uint64_t a = ward_now_ns();
                uint64_t r = ward__clock_real_ns();
                uint64_t b = ward_now_ns();
                if (b - a < best) {
                        best = b - a;
                        *ret_mono = a + (b - a) / 2;
                        *ret_real = r;
                }
        }
}

void ward__clock_pair(uint64_t *ret_tsc, uint64_t *ret_ns)
{
        uint64_t best = 0;
        for (int i = 0; i < 5; i++) { /* the tightest bracket of five */
                uint64_t a = ward__trace_clock();
                uint64_t ns = ward_now_ns();
                uint64_t b = ward__trace_clock();
                if (i == 0 || b - a < best) {
                        best = b - a;
                        *ret_tsc = a + (b - a) / 2;
                        *ret_ns = ns;
                }
        }
}

uint64_t ward__clock_tsc_hz(uint64_t tsc0, uint64_t ns0, uint64_t span_ns)
{
#if WARD__TRACE_TSC
        uint64_t tsc, ns;
        for (;;) {
                ward__clock_pair(&tsc, &ns);
                if (ns != ns0 && ns - ns0 >= span_ns) {
                        break;
                }
                uint64_t until = ns0 + span_ns;
                struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
                /* async-signal-safe, and leaves the CPU to others; an EINTR
                 * only takes another turn */
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
        uint64_t hz = (uint64_t)((double)(tsc - tsc0) * 1e9 / (double)(ns - ns0));
        return hz ? hz : 1000000000u;
#else
        (void)tsc0;
        (void)ns0;
        (void)span_ns;
        return 1000000000u; /* the trace clock is ward_now_ns: it counts nanoseconds */
#endif
}
