/* k-way merge of trace files by time: see merge.h. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inspect/trace/merge.h"

struct source {
        struct ward__trace_tfile *f;
        struct ward__trace_fev ev; /* its next record */
        size_t order;
        int64_t shift; /* added to its times: 0, or its monotonic-to-realtime offset */
};

struct ward_trace_merge {
        struct source *src;
        size_t n, cap;
        size_t *heap; /* indexes into src, by (ns, order) */
        size_t nheap;
        int errors;
        struct ward__trace_merge_clock clock;
        size_t *hosts; /* a source of each distinct host (name and boot id) */
        ward_trace_error_fn *on_error;
        void *arg;
        ward_trace_progress_fn *on_progress;
        void *progress_arg;
        uint64_t records, total_bytes;
};

void ward__trace_merge_error(struct ward_trace_merge *m, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (m->on_error) {
                m->on_error(m->arg, msg);
        }
}

static int add_file(struct ward_trace_merge *m, const char *path)
{
        char err[512];
        struct ward__trace_tfile *f;
        if (ward__trace_tfile_open(path, &f, err, sizeof(err)) < 0) {
                ward__trace_merge_error(m, "%s", err);
                m->errors++;
                return 0;
        }
        if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                struct source *s = realloc(m->src, cap * sizeof(*s));
                if (!s) {
                        ward__trace_tfile_close(f);
                        return -ENOMEM;
                }
                m->src = s;
                m->cap = cap;
        }
        m->src[m->n] = (struct source){.f = f, .order = m->n};
        m->n++;
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* add_dir: the "*.trace.*" files of dir, in name order (stable ties). */
static int add_dir(struct ward_trace_merge *m, const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        if (!d) {
                ward__trace_merge_error(m, "%s: %s", dir, strerror(errno));
                m->errors++;
                return 0;
        }
        while (r == 0 && (e = readdir(d))) {
                if (!strstr(e->d_name, ".trace.")) {
                        continue;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        char **bigger = realloc(names, cap * sizeof(*names));
                        r = bigger ? 0 : -ENOMEM;
                        names = bigger ? bigger : names;
                }
                size_t len = strlen(dir) + strlen(e->d_name) + 2;
                char *path = r == 0 ? malloc(len) : NULL;
                if (path) {
                        snprintf(path, len, "%s/%s", dir, e->d_name);
                        names[n++] = path;
                } else {
                        r = -ENOMEM;
                }
        }
        closedir(d);
        qsort(names, n, sizeof(*names), by_name);
        for (size_t i = 0; i < n; i++) {
                r = r == 0 ? add_file(m, names[i]) : r;
                free(names[i]);
        }
        free(names);
        return r;
}

static int before(const struct ward_trace_merge *m, size_t a, size_t b)
{
        const struct source *x = &m->src[a], *y = &m->src[b];
        return x->ev.ns != y->ev.ns ? x->ev.ns < y->ev.ns : x->order < y->order;
}

static void sift_down(struct ward_trace_merge *m, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, best = i;
                if (l < m->nheap && before(m, m->heap[l], m->heap[best])) {
                        best = l;
                }
                if (r < m->nheap && before(m, m->heap[r], m->heap[best])) {
                        best = r;
                }
                if (best == i) {
                        return;
                }
                size_t t = m->heap[i];
                m->heap[i] = m->heap[best];
                m->heap[best] = t;
                i = best;
        }
}

/* shifted: ns moved by shift, not below 0 (both are at most 2^62: checked
 * by the file reader, so the sum cannot overflow). */
static uint64_t shifted(uint64_t ns, int64_t shift)
{
        int64_t v = (int64_t)ns + shift;
        return v < 0 ? 0 : (uint64_t)v;
}

/* advance: read source s's next record; 1 if it has one. At the end of a
 * file, events whose times had to be fixed are reported (and counted as an
 * error: the output is readable, but not what the file said). */
static int advance(struct ward_trace_merge *m, size_t s)
{
        char err[512];
        struct ward__trace_tfile *f = m->src[s].f;
        int r = ward__trace_tfile_next(f, &m->src[s].ev, err, sizeof(err));
        if (r < 0) {
                ward__trace_merge_error(m, "%s", err);
                m->errors++;
        }
        if (r > 0) {
                m->src[s].ev.ns = shifted(m->src[s].ev.ns, m->src[s].shift);
        }
        uint64_t fixed = ward__trace_tfile_fixed_times(f);
        if (r <= 0 && fixed) {
                ward__trace_merge_error(m,
                                        "%s: %llu events out of time order or with an impossible "
                                        "time were given their neighbour's time",
                                        ward__trace_tfile_path(f), (unsigned long long)fixed);
                m->errors++;
        }
        return r > 0;
}

int64_t ward__trace_file_wall_shift(const struct ward__trace_file_hdr *h)
{
        if (h->anchor_mono || h->anchor_real) {
                return (int64_t)(h->anchor_real - h->anchor_mono);
        }
        return (int64_t)(h->real_base - h->ns_base);
}

/* same_host: a and b name one host: the same host name on the same boot. */
static bool same_host(const struct ward__trace_file_hdr *a, const struct ward__trace_file_hdr *b)
{
        return strcmp(a->boot_id, b->boot_id) == 0 && strcmp(a->host, b->host) == 0;
}

