/* Reading a trace file: see tfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/trace/print.h"
#include "inspect/trace/tfile.h"
#include "inspect/trace/unpack.h"
#include "trace/pack.h"

/* A site the file has given its SITE record: where, and its argument types
 * (for unpacking its packed events). */
struct site_ref {
        uint32_t off; /* offset of its SITE record + 1, 0 if none */
        uint8_t nargs;
        uint8_t types[WARD__TRACE_MAX_ARGS];
};

/* Unpacked events live in a few buffers taken in turn, so that an event
 * stays valid while the reader reads one ahead and its caller holds the
 * event before. */
#define UNPACKED_BUFS 4

struct ward__trace_tfile {
        char path[4096];
        uint8_t *data;
        size_t size, pos;
        int done;
        struct ward__trace_file_hdr hdr;
        int mapped;             /* data is our mapping of the file (else the caller's bytes) */
        struct site_ref *sites; /* by id */
        uint32_t site_cap;      /* ids sites has room for: grown as SITE records come */
        int packed;             /* version 3: events are packed (trace/pack.h) */
        uint64_t sync;          /* the time base of packed events */
        uint8_t *unpacked[UNPACKED_BUFS];
        size_t unpacked_cap[UNPACKED_BUFS];
        unsigned next_buf;
        /* Times are checked against their neighbours (read one ahead): an
         * event may not go back in time, nor stand out above the events on
         * both sides of it, nor be impossibly far from the file's base. */
        int primed, ahead_r;
        struct ward__trace_fev ahead;
        int ahead_absurd;
        char ahead_err[4096 + 256];
        int started;
        uint64_t last_ns;
        uint64_t fixed; /* events whose time was replaced */
};

/* Times beyond 2^62 ns (146 years) are not clocks but damage; below it the
 * CTF exporter's offset still fits babeltrace2's signed 64-bit arithmetic. */
