/* Merged records as a CTF 1.8 trace (babeltrace2, Trace Compass): one
 * metadata file and one stream file per thread, on a shared nanosecond clock
 * (CLOCK_MONOTONIC, offset to wall-clock time, identified by the boot id so
 * traces of several processes line up). Only complete packets are written:
 * a reader rejects a trace whose last packet is cut. See ward/trace-read.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "inspect/trace/merge.h"
#include "inspect/trace/print.h"

#define PACKET_EVENTS_MAX (60u * 1024) /* bytes of events per packet */
#define CTF_MAGIC 0xC1FC1FC1u

enum { EV_EVENT = 0, EV_LOST = 1, EV_BEGIN = 2, EV_END = 3, EV_COUNTER = 4 };

struct stream {
        uint32_t pid, tid;
        FILE *f;
        struct ward__buf events;
        uint64_t ts_begin, ts_end, seq, discarded;
};

struct ctf {
        const char *dir;
        uint8_t uuid[16];
        char boot_id[40];
        struct stream *streams;
        size_t n, cap;
        struct ward__buf msg;
        int failed;
};

static void read_line(const char *path, char *out, size_t size)
{
        FILE *f = fopen(path, "re");
        out[0] = '\0';
        if (f && fgets(out, (int)size, f)) {
                out[strcspn(out, "\n")] = '\0';
        }
        if (f) {
                fclose(f);
        }
}

/* uuid_bytes: "xxxxxxxx-xxxx-..." to 16 bytes (RFC order). */
static void uuid_bytes(const char *text, uint8_t out[16])
{
        int n = 0;
        for (const char *p = text; *p && n < 32; p++) {
                int v = *p >= '0' && *p <= '9'   ? *p - '0'
                        : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                                                 : -1;
                if (v >= 0) {
                        out[n / 2] = (uint8_t)(n % 2 ? out[n / 2] | v : v << 4);
                        n++;
                }
        }
}

static int write_metadata(struct ctf *c, int64_t offset_ns, uint32_t pid)
{
        char path[4096], uuid[40];
        snprintf(path, sizeof(path), "%s/metadata", c->dir);
        read_line("/proc/sys/kernel/random/uuid", uuid, sizeof(uuid));
        uuid_bytes(uuid, c->uuid);
        FILE *f = fopen(path, "we");
        if (!f) {
                return -errno;
        }
        fprintf(f, "/* CTF 1.8 */\n"
                   "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
                   "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
                   "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
                   "typealias integer { size = 64; align = 8; signed = true; } := int64_t;\n");
        fprintf(f,
                "trace { major = 1; minor = 8; uuid = \"%s\"; byte_order = le;\n"
                "  packet.header := struct { uint32_t magic; uint8_t uuid[16]; uint32_t stream_id;"
                " uint64_t stream_instance_id; }; };\n"
                "env { tracer_name = \"ward\"; first_pid = %" PRIu32 "; };\n",
                uuid, pid);
        fprintf(f,
                "clock { name = \"monotonic\"; uuid = \"%s\"; description = \"CLOCK_MONOTONIC\";"
                " freq = 1000000000; offset_s = %" PRId64 "; offset = %" PRId64
                "; absolute = false; };\n"
                "typealias integer { size = 64; align = 8; signed = false;"
                " map = clock.monotonic.value; } := uint64_clock_t;\n",
                c->boot_id, offset_ns / 1000000000, offset_ns % 1000000000);
        fprintf(f, "stream { id = 0;\n"
                   "  packet.context := struct { uint64_clock_t timestamp_begin;"
                   " uint64_clock_t timestamp_end; uint64_t content_size; uint64_t packet_size;"
                   " uint64_t packet_seq_num; uint64_t events_discarded; uint32_t pid;"
                   " uint32_t tid; };\n"
                   "  event.header := struct { uint32_t id; uint64_clock_t timestamp; }; };\n");
        fprintf(f, "event { name = \"ward:event\"; id = 0; stream_id = 0; fields := struct {"
                   " uint8_t level; string msg; string category; string file; uint32_t line; };"
                   " };\n"
                   "event { name = \"ward:lost\"; id = 1; stream_id = 0; fields := struct {"
                   " uint64_t count; }; };\n"
                   "event { name = \"ward:span_begin\"; id = 2; stream_id = 0; fields := struct {"
                   " string name; }; };\n"
                   "event { name = \"ward:span_end\"; id = 3; stream_id = 0; fields := struct {"
                   " string name; }; };\n"
                   "event { name = \"ward:counter\"; id = 4; stream_id = 0; fields := struct {"
                   " string name; int64_t value; }; };\n");
        return fclose(f) == 0 ? 0 : -EIO;
}

static struct stream *stream_of(struct ctf *c, uint32_t pid, uint32_t tid)
{
        for (size_t i = 0; i < c->n; i++) {
                if (c->streams[i].pid == pid && c->streams[i].tid == tid) {
                        return &c->streams[i];
                }
        }
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct stream *s = realloc(c->streams, cap * sizeof(*s));
                if (!s) {
                        return NULL;
                }
                c->streams = s;
                c->cap = cap;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/stream_%" PRIu32 "_%" PRIu32, c->dir, pid, tid);
        FILE *f = fopen(path, "wbe");
        if (!f) {
                return NULL;
        }
        c->streams[c->n] = (struct stream){.pid = pid, .tid = tid, .f = f};
        return &c->streams[c->n++];
}

static void put_u32(struct ward__buf *b, uint32_t v)
{
        ward__buf_put(b, &v, 4);
}

