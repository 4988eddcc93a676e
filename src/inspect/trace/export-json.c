/* Merged records as Chrome/Perfetto trace-event JSON: see ward/trace-read.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json-write.h"
#include "inspect/trace/merge.h"
#include "inspect/trace/print.h"
#include "inspect/trace/sites.h"

/* Threads already named with an "M" record. */
struct seen {
        uint64_t *keys;
        size_t n, cap;
};

static int seen_add(struct seen *s, uint64_t key)
{
        for (size_t i = 0; i < s->n; i++) {
                if (s->keys[i] == key) {
                        return 0;
                }
        }
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                uint64_t *k = realloc(s->keys, cap * sizeof(*k));
                if (!k) {
                        return 0;
                }
                s->keys = k;
                s->cap = cap;
        }
        s->keys[s->n++] = key;
        return 1;
}

/* put_names: the "M" records naming f's process and thread. Names come from
 * the traced process and may hold anything: every one goes through the JSON
 * string writer. */
static void put_names(struct ward__buf *b, const struct ward__trace_file_hdr *f)
{
        char name[sizeof(f->name) + 1] = {0}, thread[sizeof(name) + 16];
        memcpy(name, f->name, sizeof(f->name));
        int n = snprintf(thread, sizeof(thread), "%s %" PRIu32, name, f->tid);
        ward__buf_printf(b,
                         "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%" PRIu32
                         ",\"tid\":%" PRIu32 ",\"args\":{\"name\":",
                         f->pid, f->tid);
        ward__json_put_string(b, name, strlen(name));
        ward__buf_printf(b,
                         "}},\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%" PRIu32
                         ",\"tid\":%" PRIu32 ",\"args\":{\"name\":",
                         f->pid, f->tid);
        ward__json_put_string(b, thread, n > 0 ? strnlen(thread, sizeof(thread)) : 0);
        ward__buf_puts(b, "}},\n");
}

/* put_counter: "queue 42" -> "C" named queue with value 42. */
static void put_counter(struct ward__buf *b, const char *msg, size_t len)
{
        const char *sp = len ? memrchr(msg, ' ', len) : NULL;
        size_t nlen = sp ? (size_t)(sp - msg) : len;
        ward__buf_puts(b, "\"ph\":\"C\",\"name\":");
        ward__json_put_string(b, msg, nlen);
        ward__buf_puts(b, ",\"args\":{");
        ward__json_put_string(b, msg, nlen);
        ward__buf_printf(b, ":%lld}", sp ? strtoll(sp + 1, NULL, 10) : 0);
}

/* put_rpc_name: "service/method" of an RPC span as the event's name. */
static void put_rpc_name(struct ward__buf *b, const struct ward__trace_rpc_span *r,
                         struct ward__buf *msg)
{
        msg->len = 0;
        ward__buf_put(msg, r->service, r->service_len);
        ward__buf_putc(msg, '/');
        ward__buf_put(msg, r->method, r->method_len);
        ward__json_put_string(b, (const char *)msg->p, msg->len);
}

/* put_flow: the flow event that binds an RPC span to its other end: a call
 * starts the flow named by its own span id, the handler whose parent it is
 * ends it ("bp":"e": bound to the enclosing slice, the handler's). */
static void put_flow(struct ward__buf *b, const struct ward__trace_mev *e, double ts, int kind,
                     const struct ward__trace_rpc_span *r)
{
        int out = kind == WARD__TRACE_SITE_CALL_BEGIN;
        if (!out && !r->parent) {
                return; /* a handler nobody traced called: no arrow */
        }
        ward__buf_printf(b,
                         ",\n{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
                         ",\"ts\":%.3f,\"ph\":\"%s\",%s\"cat\":\"rpc\",\"name\":\"rpc\","
                         "\"id\":\"0x%016" PRIx64 "\"}",
                         e->file->pid, e->file->tid, ts, out ? "s" : "f",
                         out ? "" : "\"bp\":\"e\",", out ? r->span : r->parent);
}

static void put_rpc_args(struct ward__buf *b, const struct ward__trace_rpc_span *r)
{
        ward__buf_printf(b,
                         ",\"trace_id\":\"%016" PRIx64 "%016" PRIx64 "\",\"span_id\":\"%016" PRIx64
                         "\",\"parent_span_id\":\"%016" PRIx64 "\"",
                         r->trace_hi, r->trace_lo, r->span, r->parent);
}

