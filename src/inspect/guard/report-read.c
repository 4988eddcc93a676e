/* Reading a crash report back: see report-read.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json-parse.h"
#include "inspect/guard/report-read.h"

struct reader {
        char *err;
        size_t err_size;
};

static int fail(struct reader *rd, const struct ward__json *at, const char *fmt, ...)
{
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (rd->err && rd->err_size) {
                snprintf(rd->err, rd->err_size, "line %u, column %u: %s", at ? at->line : 0,
                         at ? at->col : 0, what);
        }
        return -EINVAL;
}

static int key_is(const struct ward__json *m, const char *key)
{
        size_t n = strlen(key);
        return m->key && m->key_len == n && memcmp(m->key, key, n) == 0;
}

/* get_string: a string member into out (size bytes), NULs refused,
 * truncated at a character boundary the writer never needs (its own fields
 * are shorter). */
static int get_string(struct reader *rd, const struct ward__json *v, char *out, size_t size)
{
        if (v->type != WARD__JSON_STRING) {
                return fail(rd, v, "\"%.*s\" must be a string", (int)v->key_len, v->key);
        }
        if (memchr(v->text, '\0', v->len)) {
                return fail(rd, v, "\"%.*s\" holds a NUL byte", (int)v->key_len, v->key);
        }
        size_t n = v->len < size - 1 ? v->len : size - 1;
        memcpy(out, v->text, n);
        out[n] = '\0';
        return 0;
}

/* get_int: a JSON integer in [min, max]. */
static int get_int(struct reader *rd, const struct ward__json *v, long long min, long long max,
                   long long *ret)
{
        char buf[32], *end;
        if (v->type != WARD__JSON_NUMBER || v->len == 0 || v->len >= sizeof(buf)) {
                return fail(rd, v, "\"%.*s\" must be an integer", (int)v->key_len, v->key);
        }
        memcpy(buf, v->text, v->len);
        buf[v->len] = '\0';
        errno = 0;
        long long x = strtoll(buf, &end, 10);
        if (errno || *end || x < min || x > max) {
                return fail(rd, v, "\"%.*s\" must be an integer from %lld to %lld", (int)v->key_len,
                            v->key, min, max);
        }
        *ret = x;
        return 0;
}

/* get_u64: an address: "0x" and 1 to 16 hex digits (as the writer puts
 * them), or a JSON integer. */
static int get_u64(struct reader *rd, const struct ward__json *v, uint64_t *ret)
{
        if (v->type == WARD__JSON_NUMBER) {
                long long x;
                int r = get_int(rd, v, 0, (long long)INT64_MAX, &x);
                *ret = (uint64_t)x;
                return r;
        }
        if (v->type != WARD__JSON_STRING || v->len < 3 || v->len > 18 || v->text[0] != '0' ||
            (v->text[1] != 'x' && v->text[1] != 'X')) {
                return fail(rd, v, "\"%.*s\" must be a hex address like \"0x4011d6\"",
                            (int)v->key_len, v->key);
        }
        uint64_t x = 0;
        for (size_t i = 2; i < v->len; i++) {
                char c = v->text[i];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0) {
                        return fail(rd, v, "\"%.*s\" has a character that is not hex",
                                    (int)v->key_len, v->key);
                }
                x = x << 4 | (uint64_t)d;
        }
        *ret = x;
        return 0;
}

/* get_build_id: lower-case hex, even length, or "". */
static int get_build_id(struct reader *rd, const struct ward__json *v, char *out, size_t size)
{
        int r = get_string(rd, v, out, size);
        if (r < 0) {
                return r;
        }
        size_t n = strlen(out);
        if (v->len != n || n % 2) {
                return fail(rd, v, "\"build_id\" must be an even number of hex digits");
        }
        for (size_t i = 0; i < n; i++) {
                if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'))) {
                        return fail(rd, v, "\"build_id\" must be lower-case hex");
                }
        }
        return 0;
}

static int read_frame(struct reader *rd, const struct ward__json *o, struct ward__report_frame *f)
{
        if (o->type != WARD__JSON_OBJECT) {
                return fail(rd, o, "a frame must be an object");
        }
        int r = 0;
        long long line;
        for (const struct ward__json *m = o->kids; m && r == 0; m = m->next) {
                if (key_is(m, "pc")) {
                        r = get_u64(rd, m, &f->pc);
                } else if (key_is(m, "function")) {
                        r = get_string(rd, m, f->function, sizeof(f->function));
                } else if (key_is(m, "offset")) {
                        r = get_u64(rd, m, &f->offset);
                } else if (key_is(m, "module")) {
                        r = get_string(rd, m, f->module, sizeof(f->module));
                } else if (key_is(m, "build_id")) {
                        r = get_build_id(rd, m, f->build_id, sizeof(f->build_id));
                } else if (key_is(m, "module_offset")) {
                        r = get_u64(rd, m, &f->module_offset);
                } else if (key_is(m, "file")) {
                        r = get_string(rd, m, f->file, sizeof(f->file));
                } else if (key_is(m, "line")) {
                        r = get_int(rd, m, 0, 1 << 30, &line);
                        f->line = (int)line;
                }
        }
        return r;
}

static size_t count(const struct ward__json *a)
{
        size_t n = 0;
        for (const struct ward__json *k = a->kids; k; k = k->next) {
                n++;
        }
        return n;
}

