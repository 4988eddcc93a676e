/* A trace file rewritten with its records as the ring had them (format
 * version 2: no packed events), through the reader: for tests of what
 * readers do with older files and with damage to the fixed record layout. */
#ifndef WARD_TESTS_TRACE_RAW_H
#define WARD_TESTS_TRACE_RAW_H

#include <stdio.h>
#include <string.h>

#include "inspect/trace/tfile.h"
#include "trace/layout.h"

/* trace_raw_copy: src (any version) as a version 2 file at dst; each SITE
 * record before its site's first event. 0, or -1 when src does not read to
 * its end or dst cannot be written. */
static inline int trace_raw_copy(const char *src, const char *dst)
{
        static uint8_t written[WARD__TRACE_MAX_SITES / 8 + 1];
        struct ward__trace_tfile *f;
        struct ward__trace_fev ev;
        char err[512];
        if (ward__trace_tfile_open(src, &f, err, sizeof(err)) < 0) {
                return -1;
        }
        FILE *out = fopen(dst, "w");
        struct ward__trace_file_hdr h = *ward__trace_tfile_hdr(f);
        h.version = WARD__TRACE_FILE_VERSION_RAW;
        h.hdr_size = sizeof(h); /* a version 1 source had 128 bytes: the rest is zero */
        int r = out && fwrite(&h, sizeof(h), 1, out) == 1 ? 0 : -1;
        memset(written, 0, sizeof(written));
        while (r == 0 && (r = ward__trace_tfile_next(f, &ev, err, sizeof(err))) > 0) {
                struct ward__trace_rec rh;
                memcpy(&rh, ev.rec, sizeof(rh));
                r = 0;
                if (ev.kind == WARD__TRACE_REC_EVENT &&
                    !(written[rh.site / 8] & (1u << rh.site % 8))) {
                        written[rh.site / 8] |= (uint8_t)(1u << rh.site % 8);
                        r = fwrite(ev.site, ev.site_len, 1, out) == 1 ? 0 : -1;
                }
                if (r == 0 && fwrite(ev.rec, ev.len, 1, out) != 1) {
                        r = -1;
                }
        }
        if (out && fclose(out) != 0) {
                r = -1;
        }
        ward__trace_tfile_close(f);
        return r;
}

#endif
