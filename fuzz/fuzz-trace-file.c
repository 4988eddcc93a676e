/* Fuzz the trace file reader and the message formatter with any bytes as a
 * trace file: every record `ward trace merge` would print is printed. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/buf.h"
#include "inspect/trace/print.h"
#include "inspect/trace/tfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int fd = -1;
        static char path[64];
        if (fd < 0) {
                fd = memfd_create("fuzz-trace", 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
                return 0;
        }
        struct ward__trace_tfile *f;
        struct ward__trace_fev ev;
        struct ward__buf out = {0};
        char err[256];
        if (ward__trace_tfile_open(path, &f, err, sizeof(err)) < 0) {
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
