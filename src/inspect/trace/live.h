/* Reading another process's trace buffers (/dev/shm/ward-trace.<pid>) while
 * it runs, or after it died: `ward trace tail`, `level` and `recover`. The
 * file is untrusted (any process of the user can write it): the header is
 * checked once, every byte range is copied before it is parsed, and a range
 * the producer may have overwritten meanwhile is discarded. */
#ifndef WARD_TRACE_LIVE_H
#define WARD_TRACE_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "trace/layout.h"

struct ward__trace_live {
        int fd;
        int writable; /* opened read-write (the level can be set) */
        uint8_t *map;
        size_t size;
        struct ward__trace_shm hdr; /* a checked copy */
        char path[4096];
        int alive;         /* the process that wrote it still runs */
        uint64_t local_hz; /* our own TSC rate, when the file has none yet */
        uint32_t nsites;   /* sites indexed so far */
        uint32_t site_off[WARD__TRACE_MAX_SITES + 1];
};

/* ward__trace_live_open: map the buffers file of pid (read-only, or
 * read-write with writable, for setting the level) and check its header.
 * Errors: -ENOENT (no such file: the process does not trace), -EBADMSG (not a
 * valid buffers file), -ESTALE (the file belongs to an earlier process with
 * that pid), -errno from open/mmap; a message in err. */
int ward__trace_live_open(int pid, int writable, struct ward__trace_live *ret, char *err,
                          size_t err_size);
/* ward__trace_live_open_path: the same for a buffers file named by path (a
 * copy, say); pid is the process it must belong to, or 0 for any. */
int ward__trace_live_open_path(const char *path, int pid, int writable, struct ward__trace_live *l,
                               char *err, size_t err_size);
void ward__trace_live_close(struct ward__trace_live *l);

/* ward__trace_live_index_sites: index SITE records added since the last call.
 * Returns the number of sites known. */
uint32_t ward__trace_live_index_sites(struct ward__trace_live *l);

/* ward__trace_live_site: the SITE record of id (NULL if unknown) and its
 * length, pointing into the shared map: copy it before trusting it. */
const uint8_t *ward__trace_live_site(const struct ward__trace_live *l, uint32_t id, size_t *len);

/* Slot i's counters and tid, read now. */
struct ward__trace_live_slot {
        uint32_t state, tid;
        uint64_t write, read, dropped;
};
void ward__trace_live_slot(const struct ward__trace_live *l, uint32_t i,
                           struct ward__trace_live_slot *ret);

/* ward__trace_live_copy: copy slot i's ring bytes [*from, write) into out.
 * *from must be a record boundary (0, a value this returned, or the slot's
 * read position); when those bytes are gone (the producer lapped them, or
 * does while we copy) the copy starts at the flusher's read position instead.
 * On return *from is the position of out's first byte and the return value
 * the position after its last; parse records with ward__trace_live_next. */
uint64_t ward__trace_live_copy(const struct ward__trace_live *l, uint32_t i, uint64_t *from,
                               struct ward__buf *out);

/* ward__trace_live_next: the record at *pos in a copy of [start, end) (as
 * ward__trace_live_copy made it), skipping padding; advances *pos. Returns a
 * pointer to the record (its header's size checked) or NULL at the end or at
 * bytes that do not parse. */
const struct ward__trace_rec *ward__trace_live_next(const struct ward__trace_live *l,
                                                    const struct ward__buf *copy, uint64_t start,
                                                    uint64_t end, uint64_t *pos);

/* ward__trace_live_alive: does process pid still run (not a zombie)? */
int ward__trace_live_alive(int pid);

/* ward__trace_live_hz: the TSC rate the process calibrated, or (when it died
 * before calibrating) one measured now, once. */
uint64_t ward__trace_live_hz(struct ward__trace_live *l);

/* ward__trace_live_ns: an event's CLOCK_MONOTONIC time in ns. */
uint64_t ward__trace_live_ns(struct ward__trace_live *l, uint64_t tsc);

#endif
