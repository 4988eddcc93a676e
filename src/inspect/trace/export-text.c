/* Merged records as text lines: see ward/trace-read.h. */
#include <errno.h>
#include <stdio.h>

#include "core/buf.h"
#include "inspect/trace/merge.h"
#include "inspect/trace/print.h"

int ward_trace_merge_write_text(struct ward_trace_merge *m, FILE *out)
{
        struct ward__trace_mev e;
        struct ward__buf line = {0};
        const struct ward__trace_merge_clock *c = ward__trace_merge_get_clock(m);
        if (c->realtime) { /* one host's files print as they always did */
                fprintf(out,
                        "# ward trace merge: files of %u hosts, aligned by their CLOCK_REALTIME "
                        "anchors: times are CLOCK_REALTIME ns\n",
                        c->nhosts);
        }
        while (ward__trace_merge_next(m, &e) > 0) {
                line.len = 0;
                ward__trace_print_record(&line, e.ev.ns, e.file->pid, e.file->tid, e.ev.site,
                                         e.ev.site_len, e.ev.rec, e.ev.len);
                fwrite(line.p, 1, line.len, out);
        }
        int failed = line.failed || ferror(out);
        ward__buf_free(&line);
        return failed ? -EIO : 0;
}
