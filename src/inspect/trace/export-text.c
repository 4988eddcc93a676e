/* Merged records as text lines: see ward/trace-read.h. The hot loop of
 * `ward trace merge`: each site's format is compiled once (sites.h), lines
 * are built in one large buffer written out a megabyte at a time, and the
 * common conversions are formatted without printf. */
#include <errno.h>
#include <stdio.h>

#include "core/buf.h"
#include "inspect/trace/merge.h"
#include "inspect/trace/print.h"
#include "inspect/trace/sites.h"
#include "inspect/trace/timefmt.h"

#define OUT_CHUNK (1u << 20)

/* flush: what b holds to out; 0 or -1 */
static int flush(struct ward__buf *b, FILE *out)
{
        int ok = b->len == 0 || fwrite(b->p, 1, b->len, out) == b->len;
        b->len = 0;
        return ok ? 0 : -1;
}

int ward_trace_merge_write_text_as(struct ward_trace_merge *m, FILE *out, int time)
{
        struct ward__trace_mev e;
        struct ward__buf b = {0};
        struct ward__trace_sites sites = {0};
        struct ward__trace_timefmt t;
        const struct ward__trace_merge_clock *c = ward__trace_merge_get_clock(m);
        int failed = 0;
        if (time != WARD_TRACE_TIME_MONO && time != WARD_TRACE_TIME_WALL &&
            time != WARD_TRACE_TIME_DELTA) {
                return -EINVAL;
        }
        ward__trace_timefmt_init(&t, time);
        if (c->realtime) { /* one host's files print as they always did */
                ward__buf_printf(&b,
                                 "# ward trace merge: files of %u hosts, aligned by their "
                                 "CLOCK_REALTIME anchors: times are CLOCK_REALTIME ns\n",
                                 c->nhosts);
        }
        while (!failed && ward__trace_merge_next(m, &e) > 0) {
                const struct ward__trace_csite *site =
                    e.ev.kind == WARD__TRACE_REC_EVENT
                        ? ward__trace_sites_get(&sites, e.ev.site, e.ev.site_len)
                        : NULL;
                int64_t shift = time == WARD_TRACE_TIME_WALL && !c->realtime
                                    ? ward__trace_file_wall_shift(e.file)
                                    : 0;
                ward__trace_put_time_tid(&t, &b, e.ev.ns, shift, e.file->tid);
                ward__trace_print_body(&b, e.file->pid, site, e.ev.rec, e.ev.len);
                if (b.len >= OUT_CHUNK) {
                        failed = b.failed || flush(&b, out) < 0;
                }
        }
        failed = failed || b.failed || flush(&b, out) < 0 || fflush(out) != 0 || ferror(out);
        ward__buf_free(&b);
        ward__trace_sites_free(&sites);
        return failed ? -EIO : 0;
}

int ward_trace_merge_write_text(struct ward_trace_merge *m, FILE *out)
{
        return ward_trace_merge_write_text_as(m, out, WARD_TRACE_TIME_MONO);
}