/* decide_clock: list the hosts (host name and boot id); several boot ids
 * (kernels, each with its own CLOCK_MONOTONIC) go on CLOCK_REALTIME. A file
 * that names no host (version 1) is taken to be of the others' host. */
static int decide_clock(struct ward_trace_merge *m)
{
        m->hosts = malloc((m->n + 1) * sizeof(*m->hosts));
        if (!m->hosts) {
                return -ENOMEM;
        }
        unsigned boots = 0;
        for (size_t i = 0; i < m->n; i++) {
                const struct ward__trace_file_hdr *h = ward__trace_tfile_hdr(m->src[i].f);
                unsigned k = 0, same_boot = 0;
                for (; k < m->clock.nhosts; k++) {
                        const struct ward__trace_file_hdr *o =
                            ward__trace_tfile_hdr(m->src[m->hosts[k]].f);
                        same_boot |= strcmp(o->boot_id, h->boot_id) == 0;
                        if (same_host(o, h)) {
                                break;
                        }
                }
                if (h->boot_id[0] && k == m->clock.nhosts) {
                        m->hosts[m->clock.nhosts++] = i;
                        boots += !same_boot;
                }
        }
        m->clock.realtime = boots > 1;
        uint64_t base = UINT64_MAX;
        for (size_t i = 0; i < m->n; i++) {
                const struct ward__trace_file_hdr *h = ward__trace_tfile_hdr(m->src[i].f);
                m->src[i].shift = m->clock.realtime ? ward__trace_file_wall_shift(h) : 0;
                uint64_t t = shifted(h->ns_base, m->src[i].shift);
                base = t < base ? t : base;
        }
        m->clock.base = m->n ? base - base % 1000000000u : 0;
        return 0;
}

const struct ward__trace_merge_clock *ward__trace_merge_get_clock(const struct ward_trace_merge *m)
{
        return &m->clock;
}

const struct ward__trace_file_hdr *ward__trace_merge_host(const struct ward_trace_merge *m,
                                                          unsigned i)
{
        return ward__trace_tfile_hdr(m->src[m->hosts[i]].f);
}

int ward_trace_merge_open(char *const *paths, int n, ward_trace_error_fn *on_error, void *arg,
                          struct ward_trace_merge **ret)
{
        struct ward_trace_merge *m = calloc(1, sizeof(*m));
        struct stat st;
        int r = m ? 0 : -ENOMEM;
        if (m) {
                m->on_error = on_error;
                m->arg = arg;
        }
        for (int i = 0; r == 0 && i < n; i++) {
                int dir = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
                r = dir ? add_dir(m, paths[i]) : add_file(m, paths[i]);
        }
        if (r == 0) {
                m->heap = malloc((m->n + 1) * sizeof(*m->heap));
                r = m->heap ? decide_clock(m) : -ENOMEM;
        }
        for (size_t i = 0; r == 0 && i < m->n; i++) {
                if (advance(m, i)) {
                        m->heap[m->nheap++] = i;
                }
        }
        for (size_t i = r == 0 ? m->nheap / 2 : 0; i-- > 0;) {
                sift_down(m, i);
        }
        if (r == 0 && m->n == 0) {
                r = -ENOENT;
        }
        if (r < 0) {
                ward_trace_merge_close(m);
                return r;
        }
        *ret = m;
        return 0;
}

void ward_trace_merge_on_progress(struct ward_trace_merge *m, ward_trace_progress_fn *fn, void *arg)
{
        m->on_progress = fn;
        m->progress_arg = arg;
        m->total_bytes = 0;
        for (size_t i = 0; i < m->n; i++) {
                m->total_bytes += ward__trace_tfile_size(m->src[i].f);
        }
}

static void progress(struct ward_trace_merge *m)
{
        uint64_t done = 0;
        for (size_t i = 0; i < m->n; i++) {
                done += ward__trace_tfile_read(m->src[i].f);
        }
        m->on_progress(m->progress_arg, m->nheap ? done : m->total_bytes, m->total_bytes,
                       m->records);
}

int ward__trace_merge_next(struct ward_trace_merge *m, struct ward__trace_mev *ret)
{
        if (m->nheap == 0) {
                if (m->on_progress) {
                        progress(m);
                        m->on_progress = NULL; /* the end is said once */
                }
                return 0;
        }
        size_t s = m->heap[0];
        ret->ev = m->src[s].ev;
        ret->file = ward__trace_tfile_hdr(m->src[s].f);
        /* the record stays valid until the next call: the file's reader
         * keeps its records until the second read after (tfile.h) */
        if (!advance(m, s)) {
                m->heap[0] = m->heap[--m->nheap];
        }
        if (m->nheap > 1) { /* one stream left (or one file): nothing to sort */
                sift_down(m, 0);
        }
        if (++m->records % 65536 == 0 && m->on_progress) {
                progress(m);
        }
        return 1;
}

int ward_trace_merge_errors(const struct ward_trace_merge *m)
{
        return m->errors;
}

void ward_trace_merge_close(struct ward_trace_merge *m)
{
        if (!m) {
                return;
        }
        for (size_t i = 0; i < m->n; i++) {
                ward__trace_tfile_close(m->src[i].f);
        }
        free(m->src);
        free(m->heap);
        free(m->hosts);
        free(m);
}
