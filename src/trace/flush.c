/* Flushing: each thread's pending records, from its ring in the shared file,
 * to <dir>/<name>.trace.<tid>, with the SITE records its events need, and
 * rotation. Everything here is async-signal-safe (ward_trace_flush runs it
 * from signal handlers): no malloc, no locks, no stdio; only open, writev,
 * rename, close, clock_gettime, clock_nanosleep. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/clock.h"
#include "trace/pack.h"
#include "trace/tracer.h"

#define MAX_IOV 64
#define CALIBRATION_NS 20000000u

/* What a pass writes goes through its lane's staging buffer (one flush of a
 * lane runs at a time: lane->flushing), written out when the next record
 * might not fit: a write of about this size, whatever the records. Lanes
 * that never run leave theirs untouched, so not resident. */
#define STAGING_SIZE (256u * 1024 + 65536 + WARD__TRACE_PACK_SLACK)
static uint8_t staging[WARD__TRACE_LANES_MAX][STAGING_SIZE];

struct out {
        int fd;
        uint8_t *buf;
        size_t used;
        size_t bytes; /* written through this out, staged or not */
};

/* put_num: decimal digits of v at p; returns the end. */
static char *put_num(char *p, uint64_t v)
{
        char tmp[24];
        int n = 0;
        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        while (n) {
                *p++ = tmp[--n];
        }
        return p;
}

static char *put_text(char *p, const char *end, const char *s)
{
        while (*s && p < end) {
                *p++ = *s++;
        }
        return p;
}

/* file_path: <dir>/<name>.trace.<tid>[.<k>] (k > 0: an older, rotated file). */
static void file_path(const struct ward__tracer *tr, uint32_t tid, unsigned k, char *buf,
                      size_t size)
{
        char *p = buf, *end = buf + size - 48;
        p = put_text(p, end, tr->dir);
        p = put_text(p, end, "/");
        p = put_text(p, end, tr->name);
        p = put_text(p, end, ".trace.");
        p = put_num(p, tid);
        if (k) {
                *p++ = '.';
                p = put_num(p, k);
        }
        *p = '\0';
}

static void write_all(int fd, const struct iovec *iov, int n)
{
        struct iovec v[MAX_IOV];
        memcpy(v, iov, (size_t)n * sizeof(*v));
        struct iovec *cur = v;
        while (n > 0) {
                ssize_t w = writev(fd, cur, n);
                if (w < 0 && errno == EINTR) {
                        continue;
                }
                if (w <= 0) {
                        return; /* disk full or gone: these events are lost */
                }
                while (n > 0 && (size_t)w >= cur->iov_len) {
                        w -= (ssize_t)cur->iov_len;
                        cur++;
                        n--;
                }
                if (n > 0) {
                        cur->iov_base = (char *)cur->iov_base + w;
                        cur->iov_len -= (size_t)w;
                }
        }
}

static void out_flush(struct out *o)
{
        if (o->used) {
                struct iovec v = {o->buf, o->used};
                write_all(o->fd, &v, 1);
                o->used = 0;
        }
}

/* out_room: where n more bytes (n <= 65536 + slack) go in the staging
 * buffer, written out first when they might not fit. */
static uint8_t *out_room(struct out *o, size_t n)
{
        if (o->used + n > STAGING_SIZE) {
                out_flush(o);
        }
        return o->buf + o->used;
}

static void out_commit(struct out *o, size_t n)
{
        o->used += n;
        o->bytes += n;
}

/* out_record: a record as the ring has it, after its tag (a 0 byte: not a
 * packed event). */
static void out_record(struct out *o, const void *rec, size_t n)
{
        uint8_t *p = out_room(o, n + 1);
        p[0] = 0;
        memcpy(p + 1, rec, n);
        out_commit(o, n + 1);
}

