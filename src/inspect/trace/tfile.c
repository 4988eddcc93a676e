/* Reading a trace file: see tfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/trace/print.h"
#include "inspect/trace/tfile.h"

struct ward__trace_tfile {
        char path[4096];
        uint8_t *data;
        size_t size, pos;
        int done;
        struct ward__trace_file_hdr hdr;
        uint32_t *site_off; /* by id: offset of its SITE record + 1, 0 if none */
};

static int fail(char *err, size_t err_size, int code, const char *path, const char *what)
{
        if (err_size) {
                snprintf(err, err_size, "%s: %s", path, what);
        }
        return code;
}

/* load: the whole file, mapped read-only (private: the writer may still
 * append, never rewrite). */
static int load(struct ward__trace_tfile *f, char *err, size_t err_size)
{
        struct stat st;
        int fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (fd >= 0) {
                        close(fd);
                }
                return fail(err, err_size, -e, f->path, strerror(e));
        }
        if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(f->hdr)) {
                close(fd);
                return fail(err, err_size, -EBADMSG, f->path, "not a trace file (too short)");
        }
        f->size = (size_t)st.st_size;
        void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) {
                return fail(err, err_size, -errno, f->path, "cannot map it");
        }
        f->data = p;
        return 0;
}

static const char *check_header(const struct ward__trace_file_hdr *h)
{
        if (memcmp(h->magic, WARD__TRACE_FILE_MAGIC, sizeof(WARD__TRACE_FILE_MAGIC)) != 0) {
                return "not a ward trace file (bad magic)";
        }
        if (h->version != WARD__TRACE_VERSION) {
                return "unsupported trace file version";
        }
        if (h->hdr_size != sizeof(*h)) {
                return "bad header size";
        }
        if (h->tsc_hz == 0) {
                return "no timestamp rate in the header";
        }
        return NULL;
}

int ward__trace_tfile_open(const char *path, struct ward__trace_tfile **ret, char *err,
                           size_t err_size)
{
        struct ward__trace_tfile *f = calloc(1, sizeof(*f));
        if (!f) {
                return -ENOMEM;
        }
        snprintf(f->path, sizeof(f->path), "%s", path);
        int r = load(f, err, err_size);
        if (r == 0) {
                memcpy(&f->hdr, f->data, sizeof(f->hdr));
                const char *bad = check_header(&f->hdr);
                r = bad ? fail(err, err_size, -EBADMSG, path, bad) : 0;
        }
        f->site_off = r == 0 ? calloc(WARD__TRACE_MAX_SITES + 1, sizeof(uint32_t)) : NULL;
        if (r == 0 && !f->site_off) {
                r = -ENOMEM;
        }
        if (r < 0) {
                ward__trace_tfile_close(f);
                return r;
        }
        f->pos = sizeof(f->hdr);
        *ret = f;
        return 0;
}

void ward__trace_tfile_close(struct ward__trace_tfile *f)
{
        if (!f) {
                return;
        }
        if (f->data) {
                munmap(f->data, f->size);
        }
        free(f->site_off);
        free(f);
}

const struct ward__trace_file_hdr *ward__trace_tfile_hdr(const struct ward__trace_tfile *f)
{
        return &f->hdr;
}

static uint64_t ns_of(const struct ward__trace_tfile *f, uint64_t tsc)
{
        double d = (double)(int64_t)(tsc - f->hdr.tsc_base) * 1e9 / (double)f->hdr.tsc_hz;
        d = d > 9e18 ? 9e18 : d < -9e18 ? -9e18 : d; /* a file's values may be absurd */
        return f->hdr.ns_base + (uint64_t)(int64_t)d;
}

static int bad_record(struct ward__trace_tfile *f, char *err, size_t err_size, const char *what)
{
        char msg[160];
        snprintf(msg, sizeof(msg), "offset %zu: %s; the rest of the file is skipped", f->pos, what);
        f->done = 1;
        return fail(err, err_size, -EBADMSG, f->path, msg);
}

/* take_site: remember a SITE record (parsed, so later uses are safe). */
static int take_site(struct ward__trace_tfile *f, const uint8_t *rec, size_t len)
{
        struct ward__trace_site_info info;
        if (ward__trace_parse_site(rec, len, &info) < 0 || info.id > WARD__TRACE_MAX_SITES) {
                return -1;
        }
        f->site_off[info.id] = (uint32_t)(rec - f->data) + 1;
        return 0;
}

int ward__trace_tfile_next(struct ward__trace_tfile *f, struct ward__trace_fev *ev, char *err,
                           size_t err_size)
{
        while (!f->done && f->pos < f->size) {
                struct ward__trace_rec h;
                size_t left = f->size - f->pos;
                if (left < sizeof(h)) {
                        return bad_record(f, err, err_size, "truncated record header");
                }
                memcpy(&h, f->data + f->pos, sizeof(h));
                const uint8_t *rec = f->data + f->pos;
                if (h.size < sizeof(h) || h.size % 8 || h.size > left) {
                        return bad_record(f, err, err_size,
                                          h.size > left ? "truncated record" : "bad record size");
                }
                if (h.kind == WARD__TRACE_REC_SITE) {
                        if (f->size - f->pos > UINT32_MAX - 1 || take_site(f, rec, h.size) < 0) {
                                return bad_record(f, err, err_size, "bad SITE record");
                        }
                } else if (h.kind == WARD__TRACE_REC_EVENT || h.kind == WARD__TRACE_REC_LOST) {
                        uint32_t off =
                            h.kind == WARD__TRACE_REC_EVENT && h.site <= WARD__TRACE_MAX_SITES
                                ? f->site_off[h.site]
                                : 0;
                        if (h.kind == WARD__TRACE_REC_EVENT && !off) {
                                return bad_record(f, err, err_size, "event of an unknown site");
                        }
                        if (h.kind == WARD__TRACE_REC_LOST && h.size < 24) {
                                return bad_record(f, err, err_size, "short LOST record");
                        }
                        struct ward__trace_rec sh;
                        if (off) {
                                memcpy(&sh, f->data + off - 1, sizeof(sh));
                        }
                        *ev = (struct ward__trace_fev){.ns = ns_of(f, h.tsc),
                                                       .kind = h.kind,
                                                       .rec = rec,
                                                       .len = h.size,
                                                       .site = off ? f->data + off - 1 : NULL,
                                                       .site_len = off ? sh.size : 0};
                        f->pos += h.size;
                        return 1;
                } else if (h.kind != WARD__TRACE_REC_PAD) {
                        return bad_record(f, err, err_size, "unknown record kind");
                }
                f->pos += h.size;
        }
        return 0;
}
