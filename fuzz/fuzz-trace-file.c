/* Fuzz the trace file reader and the message formatter with any bytes as a
 * trace file: every record `ward trace merge` would print is printed. */
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "inspect/trace/print.h"
#include "inspect/trace/tfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__trace_tfile *f;
        struct ward__trace_fev ev;
        struct ward__buf out = {0};
        char err[256];
        /* the bytes in memory: the reader is the same as for a mapped file,
         * without a file to write and map for every input */
        if (ward__trace_tfile_open_mem(data, size, "input", &f, err, sizeof(err)) < 0) {
                return 0;
        }
        const struct ward__trace_file_hdr *h = ward__trace_tfile_hdr(f);
        while (ward__trace_tfile_next(f, &ev, err, sizeof(err)) > 0) {
                out.len = 0;
                ward__trace_print_record(&out, ev.ns, h->pid, h->tid, ev.site, ev.site_len, ev.rec,
                                         ev.len);
        }
        ward__buf_free(&out);
        ward__trace_tfile_close(f);
        return 0;
}