static void put_event(struct ward__buf *b, const struct ward__trace_mev *e, uint64_t base,
                      struct ward__buf *msg, struct ward__trace_sites *sites)
{
        static const char *const phase[] = {"i", "B", "E", "C"};
        struct ward__trace_site_info site;
        struct ward__trace_rpc_span rpc;
        struct ward__trace_rec h;
        memcpy(&h, e->ev.rec, sizeof(h));
        msg->len = 0;
        const struct ward__trace_csite *cs =
            e->ev.kind == WARD__TRACE_REC_EVENT
                ? ward__trace_sites_get(sites, e->ev.site, e->ev.site_len)
                : NULL;
        int ok = cs != NULL;
        if (ok) {
                site = cs->info;
        }
        const uint8_t *args = e->ev.rec + sizeof(h);
        size_t args_len = e->ev.len - sizeof(h);
        int is_rpc = ok && ward__trace_parse_rpc_span(&site, args, args_len, &rpc) == 0;
        if (ok) {
                ward__trace_format_compiled(cs, args, args_len, msg);
        } else {
                uint64_t n = 0;
                memcpy(&n, e->ev.rec + 16, e->ev.len >= 24 ? 8 : 0);
                ward__buf_printf(msg, "*** %" PRIu64 " events lost ***", n);
        }
        double ts = (double)(e->ev.ns - base) / 1000.0;
        ward__buf_printf(b, "{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"ts\":%.3f,", e->file->pid,
                         e->file->tid, ts);
        if (ok && site.kind == WARD__TRACE_SITE_COUNTER) {
                put_counter(b, (const char *)msg->p, msg->len);
        } else if (is_rpc) {
                ward__buf_puts(b, "\"ph\":\"B\",\"name\":");
                put_rpc_name(b, &rpc, msg);
        } else {
                int k = ok && WARD__TRACE_SITE_OPENS_SPAN(site.kind) ? 1
                        : ok && site.kind < 4                        ? site.kind
                                                                     : 0;
                ward__buf_printf(b, "\"ph\":\"%s\",%s\"name\":", phase[k],
                                 k == 0 ? "\"s\":\"t\"," : "");
                ward__json_put_string(b, (const char *)msg->p, msg->len);
        }
        if (ok) {
                ward__buf_puts(b, ",\"cat\":");
                const char *cat =
                    site.category[0] ? site.category : ward__trace_level_name(site.level);
                ward__json_put_string(b, cat, strlen(cat));
                ward__buf_puts(b, ",\"args\":{\"file\":");
                ward__json_put_string(b, site.file, strlen(site.file));
                ward__buf_printf(b, ",\"line\":%" PRIu32 ",\"level\":\"%s\"", site.line,
                                 ward__trace_level_name(site.level));
                if (is_rpc) {
                        put_rpc_args(b, &rpc);
                }
                ward__buf_puts(b, "}");
        }
        ward__buf_puts(b, "}");
        if (is_rpc) {
                put_flow(b, e, ts, site.kind, &rpc);
        }
}

/* put_header: the object's opening, and what its times are. */
static void put_header(struct ward_trace_merge *m, FILE *out)
{
        const struct ward__trace_merge_clock *c = ward__trace_merge_get_clock(m);
        struct ward__buf b = {0};
        ward__buf_printf(&b, "{\"displayTimeUnit\":\"ns\",\"metadata\":{\"ward-clock\":\"%s\"",
                         c->realtime ? "realtime" : "monotonic");
        if (c->realtime) {
                ward__buf_printf(&b,
                                 ",\"ward-clock-note\":\"files of %u hosts, aligned by their "
                                 "CLOCK_REALTIME anchors; ts counts from ward-time-base-ns\","
                                 "\"ward-time-base-ns\":%" PRIu64,
                                 c->nhosts, c->base);
        }
        ward__buf_puts(&b, ",\"ward-hosts\":[");
        for (unsigned i = 0; i < c->nhosts; i++) {
                const struct ward__trace_file_hdr *h = ward__trace_merge_host(m, i);
                ward__buf_puts(&b, i ? ",{\"host\":" : "{\"host\":");
                ward__json_put_string(&b, h->host, strlen(h->host));
                ward__buf_puts(&b, ",\"boot_id\":");
                ward__json_put_string(&b, h->boot_id, strlen(h->boot_id));
                ward__buf_puts(&b, "}");
        }
        ward__buf_puts(&b, "]},\"traceEvents\":[\n");
        fwrite(b.p, 1, b.len, out);
        ward__buf_free(&b);
}

int ward_trace_merge_write_chrome(struct ward_trace_merge *m, FILE *out)
{
        struct ward__trace_mev e;
        struct ward__buf b = {0}, msg = {0};
        struct seen threads = {0};
        struct ward__trace_sites sites = {0}; /* each site's format compiled once */
        const struct ward__trace_merge_clock *c = ward__trace_merge_get_clock(m);
        uint64_t base = c->realtime ? c->base : 0;
        int first = 1;
        put_header(m, out);
        while (ward__trace_merge_next(m, &e) > 0) {
                b.len = 0;
                if (!first) {
                        ward__buf_puts(&b, ",\n");
                }
                first = 0;
                if (seen_add(&threads, (uint64_t)e.file->pid << 32 | e.file->tid)) {
                        put_names(&b, e.file);
                }
                put_event(&b, &e, base, &msg, &sites);
                fwrite(b.p, 1, b.len, out);
        }
        fputs("\n]}\n", out);
        free(threads.keys);
        ward__trace_sites_free(&sites);
        int failed = b.failed || ferror(out);
        ward__buf_free(&b);
        ward__buf_free(&msg);
        return failed ? -EIO : 0;
}
