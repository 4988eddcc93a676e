/* Writing merged trace records out: text lines, Chrome/Perfetto trace-event
 * JSON, or a CTF 1.8 trace for babeltrace2 and Trace Compass. */
#ifndef WARD_TRACE_EXPORT_H
#define WARD_TRACE_EXPORT_H

#include <stdio.h>

#include "trace/merge.h"

/* ward__trace_export_text: every record of m as text lines on out. */
int ward__trace_export_text(struct ward__trace_merge *m, FILE *out);

/* ward__trace_export_json: every record of m as one trace-event JSON object
 * on out: instants ("i"), span begin/end ("B"/"E"), counters ("C"), lost
 * events as instants, thread and process names ("M"). */
int ward__trace_export_json(struct ward__trace_merge *m, FILE *out);

/* ward__trace_export_ctf: every record of m as a CTF 1.8 trace in dir (one
 * stream per thread). Returns 0 or -errno. */
int ward__trace_export_ctf(struct ward__trace_merge *m, const char *dir, FILE *errs);

#endif
