/* ward_symbolize_report: a report read back (report-read.c), its frames
 * named with a directory's debug files (symbolize.c), written out again. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ward/symbolize.h>

#include "core/buf.h"
#include "core/json-write.h"
#include "inspect/guard/report-read.h"
#include "inspect/guard/symbolize.h"

/* read_all: the file at path, at most WARD__REPORT_MAX_BYTES. */
static int read_all(const char *path, char **ret, size_t *ret_len)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                return -errno;
        }
        int r = 0;
        char *p = NULL;
        size_t n = 0;
        if (fstat(fd, &st) < 0) {
                r = -errno;
        } else if (!S_ISREG(st.st_mode)) {
                r = -EINVAL;
        } else if ((uint64_t)st.st_size > WARD__REPORT_MAX_BYTES) {
                r = -E2BIG;
        } else if (!(p = malloc((size_t)st.st_size + 1))) {
                r = -ENOMEM;
        }
        while (r == 0 && n < (size_t)st.st_size) {
                ssize_t k = read(fd, p + n, (size_t)st.st_size - n);
                if (k < 0 && errno == EINTR) {
                        continue;
                }
                if (k <= 0) {
                        break; /* shorter than it was: take what is there */
                }
                n += (size_t)k;
        }
        close(fd);
        if (r < 0) {
                free(p);
                return r;
        }
        *ret = p;
        *ret_len = n;
        return 0;
}

static void jstr(struct ward__buf *b, const char *key, const char *s)
{
        ward__buf_printf(b, "\"%s\":", key);
        ward__json_put_string(b, s, strlen(s));
}

static void put_frame(struct ward__buf *j, FILE *text, size_t k, const struct ward__report_frame *f,
                      const struct ward__symbolized *s)
{
        const char *func = s && s->function[0] ? s->function : f->function;
        uint64_t off = s && s->function[0] ? s->offset : f->offset;
        const char *file = s && s->file[0] ? s->file : f->file;
        int line = s && s->file[0] ? s->line : f->line;
        fprintf(text, "  #%-2zu 0x%016" PRIx64 " %s+0x%" PRIx64 " (%s+0x%" PRIx64 " %s)", k, f->pc,
                func[0] ? func : "??", off, f->module[0] ? f->module : "?", f->module_offset,
                f->build_id[0] ? f->build_id : "-");
        if (file[0]) {
                fprintf(text, " at %s:%d", file, line);
        }
        fputc('\n', text);
        ward__buf_printf(j, "%s{\"pc\":\"0x%" PRIx64 "\",", k ? "," : "", f->pc);
        jstr(j, "function", func);
        ward__buf_printf(j, ",\"offset\":%" PRIu64 ",", off);
        jstr(j, "module", f->module);
        ward__buf_putc(j, ',');
        jstr(j, "build_id", f->build_id);
        ward__buf_printf(j, ",\"module_offset\":\"0x%" PRIx64 "\",", f->module_offset);
        jstr(j, "file", file);
        ward__buf_printf(j, ",\"line\":%d,\"symbolized\":%s,", line, s ? "true" : "false");
        jstr(j, "debug_file", s ? s->debug_file : "");
        ward__buf_putc(j, '}');
}

/* put_thread: its frames, each named where a debug file has it. */
static int put_thread(struct ward__symbolizer *sym, const struct ward__report_thread *t, size_t i,
                      struct ward__buf *j, FILE *text, struct ward_symbolize_result *res)
{
        fprintf(text, "%sthread %d \"%s\"%s\n", i ? "\n" : "", t->tid, t->name,
                t->crashed ? " (crashed)" : "");
        ward__buf_printf(j, "%s{\"tid\":%d,", i ? "," : "", t->tid);
        jstr(j, "name", t->name);
        ward__buf_printf(j, ",\"crashed\":%s,\"frames\":[", t->crashed ? "true" : "false");
        for (size_t k = 0; k < t->n_frames; k++) {
                const struct ward__report_frame *f = &t->frames[k];
                struct ward__symbolized s;
                int r = 0;
                res->frames++;
                if (f->build_id[0] && f->module_offset) {
                        res->with_id++;
                        r = ward__symbolize(sym, f->build_id, f->module_offset, k > 0, &s);
                        if (r == -ENOMEM) {
                                return r;
                        }
                }
                res->found += r == 1;
                res->with_line += r == 1 && s.file[0];
                put_frame(j, text, k, f, r == 1 ? &s : NULL);
        }
        if (t->n_frames == 0) {
                fprintf(text, "  (no stack)\n");
        }
        ward__buf_puts(j, "]}");
        return 0;
}

static int put_all(struct ward__symbolizer *sym, const struct ward__report *rep, FILE *text,
                   FILE *json, struct ward_symbolize_result *res)
{
        struct ward__buf j = {0};
        int r = 0;
        ward__buf_puts(&j, "{\"threads\":[");
        for (size_t i = 0; i < rep->n_threads && r == 0; i++) {
                r = put_thread(sym, &rep->threads[i], i, &j, text, res);
        }
        ward__buf_printf(&j, "],\"frames\":%zu,\"symbolized\":%zu,\"with_line\":%zu}\n",
                         res->frames, res->found, res->with_line);
        if (r == 0 && j.failed) {
                r = -ENOMEM;
        }
        if (r == 0 && json && fwrite(j.p, 1, j.len, json) != j.len) {
                r = -EIO;
        }
        if (r == 0 && (fflush(text) != 0 || ferror(text))) {
                r = -EIO;
        }
        ward__buf_free(&j);
        return r;
}

/* say: "what: why" into err. */
static void say(char *err, size_t err_size, const char *what, const char *why)
{
        if (err && err_size) {
                snprintf(err, err_size, "%s: %s", what, why);
        }
}

int ward_symbolize_report(const char *path, const char *debug_dir, FILE *text, FILE *json,
                          struct ward_symbolize_result *res, char *err, size_t err_size)
{
        struct ward_symbolize_result own;
        struct ward__symbolizer *sym = NULL;
        struct ward__report rep = {0};
        char why[256] = "";
        char *buf = NULL;
        size_t len = 0;
        if (err && err_size) {
                err[0] = '\0';
        }
        if (!path || !debug_dir || !text) {
                return -EINVAL;
        }
        res = res ? res : &own;
        memset(res, 0, sizeof(*res));
        int r = ward__symbolizer_open(debug_dir, &sym);
        if (r < 0) {
                say(err, err_size, debug_dir, r == -ENOTDIR ? "not a directory" : strerror(-r));
                return r;
        }
        r = read_all(path, &buf, &len);
        if (r < 0) {
                say(err, err_size, path,
                    r == -E2BIG    ? "larger than a report can be"
                    : r == -EINVAL ? "not a regular file"
                                   : strerror(-r));
        } else if ((r = ward__report_read(buf, len, &rep, why, sizeof(why))) < 0) {
                char what[512];
                snprintf(what, sizeof(what), "%s: not a ward report", path);
                say(err, err_size, what, why);
        } else {
                res->threads = rep.n_threads;
                r = put_all(sym, &rep, text, json, res);
        }
        if (buf) {
                ward__report_free(&rep);
        }
        free(buf);
        ward__symbolizer_close(sym);
        return r;
}
