/* Reading a process's trace buffers from outside: see live.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/procstat.h"
#include "inspect/trace/live.h"

static int fail(char *err, size_t err_size, int code, const char *path, const char *what)
{
        if (err_size) {
                snprintf(err, err_size, "%s: %s", path, what);
        }
        return code;
}

/* start_time_of: field 22 of /proc/PID/stat, 0 when the process is gone. */
static uint64_t start_time_of(int pid)
{
        uint64_t start = 0;
        return ward__proc_stat(pid, NULL, &start) == 0 ? start : 0;
}

/* check_header: does h describe a layout that fits size bytes? */
static const char *check_header(const struct ward__trace_shm *h, size_t size, int pid)
{
        uint64_t ring = h->slot_size - WARD__TRACE_PAGE;
        if (memcmp(&h->magic, WARD__TRACE_SHM_MAGIC, sizeof(WARD__TRACE_SHM_MAGIC)) != 0) {
                return "not a ward trace buffers file (bad magic)";
        }
        if (h->version != WARD__TRACE_VERSION) {
                return "unsupported buffers file version";
        }
        if ((int)h->pid != pid) {
                return "the file names another process";
        }
        if (h->slot_size <= WARD__TRACE_PAGE || ring < 65536 || (ring & (ring - 1)) ||
            h->nslots == 0 || h->nslots > 65536 || h->dict_off < WARD__TRACE_PAGE ||
            h->dict_size > (1u << 30) || h->dict_off + h->dict_size > h->slots_off ||
            h->slots_off > size || (size - h->slots_off) / h->slot_size < h->nslots) {
                return "inconsistent layout in the header";
        }
        return NULL;
}

int ward__trace_live_open(int pid, int writable, struct ward__trace_live *l, char *err,
                          size_t err_size)
{
        char path[64];
        snprintf(path, sizeof(path), "/dev/shm/ward-trace.%d", pid);
        return ward__trace_live_open_path(path, pid, writable, l, err, err_size);
}

