/* Merging trace files of many threads and processes by time: a k-way merge
 * over their records (each file is in time order already). */
#ifndef WARD_TRACE_MERGE_H
#define WARD_TRACE_MERGE_H

#include <stdio.h>

#include "trace/tfile.h"

struct ward__trace_merge;

/* One merged record and the file it came from. */
struct ward__trace_mev {
        struct ward__trace_fev ev;
        const struct ward__trace_file_hdr *file; /* pid, tid, process name */
};

/* ward__trace_merge_open: open paths[0..n) (a directory means every
 * "*.trace.*" file in it). Files that cannot be read are reported on errs and
 * counted, the others merged. Errors: -ENOMEM; -ENOENT when no file could be
 * opened. */
int ward__trace_merge_open(char *const *paths, int n, FILE *errs, struct ward__trace_merge **ret);

/* ward__trace_merge_next: the next record in time order (ties: in the order
 * the files were given); 1, or 0 at the end. Corrupt files end early, with a
 * message on errs. */
int ward__trace_merge_next(struct ward__trace_merge *m, struct ward__trace_mev *ret);

/* ward__trace_merge_errors: files or records that could not be read. */
int ward__trace_merge_errors(const struct ward__trace_merge *m);

void ward__trace_merge_close(struct ward__trace_merge *m);

#endif