#define NS_MAX (1ull << 62)

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
        if (!S_ISREG(st.st_mode) || (size_t)st.st_size < WARD__TRACE_FILE_HDR_V1) {
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

/* NUL-padded text fields of a version 2 header: a string that fills its
 * field has no NUL, which a reader must not run past. */
static int padded(const char *field, size_t size)
{
        return memchr(field, 0, size) != NULL;
}

static const char *check_header(const struct ward__trace_file_hdr *h)
{
        if (memcmp(h->magic, WARD__TRACE_FILE_MAGIC, sizeof(WARD__TRACE_FILE_MAGIC)) != 0) {
                return "not a ward trace file (bad magic)";
        }
        if (h->version < 1 || h->version > WARD__TRACE_FILE_VERSION) {
                return "unsupported trace file version";
        }
        if (h->hdr_size != (h->version == 1 ? WARD__TRACE_FILE_HDR_V1 : sizeof(*h))) {
                return "bad header size";
        }
        if (h->tsc_hz == 0) {
                return "no timestamp rate in the header";
        }
        if (h->tsc_hz < 1000000 || h->tsc_hz > 1000000000000ull) {
                return "implausible timestamp rate in the header";
        }
        if (h->ns_base > NS_MAX || h->real_base > NS_MAX) {
                return "implausible base time in the header";
        }
        if (!padded(h->host, sizeof(h->host)) || !padded(h->boot_id, sizeof(h->boot_id))) {
                return "host name or boot id not terminated in the header";
        }
        if (h->anchor_mono > NS_MAX || h->anchor_real > NS_MAX) {
                return "implausible clock anchor in the header";
        }
        return NULL;
}

/* start: check the header of f's bytes (version 1: the first 128 of ours,
 * the rest zero) and stand at the first record. */
static int start(struct ward__trace_tfile *f, char *err, size_t err_size)
{
        uint32_t version;
        memcpy(&version, f->data + offsetof(struct ward__trace_file_hdr, version), sizeof(version));
        size_t size = version == 1 ? WARD__TRACE_FILE_HDR_V1 : sizeof(f->hdr);
        if (f->size < size) {
                return fail(err, err_size, -EBADMSG, f->path, "not a trace file (too short)");
        }
        memset(&f->hdr, 0, sizeof(f->hdr));
        memcpy(&f->hdr, f->data, size);
        const char *bad = check_header(&f->hdr);
        if (bad) {
                return fail(err, err_size, -EBADMSG, f->path, bad);
        }
        f->pos = size;
        f->packed = f->hdr.version >= 3;
        f->sync = f->hdr.tsc_base;
        return 0;
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
        f->mapped = r == 0;
        if (r == 0) {
                r = start(f, err, err_size);
        }
        if (r < 0) {
                ward__trace_tfile_close(f);
                return r;
        }
        *ret = f;
        return 0;
}

int ward__trace_tfile_open_mem(const void *data, size_t size, const char *name,
                               struct ward__trace_tfile **ret, char *err, size_t err_size)
{
        struct ward__trace_tfile *f = calloc(1, sizeof(*f));
        if (!f) {
                return -ENOMEM;
        }
        snprintf(f->path, sizeof(f->path), "%s", name);
        f->data = (uint8_t *)data;
        f->size = size;
        int r = size < WARD__TRACE_FILE_HDR_V1
                    ? fail(err, err_size, -EBADMSG, name, "not a trace file (too short)")
                    : start(f, err, err_size);
        if (r < 0) {
                ward__trace_tfile_close(f);
                return r;
        }
        *ret = f;
        return 0;
}

void ward__trace_tfile_close(struct ward__trace_tfile *f)
{
        if (!f) {
                return;
        }
        if (f->data && f->mapped) {
                munmap(f->data, f->size);
        }
        free(f->sites);
        for (unsigned i = 0; i < UNPACKED_BUFS; i++) {
                free(f->unpacked[i]);
        }
        free(f);
}

const struct ward__trace_file_hdr *ward__trace_tfile_hdr(const struct ward__trace_tfile *f)
{
        return &f->hdr;
}

/* No process traces for ten years: an event further than that from its
 * file's base time has a damaged tsc (or the header a damaged tsc_base). */
#define SPAN_MAX (10.0 * 365 * 24 * 3600 * 1e9)

/* ns_of: the CLOCK_MONOTONIC time of tsc; *absurd when it falls outside
 * [0, NS_MAX] or SPAN_MAX from the base time, and then the base time. */
static uint64_t ns_of(const struct ward__trace_tfile *f, uint64_t tsc, int *absurd)
{
        double d = (double)(int64_t)(tsc - f->hdr.tsc_base) * 1e9 / (double)f->hdr.tsc_hz;
        double ns = (double)f->hdr.ns_base + d;
        *absurd = !(ns >= 0 && ns <= (double)NS_MAX && d <= SPAN_MAX && d >= -SPAN_MAX);
        return *absurd ? f->hdr.ns_base : (uint64_t)ns;
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
        if (info.id >= f->site_cap) { /* a file names few sites: grow, do not preallocate */
                uint32_t cap = f->site_cap ? f->site_cap : 64;
                while (cap <= info.id) {
                        cap *= 2;
                }
                struct site_ref *bigger = realloc(f->sites, cap * sizeof(*bigger));
                if (!bigger) {
                        return -1;
                }
                memset(bigger + f->site_cap, 0, (cap - f->site_cap) * sizeof(*bigger));
                f->sites = bigger;
                f->site_cap = cap;
        }
        struct site_ref *ref = &f->sites[info.id];
        ref->off = (uint32_t)(rec - f->data) + 1;
        ref->nargs = info.nargs;
        memcpy(ref->types, info.types, info.nargs);
        return 0;
}

/* site_of: the SITE record of an event's site (NULL when the file has not
 * given it), its length in *len. */
static const uint8_t *site_of(const struct ward__trace_tfile *f, uint32_t id, size_t *len)
{
        uint32_t off = id < f->site_cap ? f->sites[id].off : 0;
        if (!off) {
                return NULL;
        }
        struct ward__trace_rec sh;
        memcpy(&sh, f->data + off - 1, sizeof(sh));
        *len = sh.size;
        return f->data + off - 1;
}

/* read_record: the record at pos as the ring had it. Returns 1 for an EVENT
 * or LOST (in ev), 0 for a record that is not one (taken in), or -EBADMSG. */
static int read_record(struct ward__trace_tfile *f, struct ward__trace_fev *ev, int *absurd,
                       char *err, size_t err_size)
{
        struct ward__trace_rec h;
        size_t left = f->size - f->pos, site_len = 0;
        if (left < sizeof(h)) {
                return bad_record(f, err, err_size, "truncated record header");
        }
        memcpy(&h, f->data + f->pos, sizeof(h));
        const uint8_t *rec = f->data + f->pos, *site = NULL;
        if (h.size < sizeof(h) || h.size % 8 || h.size > left) {
                return bad_record(f, err, err_size,
                                  h.size > left ? "truncated record" : "bad record size");
        }
        if (h.kind == WARD__TRACE_REC_SITE) {
                if (f->pos >= UINT32_MAX || take_site(f, rec, h.size) < 0) {
                        return bad_record(f, err, err_size, "bad SITE record");
                }
        } else if (h.kind == WARD__TRACE_REC_TIME && f->packed) {
                f->sync = h.tsc;
        } else if (h.kind == WARD__TRACE_REC_EVENT || h.kind == WARD__TRACE_REC_LOST) {
                if (h.kind == WARD__TRACE_REC_EVENT && !(site = site_of(f, h.site, &site_len))) {
                        return bad_record(f, err, err_size, "event of an unknown site");
                }
                if (h.kind == WARD__TRACE_REC_LOST && h.size < 24) {
                        return bad_record(f, err, err_size, "short LOST record");
                }
                *ev = (struct ward__trace_fev){.ns = ns_of(f, h.tsc, absurd),
                                               .kind = h.kind,
                                               .rec = rec,
                                               .len = h.size,
                                               .site = site,
                                               .site_len = site_len};
                f->pos += h.size;
                return 1;
        } else if (h.kind != WARD__TRACE_REC_PAD) {
                return bad_record(f, err, err_size, "unknown record kind");
        }
        f->pos += h.size;
        return 0;
}

/* unpack_buf: the next of the buffers unpacked events go to, with room for
 * cap bytes; NULL when out of memory. */
static uint8_t *unpack_buf(struct ward__trace_tfile *f, unsigned i, size_t cap)
{
        if (f->unpacked_cap[i] < cap) {
                uint8_t *p = realloc(f->unpacked[i], cap);
                if (!p) {
                        return NULL;
                }
                f->unpacked[i] = p;
                f->unpacked_cap[i] = cap;
        }
        return f->unpacked[i];
}

/* read_packed_event: the packed event of site id at pos (after its tag),
 * unpacked into the next buffer. Returns 1, or -EBADMSG. */
static int read_packed_event(struct ward__trace_tfile *f, uint32_t id, struct ward__trace_fev *ev,
                             int *absurd, char *err, size_t err_size)
{
        size_t site_len = 0, used, size;
        const uint8_t *site = site_of(f, id, &site_len);
        if (!site) {
                return bad_record(f, err, err_size, "packed event of an unknown site");
        }
        struct ward__trace_unpack_ctx c = {
            .site = id, .nargs = f->sites[id].nargs, .types = f->sites[id].types, .sync = f->sync};
        unsigned i = f->next_buf;
        int r = -ENOBUFS;
        for (size_t cap = 256; r == -ENOBUFS && cap <= 2 * WARD__TRACE_UNPACK_MAX; cap *= 16) {
                uint8_t *out = unpack_buf(f, i, cap);
                r = out ? ward__trace_unpack_event(&c, f->data + f->pos, f->size - f->pos, out,
                                                   f->unpacked_cap[i], &used, &size)
                        : -ENOMEM;
        }
        if (r < 0) {
                return bad_record(f, err, err_size,
                                  r == -ENOMEM ? "out of memory" : "bad packed event");
        }
        struct ward__trace_rec h;
        memcpy(&h, f->unpacked[i], sizeof(h));
        f->next_buf = (i + 1) % UNPACKED_BUFS;
        *ev = (struct ward__trace_fev){.ns = ns_of(f, h.tsc, absurd),
                                       .kind = WARD__TRACE_REC_EVENT,
                                       .rec = f->unpacked[i],
                                       .len = size,
                                       .site = site,
                                       .site_len = site_len};
        f->pos += used;
        return 1;
}

/* read_next: the next EVENT or LOST record, as the ring had it. In a
 * version 3 file each entry starts with a varint: 0, then a record as the
 * ring had it, or a site id, then that site's packed event. */
static int read_next(struct ward__trace_tfile *f, struct ward__trace_fev *ev, int *absurd,
                     char *err, size_t err_size)
{
        while (!f->done && f->pos < f->size) {
                int r;
                if (!f->packed) {
                        r = read_record(f, ev, absurd, err, err_size);
                } else {
                        uint64_t tag;
                        size_t n = ward__trace_get_varint(f->data + f->pos, f->size - f->pos, &tag);
                        if (!n || tag > WARD__TRACE_MAX_SITES) {
                                return bad_record(f, err, err_size, "bad entry tag");
                        }
                        f->pos += n;
                        r = tag == 0
                                ? read_record(f, ev, absurd, err, err_size)
                                : read_packed_event(f, (uint32_t)tag, ev, absurd, err, err_size);
                }
                if (r != 0) {
                        return r;
                }
        }
        return 0;
}

/* fix_time: ev's time, unless it goes back past the previous event, stands
 * out above both neighbours (a damaged high byte), or is absurd: then the
 * previous event's time (or, first in the file, the next one's), counted. */
static void fix_time(struct ward__trace_tfile *f, struct ward__trace_fev *ev, int absurd)
{
        uint64_t ns = ev->ns;
        int next_ok = f->ahead_r > 0 && !f->ahead_absurd;
        uint64_t next = next_ok ? f->ahead.ns : UINT64_MAX;
        int spike = next < ns && (!f->started || next >= f->last_ns);
        if ((f->started && ns < f->last_ns) || absurd || spike) {
                ns = f->started ? f->last_ns : next_ok ? next : f->hdr.ns_base;
                f->fixed++;
        }
        ev->ns = ns;
        f->last_ns = ns;
        f->started = 1;
}

int ward__trace_tfile_next(struct ward__trace_tfile *f, struct ward__trace_fev *ev, char *err,
                           size_t err_size)
{
        if (!f->primed) {
                f->ahead_r =
                    read_next(f, &f->ahead, &f->ahead_absurd, f->ahead_err, sizeof(f->ahead_err));
                f->primed = 1;
        }
        int r = f->ahead_r, absurd = f->ahead_absurd;
        if (r <= 0) {
                if (r < 0 && err_size) {
                        snprintf(err, err_size, "%s", f->ahead_err);
                }
                f->ahead_r = 0;
                return r;
        }
        *ev = f->ahead;
        f->ahead_r = read_next(f, &f->ahead, &f->ahead_absurd, f->ahead_err, sizeof(f->ahead_err));
        fix_time(f, ev, absurd);
        return 1;
}

uint64_t ward__trace_tfile_fixed_times(const struct ward__trace_tfile *f)
{
        return f->fixed;
}

const char *ward__trace_tfile_path(const struct ward__trace_tfile *f)
{
        return f->path;
}

size_t ward__trace_tfile_read(const struct ward__trace_tfile *f)
{
        return f->done ? f->size : f->pos;
}

size_t ward__trace_tfile_size(const struct ward__trace_tfile *f)
{
        return f->size;
}
