/* ward_trace_reader_recover_files: the unflushed events of a buffers file as
 * trace files that ward_trace_merge_open reads with the flushed ones. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ward/trace-read.h>

#include "core/host.h"
#include "inspect/trace/reader.h"

static int fail(char *err, size_t err_size, int code, const char *path)
{
        if (err_size) {
                snprintf(err, err_size, "%s: %s", path, strerror(-code));
        }
        return code;
}

/* open_out: DIR/<name>.trace.<tid>.recovered with its file header. */
static int open_out(struct ward__trace_live *l, const char *dir, uint32_t tid, FILE **ret,
                    char *err, size_t err_size)
{
        char path[4096];
        char name[sizeof(l->hdr.name) + 1] = {0};
        memcpy(name, l->hdr.name, sizeof(l->hdr.name));
        name[strcspn(name, "/")] = '\0';
        snprintf(path, sizeof(path), "%s/%s.trace.%u.recovered", dir, name[0] ? name : "ward", tid);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!f) {
                int e = errno;
                if (fd >= 0) {
                        close(fd);
                }
                return fail(err, err_size, -e, path);
        }
        struct ward__trace_file_hdr h = {.version = WARD__TRACE_FILE_VERSION_RAW,
                                         .hdr_size = sizeof(h),
                                         .pid = l->hdr.pid,
                                         .tid = tid,
                                         .tsc_hz = ward__trace_live_hz(l),
                                         .tsc_base = l->hdr.tsc_base,
                                         .ns_base = l->hdr.ns_base,
                                         .seq = UINT32_MAX, /* after every flushed file */
                                         .real_base = l->hdr.real_base};
        memcpy(h.magic, WARD__TRACE_FILE_MAGIC, sizeof(WARD__TRACE_FILE_MAGIC));
        memcpy(h.name, l->hdr.name, sizeof(h.name));
        /* the buffers are in this machine's /dev/shm: the process ran here */
        ward__host_identity(h.host, h.boot_id);
        h.anchor_mono = l->hdr.ns_base;
        h.anchor_real = l->hdr.real_base;
        fwrite(&h, sizeof(h), 1, f);
        *ret = f;
        return 0;
}

/* recover_slot: slot i's unflushed records into a file of dir, with the SITE
 * records they need. Returns the number of events or -errno. */
static long recover_slot(struct ward__trace_live *l, uint32_t i, const char *dir, uint8_t *written,
                         char *err, size_t err_size)
{
        struct ward__trace_live_slot st;
        struct ward__buf copy = {0};
        ward__trace_live_slot(l, i, &st);
        uint64_t start = st.read;
        uint64_t end = ward__trace_live_copy(l, i, &start, &copy);
        uint64_t p = start;
        FILE *f = NULL;
        long events = 0;
        const struct ward__trace_rec *rec;
        memset(written, 0, WARD__TRACE_MAX_SITES + 1);
        while (events >= 0 && (rec = ward__trace_live_next(l, &copy, start, end, &p))) {
                size_t site_len = 0;
                const uint8_t *site = rec->kind == WARD__TRACE_REC_EVENT
                                          ? ward__trace_live_site(l, rec->site, &site_len)
                                          : NULL;
                if (!f) {
                        int r = open_out(l, dir, st.tid, &f, err, err_size);
                        if (r < 0) {
                                events = r;
                                break;
                        }
                }
                events += rec->kind == WARD__TRACE_REC_EVENT;
                if (site && !written[rec->site]) {
                        fwrite(site, site_len, 1, f);
                        written[rec->site] = 1;
                }
                fwrite(rec, rec->size, 1, f);
        }
        if (f && fclose(f) != 0 && events >= 0) {
                events = fail(err, err_size, -EIO, dir);
        }
        ward__buf_free(&copy);
        return events;
}

long ward_trace_reader_recover_files(ward_trace_reader *r, const char *dir, char *err,
                                     size_t err_size)
{
        if (!r || !dir) {
                return -EINVAL;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                return fail(err, err_size, -errno, dir);
        }
        uint8_t *written = malloc(WARD__TRACE_MAX_SITES + 1);
        long total = written ? 0 : -ENOMEM;
        ward__trace_live_index_sites(&r->live);
        for (uint32_t i = 0; total >= 0 && i < r->live.hdr.nslots; i++) {
                long n = recover_slot(&r->live, i, dir, written, err, err_size);
                total = n < 0 ? n : total + n;
        }
        free(written);
        return total;
}
