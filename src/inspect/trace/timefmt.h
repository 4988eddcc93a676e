/* The time column of merged text lines: CLOCK_MONOTONIC ns (as written),
 * wall-clock ISO-8601 from the files' realtime anchors, or seconds since the
 * first and the previous event (enum ward_trace_time). */
#ifndef WARD_TRACE_TIMEFMT_H
#define WARD_TRACE_TIMEFMT_H

#include <stdint.h>

#include "core/buf.h"

struct ward__trace_timefmt {
        int mode;       /* enum ward_trace_time */
        int started;    /* a line was printed (delta) */
        uint64_t first; /* the first line's time (delta) */
        uint64_t prev;  /* the previous line's time (delta) */
        int64_t sec;    /* the second date holds (wall); -1: none yet */
        char date[32];  /* "YYYY-MM-DDTHH:MM:SS" of sec */
        unsigned datelen;
};

/* ward__trace_timefmt_init: a column of the given mode (enum
 * ward_trace_time). */
void ward__trace_timefmt_init(struct ward__trace_timefmt *t, int mode);

/* ward__trace_put_time_tid: the start of a line for an event of thread tid
 * at ns (the merge's clock), wall_shift the nanoseconds that take ns to
 * CLOCK_REALTIME (wall mode):
 *   mono   <ns>-<tid> :
 *   wall   <YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ> <tid> :
 *   delta  <s.nnnnnnnnn since the first> +<s.nnnnnnnnn since the previous> <tid> : */
void ward__trace_put_time_tid(struct ward__trace_timefmt *t, struct ward__buf *out, uint64_t ns,
                              int64_t wall_shift, uint32_t tid);

#endif
