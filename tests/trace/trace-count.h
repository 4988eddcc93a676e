/* Counting what trace files hold, straight from the bytes
 * (docs/trace-format.md), so producer tests do not depend on the reader:
 * this walk only steps over packed events, the reader unpacks them. */
#ifndef WARD_TESTS_TRACE_COUNT_H
#define WARD_TESTS_TRACE_COUNT_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/layout.h"
#include "trace/pack.h"

struct trace_count {
        uint64_t events, lost, files, sites;
        uint32_t tids[64];
        uint64_t per_tid[64];
        unsigned ntids;
};

/* A site's argument types, from its SITE record, to step over its packed
 * events (version 3 files). */
struct trace_count_site {
        uint8_t known, nargs, types[WARD__TRACE_MAX_ARGS];
};

/* count_varint: step over a LEB128 at *p (before end); -1 when truncated. */
static inline int count_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
        size_t n = ward__trace_get_varint(*p, (size_t)(end - *p), v);
        *p += n;
        return n ? 0 : -1;
}

/* count_packed: step over a packed event of site s (after its id). */
static inline int count_packed(const uint8_t **p, const uint8_t *end,
                               const struct trace_count_site *s)
{
        uint64_t v;
        if (count_varint(p, end, &v) < 0) { /* the time */
                return -1;
        }
        for (unsigned k = 0; k < s->nargs; k++) {
                if (s->types[k] == WARD__TRACE_T_F64) {
                        v = 8;
                } else if (count_varint(p, end, &v) < 0) {
                        return -1;
                } else if (s->types[k] != WARD__TRACE_T_STR) {
                        v = 0;
                }
                if ((uint64_t)(end - *p) < v) {
                        return -1;
                }
                *p += v;
        }
        return 0;
}

/* count_record: one record as the ring has it, at *p. */
static inline int count_record(const uint8_t **p, const uint8_t *end, struct trace_count *c,
                               unsigned t, struct trace_count_site *sites)
{
        struct ward__trace_rec r;
        if ((size_t)(end - *p) < sizeof(r)) {
                return -1;
        }
        memcpy(&r, *p, sizeof(r));
        if (r.size < sizeof(r) || r.size % 8 || r.size > (size_t)(end - *p) ||
            r.kind < WARD__TRACE_REC_EVENT || r.kind > WARD__TRACE_REC_TIME) {
                return -1;
        }
        if (r.kind == WARD__TRACE_REC_EVENT) {
                c->events++;
                c->per_tid[t < 64 ? t : 63]++;
        } else if (r.kind == WARD__TRACE_REC_LOST && r.size >= 24) {
                uint64_t n;
                memcpy(&n, *p + 16, 8);
                c->lost += n;
        } else if (r.kind == WARD__TRACE_REC_SITE && r.size >= 28) {
                struct ward__trace_site_rec s;
                memcpy(&s, *p + 16, sizeof(s));
                if (s.id > WARD__TRACE_MAX_SITES || s.nargs > WARD__TRACE_MAX_ARGS ||
                    r.size < 28 + s.nargs) {
                        return -1;
                }
                sites[s.id].known = 1;
                sites[s.id].nargs = s.nargs;
                memcpy(sites[s.id].types, *p + 28, s.nargs);
                c->sites++;
        }
        *p += r.size;
        return 0;
}

/* count_entries: the n bytes of a file whose header is h at data. Version 3
 * entries are a varint tag: 0 and a record, or a site id and that site's
 * packed event (docs/trace-format.md). */
static inline int count_entries(const struct ward__trace_file_hdr *h, const uint8_t *data, size_t n,
                                struct trace_count *c)
{
        static struct trace_count_site sites[WARD__TRACE_MAX_SITES + 1];
        unsigned t;
        if (memcmp(h->magic, "WARDTRC", 8) != 0) {
                return -1;
        }
        for (t = 0; t < c->ntids && c->tids[t] != h->tid; t++) {
        }
        if (t == c->ntids && t < 64) {
                c->tids[c->ntids++] = h->tid;
        }
        c->files++;
        memset(sites, 0, sizeof(sites));
        if (h->hdr_size > n || h->hdr_size < WARD__TRACE_FILE_HDR_V1) {
                return -1;
        }
        const uint8_t *p = data + h->hdr_size, *end = data + n;
        while (p < end) {
                uint64_t tag = 0;
                if (h->version >= 3 && count_varint(&p, end, &tag) < 0) {
                        return -1;
                }
                if (tag > WARD__TRACE_MAX_SITES) {
                        return -1;
                }
                if (tag == 0 && count_record(&p, end, c, t, sites) < 0) {
                        return -1;
                }
                if (tag != 0) { /* its SITE record must have come first */
                        if (!sites[tag].known || count_packed(&p, end, &sites[tag]) < 0) {
                                return -1;
                        }
                        c->events++;
                        c->per_tid[t < 64 ? t : 63]++;
                }
        }
        return 0;
}

/* count_file: add path's records to c; -1 when the file does not parse to
 * its end. */
static inline int count_file(const char *path, struct trace_count *c)
{
        struct ward__trace_file_hdr h;
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t n = fd >= 0 && fstat(fd, &st) == 0 ? (size_t)st.st_size : 0;
        void *data = n >= sizeof(h) ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
        if (fd >= 0) {
                close(fd);
        }
        if (data == MAP_FAILED) {
                return -1;
        }
        memcpy(&h, data, sizeof(h));
        int r = count_entries(&h, data, n, c);
        munmap(data, n);
        return r;
}

/* count_dir: every *.trace.* file in dir. */
static inline int count_dir(const char *dir, struct trace_count *c)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[4096];
        memset(c, 0, sizeof(*c));
        if (!d) {
                return -1;
        }
        while ((e = readdir(d))) {
                if (strstr(e->d_name, ".trace.")) {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        if (count_file(path, c) < 0) {
                                closedir(d);
                                return -1;
                        }
                }
        }
        closedir(d);
        return 0;
}

/* make_temp_dir: a fresh directory under /tmp. */
static inline char *make_temp_dir(void)
{
        static char dir[64];
        snprintf(dir, sizeof(dir), "/tmp/ward-trace-test.XXXXXX");
        return mkdtemp(dir);
}

/* remove_dir: a flat directory of trace files, and itself. */
static inline void remove_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[4096];
        while (d && (e = readdir(d))) {
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        }
        if (d) {
                closedir(d);
        }
        rmdir(dir);
}

#endif