static void put_u64(struct ward__buf *b, uint64_t v)
{
        ward__buf_put(b, &v, 8);
}

/* put_cstr: a NUL-terminated string (a NUL inside the text ends it). */
static void put_cstr(struct ward__buf *b, const char *s, size_t n)
{
        const char *nul = memchr(s, 0, n);
        ward__buf_put(b, s, nul ? (size_t)(nul - s) : n);
        ward__buf_putc(b, 0);
}

static void flush_packet(struct ctf *c, struct stream *s)
{
        struct ward__buf p = {0};
        if (!s->events.len) {
                return;
        }
        put_u32(&p, CTF_MAGIC);
        ward__buf_put(&p, c->uuid, 16);
        put_u32(&p, 0);
        put_u64(&p, s->tid);
        uint64_t bits = (32 + 56 + s->events.len) * 8ull;
        put_u64(&p, s->ts_begin);
        put_u64(&p, s->ts_end);
        put_u64(&p, bits);
        put_u64(&p, bits);
        put_u64(&p, s->seq++);
        put_u64(&p, s->discarded);
        put_u32(&p, s->pid);
        put_u32(&p, s->tid);
        ward__buf_put(&p, s->events.p, s->events.len);
        if (p.failed || fwrite(p.p, 1, p.len, s->f) != p.len) {
                c->failed = 1;
        }
        ward__buf_free(&p);
        s->events.len = 0;
}

/* put_record: the CTF event of one merged record into its stream. */
static void put_record(struct ctf *c, const struct ward__trace_mev *e)
{
        struct ward__trace_site_info site;
        struct stream *s = stream_of(c, e->file->pid, e->file->tid);
        struct ward__buf *b = s ? &s->events : NULL;
        if (!s) {
                c->failed = 1;
                return;
        }
        /* never backwards within a stream, across packets too: babeltrace2
         * refuses a packet that begins before the previous one ended */
        s->ts_end = e->ev.ns > s->ts_end ? e->ev.ns : s->ts_end;
        uint64_t ts = s->ts_end;
        if (!b->len) {
                s->ts_begin = ts;
        }
        if (e->ev.kind == WARD__TRACE_REC_LOST ||
            ward__trace_parse_site(e->ev.site, e->ev.site_len, &site) < 0) {
                uint64_t n = 0;
                memcpy(&n, e->ev.rec + 16, e->ev.len >= 24 ? 8 : 0);
                s->discarded += n;
                put_u32(b, EV_LOST);
                put_u64(b, ts);
                put_u64(b, n);
        } else {
                c->msg.len = 0;
                ward__trace_format_message(&site, e->ev.rec + 16, e->ev.len - 16, &c->msg);
                const char *m = (const char *)c->msg.p;
                size_t mlen = c->msg.len;
                int kind = WARD__TRACE_SITE_OPENS_SPAN(site.kind)   ? EV_BEGIN
                           : site.kind == WARD__TRACE_SITE_SPAN_END ? EV_END
                           : site.kind == WARD__TRACE_SITE_COUNTER  ? EV_COUNTER
                                                                    : EV_EVENT;
                put_u32(b, (uint32_t)kind);
                put_u64(b, ts);
                if (kind == EV_EVENT) {
                        ward__buf_putc(b, site.level);
                        put_cstr(b, m ? m : "", mlen);
                        put_cstr(b, site.category, strlen(site.category));
                        put_cstr(b, site.file, strlen(site.file));
                        put_u32(b, site.line);
                } else if (kind == EV_COUNTER) {
                        const char *sp = mlen ? memrchr(m, ' ', mlen) : NULL;
                        put_cstr(b, m ? m : "", sp ? (size_t)(sp - m) : mlen);
                        put_u64(b, (uint64_t)(sp ? strtoll(sp + 1, NULL, 10) : 0));
                } else {
                        put_cstr(b, m ? m : "", mlen);
                }
        }
        if (b->len >= PACKET_EVENTS_MAX) {
                flush_packet(c, s);
        }
}

int ward_trace_merge_write_ctf(struct ward_trace_merge *m, const char *dir)
{
        struct ctf c = {.dir = dir};
        struct ward__trace_mev e;
        int r = 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                int err = errno;
                ward__trace_merge_error(m, "%s: %s", dir, strerror(err));
                return -err;
        }
        read_line("/proc/sys/kernel/random/boot_id", c.boot_id, sizeof(c.boot_id));
        int have = ward__trace_merge_next(m, &e) > 0;
        if (have) {
                /* times of several hosts are CLOCK_REALTIME already */
                int64_t offset = ward__trace_merge_get_clock(m)->realtime
                                     ? 0
                                     : (int64_t)(e.file->real_base - e.file->ns_base);
                r = write_metadata(&c, offset, e.file->pid);
        }
        for (; r == 0 && have; have = ward__trace_merge_next(m, &e) > 0) {
                put_record(&c, &e);
        }
        for (size_t i = 0; i < c.n; i++) {
                flush_packet(&c, &c.streams[i]);
                if (fclose(c.streams[i].f) != 0) {
                        c.failed = 1;
                }
                ward__buf_free(&c.streams[i].events);
        }
        free(c.streams);
        ward__buf_free(&c.msg);
        if (r == 0 && c.failed) {
                r = -EIO;
        }
        if (r < 0) {
                ward__trace_merge_error(m, "%s: cannot write the CTF trace: %s", dir, strerror(-r));
        }
        return r;
}
