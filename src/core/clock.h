/* The clocks besides ward_now_ns (ward/time.h): wall-clock time, and the
 * trace clock (ward__trace_clock in ward/trace.h: the TSC on x86) measured
 * against ward_now_ns. The tracer calibrates its files with these, and the
 * inspector the buffers of a process that died before calibrating. */
#ifndef WARD_CORE_CLOCK_H
#define WARD_CORE_CLOCK_H

#include <stdint.h>

#include <ward/time.h>

/* ward__clock_real_ns: CLOCK_REALTIME in nanoseconds. Async-signal-safe. */
uint64_t ward__clock_real_ns(void);

/* ward__clock_anchor: CLOCK_MONOTONIC and CLOCK_REALTIME nanoseconds at
 * (nearly) the same moment: the realtime read bracketed by two monotonic
 * ones, the tightest of five brackets, *ret_mono its middle.
 * Async-signal-safe. */
void ward__clock_anchor(uint64_t *ret_mono, uint64_t *ret_real);

/* ward__clock_pair: a trace clock reading and ward_now_ns() at the same
 * moment (the tightest of five brackets: within a few dozen ns).
 * Async-signal-safe. */
void ward__clock_pair(uint64_t *ret_tsc, uint64_t *ret_ns);

/* ward__clock_tsc_hz: the trace clock's rate in ticks per second, from a
 * ward__clock_pair reading (tsc0, ns0) to one at least span_ns later, sleeping
 * for what is left of span_ns (20 ms make the rate good to a few ppm).
 * 1000000000 at once when the trace clock is ward_now_ns. Async-signal-safe. */
uint64_t ward__clock_tsc_hz(uint64_t tsc0, uint64_t ns0, uint64_t span_ns);

#endif