void ward__trace_calibrate(struct ward__tracer *tr)
{
        struct ward__trace_shm *h = tr->shm;
        if (__atomic_load_n(&h->tsc_hz, __ATOMIC_ACQUIRE)) {
                return;
        }
        /* from when tracing started, 20 ms at least */
        uint64_t hz = ward__clock_tsc_hz(h->tsc_base, h->ns_base, CALIBRATION_NS);
        uint64_t none = 0; /* two calibrating at once: the first one's rate stays */
        __atomic_compare_exchange_n(&h->tsc_hz, &none, hz, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* open_file: a new current file for s's thread, with its header. */
static int open_file(struct ward__tracer *tr, struct ward__trace_slot_state *s, uint32_t tid)
{
        char path[PATH_MAX + 128];
        file_path(tr, tid, 0, path, sizeof(path));
        s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (s->fd < 0) {
                return -1;
        }
        ward__trace_calibrate(tr);
        struct ward__trace_file_hdr fh = {.version = WARD__TRACE_FILE_VERSION,
                                          .hdr_size = sizeof(fh),
                                          .pid = (uint32_t)tr->pid,
                                          .tid = tid,
                                          .tsc_hz =
                                              __atomic_load_n(&tr->shm->tsc_hz, __ATOMIC_ACQUIRE),
                                          .tsc_base = tr->shm->tsc_base,
                                          .ns_base = tr->shm->ns_base,
                                          .seq = s->seq,
                                          .real_base = tr->shm->real_base};
        memcpy(fh.magic, WARD__TRACE_FILE_MAGIC, sizeof(WARD__TRACE_FILE_MAGIC));
        memcpy(fh.name, tr->name, sizeof(fh.name));
        memcpy(fh.host, tr->host, sizeof(fh.host));
        memcpy(fh.boot_id, tr->boot_id, sizeof(fh.boot_id));
        ward__clock_anchor(&fh.anchor_mono, &fh.anchor_real);
        struct iovec v = {&fh, sizeof(fh)};
        write_all(s->fd, &v, 1);
        s->file_tid = tid;
        s->file_bytes = sizeof(fh);
        s->sync = fh.tsc_base;
        s->since_sync = WARD__TRACE_PACK_SYNC_EVERY; /* a TIME before the first packed event */
        memset(s->site_written, 0, sizeof(s->site_written));
        return 0;
}

static void close_file(struct ward__trace_slot_state *s)
{
        if (s->fd >= 0) {
                close(s->fd);
                s->fd = -1;
        }
}

/* drop_oldest: delete the file that rotation would replace (the current
 * one when only one is kept), leaving its last descriptor to the reaper:
 * renaming over it, or truncating it, would free its blocks here. */
static void drop_oldest(struct ward__tracer *tr, uint32_t tid)
{
        char path[PATH_MAX + 128];
        file_path(tr, tid, tr->opts.rotate_keep - 1, path, sizeof(path));
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                unlink(path);
                ward__trace_reap(tr, fd);
        }
}

/* rotate: name.trace.T becomes .1, .1 becomes .2, ...; keep files in all. */
static void rotate(struct ward__tracer *tr, struct ward__trace_slot_state *s)
{
        char from[PATH_MAX + 128], to[PATH_MAX + 128];
        uint32_t tid = s->file_tid;
        close_file(s);
        drop_oldest(tr, tid);
        for (unsigned k = tr->opts.rotate_keep - 1; k >= 1; k--) {
                file_path(tr, tid, k - 1, from, sizeof(from));
                file_path(tr, tid, k, to, sizeof(to));
                rename(from, to);
        }
        s->seq++;
        open_file(tr, s, tid);
}

/* site_in_file: the open file has the SITE record of id already (then id
 * was a site of the dictionary when it was written). */
static inline int site_in_file(const struct ward__trace_slot_state *s, uint32_t id)
{
        return id <= WARD__TRACE_MAX_SITES && (s->site_written[id / 8] & (1u << (id % 8)));
}

/* add_site: the SITE record of id, from the dictionary, into a file that
 * does not have it yet (site_in_file: the caller asked). */
static int add_site(struct ward__tracer *tr, struct ward__trace_slot_state *s, struct out *o,
                    uint32_t id)
{
        struct ward__trace_shm *h = tr->shm;
        if (id == 0 || id > __atomic_load_n(&h->nsites, __ATOMIC_ACQUIRE)) {
                return -1;
        }
        const uint8_t *rec = tr->map + h->dict_off + tr->site_off[id];
        struct ward__trace_rec rh;
        memcpy(&rh, rec, sizeof(rh));
        if (rh.size < sizeof(rh) ||
            tr->site_off[id] + rh.size > __atomic_load_n(&h->dict_used, __ATOMIC_ACQUIRE)) {
                return -1;
        }
        out_record(o, rec, rh.size);
        s->site_written[id / 8] |= (uint8_t)(1u << (id % 8));
        return 0;
}

/* The argument types of the site whose events a drain packs (one site at a
 * time: a run of one site's events looks them up once). nargs > max: the
 * site's record is too short to hold its types; its events go unpacked. */
struct site_types {
        uint32_t id;
        unsigned nargs;
        uint8_t types[WARD__TRACE_MAX_ARGS];
};

/* look_up_types: st for site id (a site of the dictionary, checked by
 * add_site), copied out of the shared file. */
static void look_up_types(struct ward__tracer *tr, uint32_t id, struct site_types *st)
{
        const uint8_t *rec = tr->map + tr->shm->dict_off + tr->site_off[id];
        struct ward__trace_rec rh;
        struct ward__trace_site_rec sr;
        memcpy(&rh, rec, sizeof(rh));
        memcpy(&sr, rec + sizeof(rh), sizeof(sr));
        st->id = id;
        st->nargs = sr.nargs;
        if (rh.size < sizeof(rh) + sizeof(sr) + sr.nargs || sr.nargs > WARD__TRACE_MAX_ARGS) {
                st->nargs = WARD__TRACE_MAX_ARGS + 1;
                return;
        }
        memcpy(st->types, rec + sizeof(rh) + sizeof(sr), sr.nargs);
}

/* out_time: a TIME record, the time base of the packed events after it. */
static void out_time(struct ward__trace_slot_state *s, struct out *o, uint64_t tsc)
{
        struct ward__trace_rec t = {.size = sizeof(t), .kind = WARD__TRACE_REC_TIME, .tsc = tsc};
        out_record(o, &t, sizeof(t));
        s->sync = tsc;
        s->since_sync = 0;
}

/* out_event: the EVENT record rec (size bytes, its site in the file
 * already) packed, or as it is when it does not match its site. */
static void out_event(struct ward__tracer *tr, struct ward__trace_slot_state *s, struct out *o,
                      const uint8_t *rec, const struct ward__trace_rec *rh, struct site_types *st)
{
        if (st->id != rh->site) {
                look_up_types(tr, rh->site, st);
        }
        if (st->nargs <= WARD__TRACE_MAX_ARGS) {
                if (s->since_sync >= WARD__TRACE_PACK_SYNC_EVERY) {
                        out_time(s, o, rh->tsc);
                }
                uint8_t *p = out_room(o, rh->size + WARD__TRACE_PACK_SLACK);
                size_t n = ward__trace_pack_event(p, rec, rh->size, st->types, st->nargs, s->sync);
                if (n) {
                        out_commit(o, n);
                        s->since_sync++;
                        return;
                }
        }
        out_record(o, rec, rh->size);
}

/* drain: records [*r, w) of slot i to its file, through the staging buffer,
 * stopping at the first record boundary past quantum bytes of the ring;
 * returns events written. Events are packed (pack.h); a record that does
 * not parse (the shared file was scribbled on) ends the pass: the rest up
 * to w is skipped. */
static int drain(struct ward__tracer *tr, uint32_t i, uint64_t *r, uint64_t w, uint64_t quantum)
{
        struct ward__trace_slot_state *s = &tr->slots[i];
        const uint8_t *ring = ward__trace_slot_ring(tr, i);
        uint64_t size = tr->opts.buffer_size;
        uint64_t end = w - *r > quantum ? *r + quantum : w;
        struct out o = {.fd = s->fd, .buf = staging[ward__trace_lane_of(tr, i)]};
        struct site_types st = {0};
        int events = 0;
        while (*r < end) {
                uint64_t off = *r & (size - 1), left = size - off;
                struct ward__trace_rec rh;
                if (left < sizeof(rh)) {
                        *r += left;
                        continue;
                }
                memcpy(&rh, ring + off, sizeof(rh));
                if (rh.kind == WARD__TRACE_REC_PAD) {
                        *r += left;
                        continue;
                }
                int bad = rh.size < sizeof(rh) || rh.size % 8 || rh.size > left ||
                          *r + rh.size > w ||
                          (rh.kind != WARD__TRACE_REC_EVENT && rh.kind != WARD__TRACE_REC_LOST);
                if (bad || (rh.kind == WARD__TRACE_REC_EVENT && !site_in_file(s, rh.site) &&
                            add_site(tr, s, &o, rh.site) < 0)) {
                        *r = w;
                        break;
                }
                if (s->file_bytes + o.bytes >= tr->opts.rotate_bytes) {
                        out_flush(&o);
                        s->file_bytes += o.bytes;
                        o.bytes = 0;
                        rotate(tr, s);
                        o.fd = s->fd;
                        if (s->fd < 0) {
                                *r = w;
                                break;
                        }
                        continue; /* the record again: its site goes into the new file */
                }
                if (rh.kind == WARD__TRACE_REC_EVENT) {
                        out_event(tr, s, &o, ring + off, &rh, &st);
                        events++;
                } else {
                        out_record(&o, ring + off, rh.size);
                        if (rh.size >= 24) {
                                uint64_t n;
                                memcpy(&n, ring + off + 16, 8);
                                s->lost_seen += n;
                        }
                }
                *r += rh.size;
        }
        out_flush(&o);
        s->file_bytes += o.bytes;
        if (s->file_bytes >= tr->opts.rotate_bytes / 2) {
                atomic_store_explicit(&tr->rotation_near, 1, memory_order_relaxed);
        }
        return events;
}

/* record_unseen_drops: a LOST record in the file for drops the producer
 * never got to record in its ring (it dropped until it exited or tracing
 * stopped), so files account for every event. */
static void record_unseen_drops(struct ward__trace_slot *h, struct ward__trace_slot_state *s)
{
        uint64_t dropped = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
        if (dropped <= s->lost_seen || s->fd < 0) {
                return;
        }
        uint8_t rec[25]; /* the tag, then the record */
        struct ward__trace_rec rh = {
            .size = 24, .kind = WARD__TRACE_REC_LOST, .tsc = ward__trace_clock()};
        uint64_t n = dropped - s->lost_seen;
        rec[0] = 0;
        memcpy(rec + 1, &rh, sizeof(rh));
        memcpy(rec + 17, &n, 8);
        struct iovec v = {rec, sizeof(rec)};
        write_all(s->fd, &v, 1);
        s->file_bytes += sizeof(rec);
        s->lost_seen = dropped;
}

static int flush_slot(struct ward__tracer *tr, uint32_t i, int final, uint64_t quantum, int *more)
{
        struct ward__trace_slot *h = ward__trace_slot_hdr(tr, i);
        struct ward__trace_slot_state *s = &tr->slots[i];
        uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
        if (state == WARD__TRACE_SLOT_FREE) {
                return 0;
        }
        uint64_t w = __atomic_load_n(&h->write, __ATOMIC_ACQUIRE);
        uint64_t r = h->read;
        int events = 0;
        if (w - r > tr->opts.buffer_size) {
                r = w; /* impossible unless scribbled on: resynchronize */
        }
        uint32_t tid = __atomic_load_n(&h->tid, __ATOMIC_RELAXED);
        if (w != r && (s->fd < 0 || s->file_tid != tid)) {
                close_file(s);
                s->seq = 0;
                if (open_file(tr, s, tid) < 0) {
                        r = w; /* no file: these events are lost */
                }
        }
        if (w != r) {
                events = drain(tr, i, &r, w, quantum);
        }
        __atomic_store_n(&h->read, r, __ATOMIC_RELEASE);
        __atomic_store_n(&h->flushed, h->flushed + (uint64_t)events, __ATOMIC_RELAXED);
        if (r != w) {
                *more = 1; /* the rest in the next pass; losses and the exit after it */
                return events;
        }
        if (state == WARD__TRACE_SLOT_EXITED || final) {
                record_unseen_drops(h, s);
        }
        if (state == WARD__TRACE_SLOT_EXITED) {
                close_file(s);
                __atomic_fetch_add(&tr->dropped_retired,
                                   __atomic_load_n(&h->dropped, __ATOMIC_RELAXED),
                                   __ATOMIC_RELAXED);
                s->lost_seen = 0;
                __atomic_store_n(&h->state, WARD__TRACE_SLOT_FREE, __ATOMIC_RELEASE);
        }
        return events;
}

int ward__trace_flush_pass(struct ward__tracer *tr, uint32_t lane, int final, uint64_t quantum,
                           int *more)
{
        atomic_int *flushing = &tr->lanes[lane].flushing;
        int expected = 0;
        if (!atomic_compare_exchange_strong(flushing, &expected, 1)) {
                return -EBUSY;
        }
        int events = 0;
        uint32_t n = ward__trace_slots_seen(tr);
        for (uint32_t i = lane; i < n; i += tr->nlanes) {
                events += flush_slot(tr, i, final, quantum, more);
        }
        atomic_store(flushing, 0);
        return events;
}

int ward__trace_flush_all(struct ward__tracer *tr, int final, int tries)
{
        int events = 0;
        for (uint32_t lane = 0; lane < tr->nlanes; lane++) {
                int r = -EBUSY;
                for (int n = 0; r == -EBUSY && (tries < 0 || n < tries); n++) {
                        int more = 0;
                        r = ward__trace_flush_pass(tr, lane, final, UINT64_MAX, &more);
                        r == -EBUSY ? sched_yield() : 0;
                }
                if (r < 0) {
                        return r;
                }
                events += r;
        }
        return events;
}

int ward_trace_flush(void)
{
        struct ward__tracer *tr = __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
        if (!tr) {
                return -ENOTCONN;
        }
        /* a lane's flusher may be mid-pass: wait for it a little, but not
         * forever (this may be that flusher itself, interrupted) */
        return ward__trace_flush_all(tr, 0, 1000);
}
