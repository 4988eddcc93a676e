/* Counting what trace files hold, straight from the bytes
 * (docs/trace-format.md), so producer tests do not depend on the reader. */
#ifndef WARD_TESTS_TRACE_COUNT_H
#define WARD_TESTS_TRACE_COUNT_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/layout.h"

struct trace_count {
        uint64_t events, lost, files, sites;
        uint32_t tids[64];
        uint64_t per_tid[64];
        unsigned ntids;
};

/* count_file: add path's records to c; -1 when the file does not parse. */
static inline int count_file(const char *path, struct trace_count *c)
{
        FILE *f = fopen(path, "rb");
        struct ward__trace_file_hdr h;
        struct ward__trace_rec r;
        uint8_t body[65536];
        unsigned t;
        if (!f || fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, "WARDTRC", 8) != 0) {
                if (f) {
                        fclose(f);
                }
                return -1;
        }
        for (t = 0; t < c->ntids && c->tids[t] != h.tid; t++) {
        }
        if (t == c->ntids && t < 64) {
                c->tids[c->ntids++] = h.tid;
        }
        c->files++;
        while (fread(&r, sizeof(r), 1, f) == 1) {
                size_t len = r.size >= sizeof(r) ? r.size - sizeof(r) : 0;
                if (r.size < sizeof(r) || (len && fread(body, len, 1, f) != 1)) {
                        fclose(f);
                        return -1;
                }
                if (r.kind == WARD__TRACE_REC_EVENT) {
                        c->events++;
                        c->per_tid[t < 64 ? t : 63]++;
                } else if (r.kind == WARD__TRACE_REC_LOST) {
                        uint64_t n;
                        memcpy(&n, body, 8);
                        c->lost += n;
                } else if (r.kind == WARD__TRACE_REC_SITE) {
                        c->sites++;
                }
        }
        fclose(f);
        return 0;
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
