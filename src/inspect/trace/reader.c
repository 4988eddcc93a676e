/* The public reader of another process's trace buffers (ward/trace-read.h):
 * follow (tail), level, recover, on top of the checked copies of live.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ward/trace-read.h>

#include "inspect/trace/print.h"
#include "inspect/trace/reader.h"

/* A batch of formatted lines, handed out in time order. */
struct pending {
        uint64_t ns;
        size_t off, len; /* of the line in lines */
};

struct batch {
        struct ward__buf lines;
        struct pending *ev;
        size_t n, cap;
        int failed;
};

static int reader_new(ward_trace_reader **ret)
{
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : -ENOMEM;
}

static int reader_finish(ward_trace_reader *r, int code, ward_trace_reader **ret)
{
        if (code == 0) {
                r->pos = calloc(r->live.hdr.nslots, sizeof(*r->pos));
                code = r->pos ? 0 : -ENOMEM;
        }
        if (code < 0) {
                if (r->live.fd >= 0 || r->live.map) {
                        ward__trace_live_close(&r->live);
                }
                free(r);
                return code;
        }
        ward_trace_reader_seek(r, 0);
        *ret = r;
        return 0;
}

int ward_trace_reader_open(int pid, unsigned flags, ward_trace_reader **ret, char *err,
                           size_t err_size)
{
        ward_trace_reader *r;
        if (pid <= 0 || !ret) {
                return -EINVAL;
        }
        if (reader_new(&r) < 0) {
                return -ENOMEM;
        }
        int w = !!(flags & WARD_TRACE_READER_WRITABLE);
        return reader_finish(r, ward__trace_live_open(pid, w, &r->live, err, err_size), ret);
}

int ward_trace_reader_open_file(const char *path, unsigned flags, ward_trace_reader **ret,
                                char *err, size_t err_size)
{
        ward_trace_reader *r;
        if (!path || !ret) {
                return -EINVAL;
        }
        if (reader_new(&r) < 0) {
                return -ENOMEM;
        }
        int w = !!(flags & WARD_TRACE_READER_WRITABLE);
        return reader_finish(r, ward__trace_live_open_path(path, 0, w, &r->live, err, err_size),
                             ret);
}

void ward_trace_reader_close(ward_trace_reader *r)
{
        if (r) {
                ward__trace_live_close(&r->live);
                free(r->pos);
                free(r);
        }
}

int ward_trace_reader_pid(const ward_trace_reader *r)
{
        return (int)r->live.hdr.pid;
}

int ward_trace_reader_alive(const ward_trace_reader *r)
{
        return ward__trace_live_alive((int)r->live.hdr.pid);
}

const char *ward_trace_reader_path(const ward_trace_reader *r)
{
        return r->live.path;
}

int ward_trace_reader_level(const ward_trace_reader *r)
{
        const struct ward__trace_shm *h = (const void *)r->live.map;
        int level = (int)__atomic_load_n(&h->level, __ATOMIC_RELAXED);
        return level >= WARD_TRACE_OFF && level <= WARD_TRACE_VERBOSE ? level : -EBADMSG;
}

int ward_trace_reader_set_level(ward_trace_reader *r, int level)
{
        if (level < WARD_TRACE_OFF || level > WARD_TRACE_VERBOSE) {
                return -EINVAL;
        }
        if (!r->live.writable) {
                return -EBADF;
        }
        struct ward__trace_shm *h = (void *)r->live.map;
        __atomic_store_n(&h->level, level, __ATOMIC_RELAXED);
        return 0;
}

void ward_trace_reader_seek(ward_trace_reader *r, int unflushed)
{
        for (uint32_t i = 0; i < r->live.hdr.nslots; i++) {
                struct ward__trace_live_slot st;
                ward__trace_live_slot(&r->live, i, &st);
                r->pos[i] = unflushed ? st.read : st.write;
        }
}

static void batch_add(struct batch *b, uint64_t ns, const uint8_t *line, size_t len)
{
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 1024;
                struct pending *ev = realloc(b->ev, cap * sizeof(*ev));
                if (!ev) {
                        b->failed = 1;
                        return;
                }
                b->ev = ev;
                b->cap = cap;
        }
        b->ev[b->n++] = (struct pending){ns, b->lines.len, len};
        ward__buf_put(&b->lines, line, len);
}

static int by_time(const void *a, const void *b)
{
        const struct pending *x = a, *y = b;
        return x->ns < y->ns ? -1 : x->ns > y->ns ? 1 : (x->off < y->off ? -1 : 1);
}

/* batch_emit: the lines in time order to fn; frees the batch. */
static long batch_emit(struct batch *b, ward_trace_line_fn *fn, void *arg)
{
        long n = b->failed || b->lines.failed ? -ENOMEM : (long)b->n;
        if (b->n) { /* an empty batch has no array: qsort(NULL, 0) is undefined */
                qsort(b->ev, b->n, sizeof(*b->ev), by_time);
        }
        for (size_t i = 0; n >= 0 && i < b->n; i++) {
                fn(arg, b->ev[i].ns, (const char *)b->lines.p + b->ev[i].off, b->ev[i].len);
        }
        free(b->ev);
        ward__buf_free(&b->lines);
        return n;
}

/* collect: slot i's records in [*pos, now) as text lines into b. */
static void collect(ward_trace_reader *r, uint32_t i, uint64_t *pos, struct batch *b)
{
        struct ward__trace_live *l = &r->live;
        struct ward__trace_live_slot st;
        struct ward__buf copy = {0}, line = {0};
        ward__trace_live_slot(l, i, &st);
        uint64_t start = *pos;
        uint64_t end = ward__trace_live_copy(l, i, &start, &copy);
        uint64_t p = start;
        const struct ward__trace_rec *rec;
        while ((rec = ward__trace_live_next(l, &copy, start, end, &p))) {
                size_t site_len = 0;
                const uint8_t *site = rec->kind == WARD__TRACE_REC_EVENT
                                          ? ward__trace_live_site(l, rec->site, &site_len)
                                          : NULL;
                uint64_t ns = ward__trace_live_ns(l, rec->tsc);
                line.len = 0;
                ward__trace_print_record(&line, ns, l->hdr.pid, st.tid, site, site_len,
                                         (const uint8_t *)rec, rec->size);
                batch_add(b, ns, line.p, line.len);
        }
        *pos = end;
        ward__buf_free(&copy);
        ward__buf_free(&line);
}

long ward_trace_reader_poll(ward_trace_reader *r, ward_trace_line_fn *fn, void *arg)
{
        struct batch b = {0};
        if (!r || !fn) {
                return -EINVAL;
        }
        ward__trace_live_index_sites(&r->live);
        for (uint32_t i = 0; i < r->live.hdr.nslots; i++) {
                collect(r, i, &r->pos[i], &b);
        }
        return batch_emit(&b, fn, arg);
}

long ward_trace_reader_recover_text(ward_trace_reader *r, ward_trace_line_fn *fn, void *arg)
{
        ward_trace_reader_seek(r, 1);
        return ward_trace_reader_poll(r, fn, arg);
}
