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
 * the files were given); 1, or 0 at the end. Corrupt files end early, with a
 * message on errs. */
int ward__trace_merge_next(struct ward_trace_merge *m, struct ward__trace_mev *ret);

/* ward__trace_merge_error: report a message through the merge's on_error. */
void ward__trace_merge_error(struct ward_trace_merge *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
