/* Fuzz the trace exporters with any bytes as a trace file: whatever
 * `ward trace merge` accepts, it must write in a form its readers take. The
 * Chrome JSON must parse (ward's strict JSON parser: UTF-8, escapes, depth),
 * and the text lines must come out in time order (as ns, and in the
 * --time=delta form, as seconds since the first event). The CTF export is checked
 * with babeltrace2 itself over the corpus by tests/trace/test-export.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ward/trace-read.h>

#include "core/json-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* export: merge the file at path into a memory buffer with write. */
static char *export(const char *path, int (*write)(ward_trace_merge *, FILE *), size_t *len)
{
        char *paths[] = {(char *)path}, *text = NULL;
        ward_trace_merge *m;
        if (ward_trace_merge_open(paths, 1, NULL, NULL, &m) < 0) {
                return NULL;
        }
        FILE *out = open_memstream(&text, len);
        if (out) {
                write(m, out);
                fclose(out);
        }
        ward_trace_merge_close(m);
        return text;
}

static void check_json(const char *path)
{
        size_t len = 0;
        char *text = export(path, ward_trace_merge_write_chrome, &len), err[256];
        struct ward__json_doc *doc;
        const struct ward__json *root;
        if (!text) {
                return;
        }
        if (ward__json_parse(text, len, &doc, &root, err, sizeof(err)) != 0) {
                fprintf(stderr, "invalid JSON: %s\n%.*s\n", err, (int)len, text);
                abort();
        }
        ward__json_doc_free(doc);
        free(text);
}

static int write_delta(ward_trace_merge *m, FILE *out)
{
        return ward_trace_merge_write_text_as(m, out, WARD_TRACE_TIME_DELTA);
}

/* first_field: a line's time, ns or (delta) seconds as ns */
static unsigned long long first_field(const char *p, int delta)
{
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (delta) {
                if (*end != '.' || strspn(end + 1, "0123456789") != 9 || end[10] != ' ' ||
                    end[11] != '+') {
                        fprintf(stderr, "not a delta time: %.40s\n", p);
                        abort();
                }
                v = v * 1000000000ull + strtoull(end + 1, NULL, 10);
        }
        return v;
}

static void check_text_order(const char *path, int delta)
{
        size_t len = 0;
        char *text = export(path, delta ? write_delta : ward_trace_merge_write_text, &len);
        unsigned long long last = 0;
        for (char *p = text; p && p < text + len; p = strchr(p, '\n') + 1) {
                if (*p == '#') { /* files of several hosts: the clock's note */
                        if (!strchr(p, '\n')) {
                                break;
                        }
                        continue;
                }
                unsigned long long ns = first_field(p, delta);
                if (ns < last) {
                        fprintf(stderr, "out of time order: %llu after %llu\n", ns, last);
                        abort();
                }
                last = ns;
                if (!strchr(p, '\n')) {
                        break;
                }
        }
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int fd = -1;
        static char path[64];
        if (fd < 0) {
                fd = memfd_create("fuzz-trace-export", 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
                return 0;
        }
        check_json(path);
        check_text_order(path, 0);
        check_text_order(path, 1);
        return 0;
}