static int read_frames(struct reader *rd, const struct ward__json *a, struct ward__report_thread *t)
{
        if (a->type != WARD__JSON_ARRAY) {
                return fail(rd, a, "\"frames\" must be an array");
        }
        size_t n = count(a);
        if (n > WARD__REPORT_MAX_FRAMES) {
                fail(rd, a, "more than %d frames", WARD__REPORT_MAX_FRAMES);
                return -E2BIG;
        }
        free(t->frames);
        t->n_frames = 0;
        t->frames = n ? calloc(n, sizeof(*t->frames)) : NULL;
        if (n && !t->frames) {
                return -ENOMEM;
        }
        for (const struct ward__json *k = a->kids; k; k = k->next) {
                int r = read_frame(rd, k, &t->frames[t->n_frames]);
                if (r < 0) {
                        return r;
                }
                t->n_frames++;
        }
        return 0;
}

static int read_thread(struct reader *rd, const struct ward__json *o, struct ward__report_thread *t)
{
        if (o->type != WARD__JSON_OBJECT) {
                return fail(rd, o, "a thread must be an object");
        }
        int r = 0;
        long long tid;
        for (const struct ward__json *m = o->kids; m && r == 0; m = m->next) {
                if (key_is(m, "tid")) {
                        r = get_int(rd, m, 0, 1 << 30, &tid);
                        t->tid = (int)tid;
                } else if (key_is(m, "name")) {
                        r = get_string(rd, m, t->name, sizeof(t->name));
                } else if (key_is(m, "crashed")) {
                        if (m->type != WARD__JSON_TRUE && m->type != WARD__JSON_FALSE) {
                                r = fail(rd, m, "\"crashed\" must be true or false");
                        }
                        t->crashed = m->type == WARD__JSON_TRUE;
                } else if (key_is(m, "frames")) {
                        r = read_frames(rd, m, t);
                }
        }
        return r;
}

static int read_threads(struct reader *rd, const struct ward__json *a, struct ward__report *rep)
{
        if (a->type != WARD__JSON_ARRAY) {
                return fail(rd, a, "\"threads\" must be an array");
        }
        size_t n = count(a);
        if (n > WARD__REPORT_MAX_THREADS) {
                fail(rd, a, "more than %d threads", WARD__REPORT_MAX_THREADS);
                return -E2BIG;
        }
        ward__report_free(rep); /* a second "threads" replaces the first */
        rep->threads = n ? calloc(n, sizeof(*rep->threads)) : NULL;
        if (n && !rep->threads) {
                return -ENOMEM;
        }
        for (const struct ward__json *k = a->kids; k; k = k->next) {
                rep->n_threads++;
                int r = read_thread(rd, k, &rep->threads[rep->n_threads - 1]);
                if (r < 0) {
                        return r;
                }
        }
        return 0;
}

static int read_signal(struct reader *rd, const struct ward__json *v, int *signo)
{
        long long s;
        *signo = 0;
        if (v->type == WARD__JSON_NULL) {
                return 0;
        }
        if (v->type != WARD__JSON_OBJECT) {
                return fail(rd, v, "\"signal\" must be an object or null");
        }
        for (const struct ward__json *m = v->kids; m; m = m->next) {
                if (key_is(m, "signo")) {
                        int r = get_int(rd, m, 0, 64, &s);
                        if (r < 0) {
                                return r;
                        }
                        *signo = (int)s;
                }
        }
        return 0;
}

int ward__report_read(const char *text, size_t len, struct ward__report *ret, char *err,
                      size_t err_size)
{
        struct reader rd = {err, err_size};
        struct ward__json_doc *doc;
        const struct ward__json *root;
        memset(ret, 0, sizeof(*ret));
        if (err && err_size) {
                err[0] = '\0';
        }
        if (len > WARD__REPORT_MAX_BYTES) {
                fail(&rd, NULL, "larger than %u bytes", WARD__REPORT_MAX_BYTES);
                return -E2BIG;
        }
        int r = ward__json_parse(text, len, &doc, &root, err, err_size);
        if (r < 0) {
                return r;
        }
        long long pid;
        int have_threads = 0;
        if (root->type != WARD__JSON_OBJECT) {
                r = fail(&rd, root, "a report is a JSON object, not %s",
                         ward__json_type_name(root->type));
        }
        for (const struct ward__json *m = root->kids; m && r == 0; m = m->next) {
                if (key_is(m, "pid")) {
                        r = get_int(&rd, m, 0, 1 << 30, &pid);
                        ret->pid = (int)pid;
                } else if (key_is(m, "signal")) {
                        r = read_signal(&rd, m, &ret->signo);
                } else if (key_is(m, "threads")) {
                        r = read_threads(&rd, m, ret);
                        have_threads = 1;
                }
        }
        if (r == 0 && !have_threads) {
                r = fail(&rd, root, "no \"threads\": not a ward crash report");
        }
        ward__json_doc_free(doc);
        return r;
}

void ward__report_free(struct ward__report *r)
{
        for (size_t i = 0; r && i < r->n_threads; i++) {
                free(r->threads[i].frames);
        }
        if (r) {
                free(r->threads);
                r->threads = NULL;
                r->n_threads = 0;
        }
}
