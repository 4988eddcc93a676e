/* ward/time.h: the clock every ward timeout, deadline and trace timestamp is
 * measured on. ward/loop.h includes it. */
#ifndef WARD_TIME_H
#define WARD_TIME_H

#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

/* ward_now_ns: CLOCK_MONOTONIC in nanoseconds. Thread class: any-thread,
 * async-signal-safe. */
WARD_API uint64_t ward_now_ns(void);

WARD_END_DECLS

#endif
