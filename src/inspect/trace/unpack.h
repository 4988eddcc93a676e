/* Taking a packed event of a version 3 trace file back to the record the
 * ring had (trace/pack.h, docs/trace-format.md). The bytes are untrusted:
 * every varint and length is checked against what is left. */
#ifndef WARD_TRACE_UNPACK_H
#define WARD_TRACE_UNPACK_H

#include <stddef.h>
#include <stdint.h>

/* The largest record an unpacked event can be (the size field is 16 bits,
 * records are padded to 8). */
#define WARD__TRACE_UNPACK_MAX 65528u

/* What a packed event is taken back with: its site's argument types and the
 * time base in force (the file's last TIME record, or its tsc_base). */
struct ward__trace_unpack_ctx {
        uint32_t site;
        unsigned nargs;
        const uint8_t *types;
        uint64_t sync;
};

/* ward__trace_unpack_event: the packed event whose bytes after its site id
 * start at p (len bytes there), as an EVENT record at out (cap bytes, zero
 * padding included). Returns 0 with the bytes taken in *used and the
 * record's size in *size; -EBADMSG when it does not parse (truncated, a
 * varint too long, an argument out of range, a record over
 * WARD__TRACE_UNPACK_MAX bytes); -ENOBUFS when cap is too small (then a cap
 * of WARD__TRACE_UNPACK_MAX always suffices). Any thread; no state. */
int ward__trace_unpack_event(const struct ward__trace_unpack_ctx *c, const uint8_t *p, size_t len,
                             uint8_t *out, size_t cap, size_t *used, size_t *size);

#endif