int ward__trace_live_open_path(const char *path, int pid, int writable, struct ward__trace_live *l,
                               char *err, size_t err_size)
{
        struct stat st;
        memset(l, 0, sizeof(*l));
        l->fd = -1;
        l->writable = writable;
        snprintf(l->path, sizeof(l->path), "%s", path);
        l->fd = open(l->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
        if (l->fd < 0) {
                int e = errno;
                return fail(err, err_size, -e, l->path,
                            e == ENOENT ? "no such file (is the process tracing?)" : strerror(e));
        }
        if (fstat(l->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            (size_t)st.st_size < WARD__TRACE_PAGE) {
                ward__trace_live_close(l);
                return fail(err, err_size, -EBADMSG, l->path, "not a buffers file (too small)");
        }
        l->size = (size_t)st.st_size;
        void *map =
            mmap(NULL, l->size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, l->fd, 0);
        if (map == MAP_FAILED) {
                int e = errno;
                ward__trace_live_close(l);
                return fail(err, err_size, -e, l->path, strerror(e));
        }
        l->map = map;
        memcpy(&l->hdr, map, sizeof(l->hdr));
        pid = pid > 0 ? pid : (int)l->hdr.pid; /* a file named by path says whose it is */
        const char *bad = check_header(&l->hdr, l->size, pid);
        if (bad) {
                ward__trace_live_close(l);
                return fail(err, err_size, -EBADMSG, l->path, bad);
        }
        uint64_t started = start_time_of(pid);
        l->alive = started != 0 && started == l->hdr.start_time;
        if (started != 0 && started != l->hdr.start_time) {
                ward__trace_live_close(l);
                return fail(err, err_size, -ESTALE, l->path,
                            "left by an earlier process with the same pid");
        }
        return 0;
}

void ward__trace_live_close(struct ward__trace_live *l)
{
        if (l->map) {
                munmap(l->map, l->size);
                l->map = NULL;
        }
        if (l->fd >= 0) {
                close(l->fd);
                l->fd = -1;
        }
}

uint32_t ward__trace_live_index_sites(struct ward__trace_live *l)
{
        const struct ward__trace_shm *h = (const void *)l->map;
        uint32_t n = __atomic_load_n(&h->nsites, __ATOMIC_ACQUIRE);
        uint32_t used = __atomic_load_n(&h->dict_used, __ATOMIC_RELAXED);
        uint32_t off = l->nsites ? l->site_off[l->nsites] : 0;
        if (used > l->hdr.dict_size || n > WARD__TRACE_MAX_SITES) {
                return l->nsites;
        }
        if (l->nsites) { /* continue after the last record indexed */
                struct ward__trace_rec rh;
                memcpy(&rh, l->map + l->hdr.dict_off + off, sizeof(rh));
                off += rh.size;
        }
        while (l->nsites < n && off + sizeof(struct ward__trace_rec) <= used) {
                struct ward__trace_rec rh;
                memcpy(&rh, l->map + l->hdr.dict_off + off, sizeof(rh));
                if (rh.kind != WARD__TRACE_REC_SITE || rh.size < sizeof(rh) + 8 || rh.size % 8 ||
                    off + rh.size > used) {
                        break;
                }
                l->site_off[++l->nsites] = off;
                off += rh.size;
        }
        return l->nsites;
}

const uint8_t *ward__trace_live_site(const struct ward__trace_live *l, uint32_t id, size_t *len)
{
        if (id == 0 || id > l->nsites) {
                return NULL;
        }
        const uint8_t *rec = l->map + l->hdr.dict_off + l->site_off[id];
        struct ward__trace_rec rh;
        memcpy(&rh, rec, sizeof(rh));
        *len = rh.size;
        return rec;
}

static struct ward__trace_slot *slot_at(const struct ward__trace_live *l, uint32_t i)
{
        return (struct ward__trace_slot *)(l->map + l->hdr.slots_off + i * l->hdr.slot_size);
}

void ward__trace_live_slot(const struct ward__trace_live *l, uint32_t i,
                           struct ward__trace_live_slot *ret)
{
        struct ward__trace_slot *s = slot_at(l, i);
        ret->state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        ret->tid = __atomic_load_n(&s->tid, __ATOMIC_RELAXED);
        ret->write = __atomic_load_n(&s->write, __ATOMIC_ACQUIRE);
        ret->read = __atomic_load_n(&s->read, __ATOMIC_ACQUIRE);
        ret->dropped = __atomic_load_n(&s->dropped, __ATOMIC_RELAXED);
}

/* copy_range: ring bytes [start, end) into out. */
static void copy_range(const uint8_t *base, uint64_t ring, uint64_t start, uint64_t end,
                       struct ward__buf *out)
{
        out->len = 0;
        for (uint64_t p = start; p < end;) {
                uint64_t off = p & (ring - 1), n = ring - off < end - p ? ring - off : end - p;
                ward__buf_put(out, base + off, n);
                p += n;
        }
}

uint64_t ward__trace_live_copy(const struct ward__trace_live *l, uint32_t i, uint64_t *from,
                               struct ward__buf *out)
{
        uint64_t ring = l->hdr.slot_size - WARD__TRACE_PAGE;
        struct ward__trace_slot *s = slot_at(l, i);
        const uint8_t *base = (const uint8_t *)s + WARD__TRACE_PAGE;
        uint64_t start = *from;
        for (int tries = 0; tries < 8; tries++) {
                uint64_t end = __atomic_load_n(&s->write, __ATOMIC_ACQUIRE);
                if (start > end || end - start > ring) {
                        /* a position we cannot trust: the flusher's is a record
                         * boundary the producer has not passed a lap beyond */
                        start = __atomic_load_n(&s->read, __ATOMIC_ACQUIRE);
                        start = start > end || end - start > ring ? end : start;
                }
                copy_range(base, ring, start, end, out);
                uint64_t now = __atomic_load_n(&s->write, __ATOMIC_ACQUIRE);
                if (now - start <= ring) {
                        *from = start;
                        return end;
                }
                start = end + 1; /* overwritten while we copied: resynchronize */
        }
        out->len = 0;
        *from = __atomic_load_n(&s->write, __ATOMIC_ACQUIRE);
        return *from;
}

const struct ward__trace_rec *ward__trace_live_next(const struct ward__trace_live *l,
                                                    const struct ward__buf *copy, uint64_t start,
                                                    uint64_t end, uint64_t *pos)
{
        uint64_t ring = l->hdr.slot_size - WARD__TRACE_PAGE;
        while (*pos < end) {
                uint64_t off = *pos & (ring - 1), left = ring - off;
                struct ward__trace_rec rh;
                if (left < sizeof(rh)) {
                        *pos += left;
                        continue;
                }
                if (end - *pos < sizeof(rh)) {
                        return NULL;
                }
                const uint8_t *p = copy->p + (*pos - start);
                memcpy(&rh, p, sizeof(rh));
                if (rh.kind == WARD__TRACE_REC_PAD) {
                        *pos += left;
                        continue;
                }
                if (rh.size < sizeof(rh) || rh.size % 8 || rh.size > left || rh.size > end - *pos) {
                        return NULL;
                }
                *pos += rh.size;
                return (const struct ward__trace_rec *)(const void *)p;
        }
        return NULL;
}

/* measure_hz: the TSC rate, measured here over 20 ms (the counter is the
 * machine's: a process that died before calibrating ran at the same rate). */
static uint64_t measure_hz(void)
{
        uint64_t tsc, ns;
        ward__clock_pair(&tsc, &ns);
        return ward__clock_tsc_hz(tsc, ns, 20000000u);
}

int ward__trace_live_alive(int pid)
{
        char state = 0;
        return ward__proc_stat(pid, &state, NULL) == 0 && state != 'Z' && state != 'X';
}

uint64_t ward__trace_live_hz(struct ward__trace_live *l)
{
        const struct ward__trace_shm *h = (const void *)l->map;
        uint64_t hz = __atomic_load_n(&h->tsc_hz, __ATOMIC_ACQUIRE);
        if (!hz && !l->local_hz) {
                l->local_hz = measure_hz();
        }
        return hz ? hz : l->local_hz;
}

uint64_t ward__trace_live_ns(struct ward__trace_live *l, uint64_t tsc)
{
        uint64_t hz = ward__trace_live_hz(l);
        double d = (double)(int64_t)(tsc - l->hdr.tsc_base) * 1e9 / (double)hz;
        d = d > 9e18 ? 9e18 : d < -9e18 ? -9e18 : d; /* a file's values may be absurd */
        return l->hdr.ns_base + (uint64_t)(int64_t)d;
}
