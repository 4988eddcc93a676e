/* Merging trace files of many threads and processes by time: a k-way merge
 * over their records (each file is in time order already). */
#ifndef WARD_TRACE_MERGE_H
#define WARD_TRACE_MERGE_H

#include <stdio.h>

#include <ward/trace-read.h>

#include "inspect/trace/tfile.h"

struct ward_trace_merge;

/* One merged record and the file it came from. */
struct ward__trace_mev {
        struct ward__trace_fev ev;
        const struct ward__trace_file_hdr *file; /* pid, tid, process name */
};

/* ward__trace_merge_next: the next record in time order (ties: in the order
 * the files were given); 1, or 0 at the end. The record is valid until the
 * next call. Corrupt files end early, with a
 * message on errs. */
int ward__trace_merge_next(struct ward_trace_merge *m, struct ward__trace_mev *ret);

/* How a merge's times read: files of one kernel (one boot id) stay on its
 * CLOCK_MONOTONIC (as they were written), even when they name several hosts
 * (containers, network namespaces); files of several kernels (boot ids that
 * differ) are put on CLOCK_REALTIME, each file shifted by its own realtime
 * anchor. */
struct ward__trace_merge_clock {
        int realtime;    /* times are CLOCK_REALTIME ns, not CLOCK_MONOTONIC */
        unsigned nhosts; /* distinct (host name, boot id) pairs among the files
                          * (0: none known) */
        uint64_t base;   /* the earliest anchor's time on the merge's clock, whole
                          * seconds: exports in floating point count from it */
};

/* ward__trace_merge_get_clock: m's clock (decided when it was opened). */
const struct ward__trace_merge_clock *ward__trace_merge_get_clock(const struct ward_trace_merge *m);

/* ward__trace_merge_host: the header of the first file of the i-th distinct
 * host (0 <= i < nhosts), for naming the hosts. */
const struct ward__trace_file_hdr *ward__trace_merge_host(const struct ward_trace_merge *m,
                                                          unsigned i);

/* ward__trace_file_wall_shift: what takes the CLOCK_MONOTONIC times of a
 * file with header h to CLOCK_REALTIME: its anchor taken when the file was
 * opened (version 2), else the process's at tracing start. */
int64_t ward__trace_file_wall_shift(const struct ward__trace_file_hdr *h);

/* ward__trace_merge_error: report a message through the merge's on_error. */
void ward__trace_merge_error(struct ward_trace_merge *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
