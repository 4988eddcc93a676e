/* Fuzz the trace file reader and the message formatter with any bytes as a
 * trace file: every record `ward trace merge` would print is printed, once
 * through the compiled sites of the merge's fast path (which must give the
 * same bytes as the one-record printer) and in every --time form; the first
 * bytes also go through the --time parser. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/trace-read.h>

#include "core/buf.h"
#include "inspect/trace/merge.h"
#include "inspect/trace/print.h"
#include "inspect/trace/sites.h"
#include "inspect/trace/tfile.h"
#include "inspect/trace/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the --time parser on the first bytes, as a string */
static void parse_time(const uint8_t *data, size_t size)
{
        char word[16];
        size_t n = size < sizeof(word) - 1 ? size : sizeof(word) - 1;
        memcpy(word, data, n);
        word[n] = '\0';
        int t = ward_trace_parse_time(word);
        if (t != -22 && (t < WARD_TRACE_TIME_MONO || t > WARD_TRACE_TIME_DELTA)) {
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__trace_tfile *f;
        struct ward__trace_fev ev;
        struct ward__buf out = {0}, fast = {0}, timed = {0};
        struct ward__trace_sites sites = {0};
        struct ward__trace_timefmt forms[3];
        char err[256];
        parse_time(data, size);
        /* the bytes in memory: the reader is the same as for a mapped file,
         * without a file to write and map for every input */
        if (ward__trace_tfile_open_mem(data, size, "input", &f, err, sizeof(err)) < 0) {
                return 0;
        }
        for (int i = 0; i < 3; i++) {
                ward__trace_timefmt_init(&forms[i], i);
        }
        const struct ward__trace_file_hdr *h = ward__trace_tfile_hdr(f);
        int64_t shift = ward__trace_file_wall_shift(h);
        while (ward__trace_tfile_next(f, &ev, err, sizeof(err)) > 0) {
                out.len = fast.len = timed.len = 0;
                ward__trace_print_record(&out, ev.ns, h->pid, h->tid, ev.site, ev.site_len, ev.rec,
                                         ev.len);
                const struct ward__trace_csite *site =
                    ev.kind == WARD__TRACE_REC_EVENT
                        ? ward__trace_sites_get(&sites, ev.site, ev.site_len)
                        : NULL;
                ward__trace_put_time_tid(&forms[0], &fast, ev.ns, 0, h->tid);
                ward__trace_print_body(&fast, h->pid, site, ev.rec, ev.len);
                if (!out.failed && !fast.failed &&
                    (out.len != fast.len || memcmp(out.p, fast.p, out.len) != 0)) {
                        abort(); /* the fast path must print what the printer does */
                }
                ward__trace_put_time_tid(&forms[1], &timed, ev.ns, shift, h->tid);
                ward__trace_put_time_tid(&forms[2], &timed, ev.ns, shift, h->tid);
        }
        ward__buf_free(&out);
        ward__buf_free(&fast);
        ward__buf_free(&timed);
        ward__trace_sites_free(&sites);
        ward__trace_tfile_close(f);
        return 0;
}
