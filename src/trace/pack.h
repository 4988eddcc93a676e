/* Packed events: how the flusher writes an EVENT record into a trace file of
 * version 3, and how readers take it back (docs/trace-format.md, "Packed
 * events"). The ring keeps the fixed layout the hot path writes; the
 * flusher packs each event on its way to the file: the site id and the time
 * as varints, integers as varints, strings with a varint length, no padding,
 * so a file takes about a third of the bytes the ring held. The varint and
 * zigzag helpers here are shared by the writer (libward) and the reader
 * (libward-inspect). */
#ifndef WARD_TRACE_PACK_H
#define WARD_TRACE_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trace/layout.h"

/* A packed event is at most this much longer than its record: a 2-byte site
 * id and a 10-byte time where the header had 16 bytes, and a varint of
 * up to 10 bytes for each 4-byte argument. */
#define WARD__TRACE_PACK_SLACK (12u + 6u * WARD__TRACE_MAX_ARGS)

/* The writer starts a new time base (a TIME record) after this many packed
 * events, so that one damaged time delta is one wrong event, never the rest
 * of the file. */
#define WARD__TRACE_PACK_SYNC_EVERY 1024u

static inline uint64_t ward__trace_zigzag(int64_t v)
{
        return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t ward__trace_unzigzag(uint64_t v)
{
        return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ward__trace_put_varint: v as LEB128 at p (1 to 10 bytes); returns the end. */
static inline uint8_t *ward__trace_put_varint(uint8_t *p, uint64_t v)
{
        while (v >= 0x80) {
                *p++ = (uint8_t)(v | 0x80);
                v >>= 7;
        }
        *p++ = (uint8_t)v;
        return p;
}

/* ward__trace_get_varint: a LEB128 of at most 10 bytes from p (len bytes
 * there); returns the bytes it took, 0 when it is truncated or too long. */
static inline size_t ward__trace_get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
        uint64_t x = 0;
        for (size_t i = 0; i < len && i < 10; i++) {
                x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
                if (!(p[i] & 0x80)) {
                        *v = x;
                        return i + 1;
                }
        }
        return 0;
}

/* ward__trace_pack_arg: one argument of type at *p (end: the record's end) to *o;
 * -1 when the record is too short for it or the type is unknown. */
static inline __attribute__((always_inline)) int
ward__trace_pack_arg(uint8_t type, const uint8_t **p, const uint8_t *end, uint8_t **o)
{
        size_t left = (size_t)(end - *p);
        if (type == WARD__TRACE_T_STR) {
                uint16_t n;
                if (left < 2) {
                        return -1;
                }
                memcpy(&n, *p, 2);
                if (left - 2 < n) {
                        return -1;
                }
                *o = ward__trace_put_varint(*o, n);
                if (n <= 16) { /* most strings: not worth a call to memcpy */
                        for (unsigned i = 0; i < n; i++) {
                                (*o)[i] = (*p)[2 + i];
                        }
                } else {
                        memcpy(*o, *p + 2, n);
                }
                *o += n;
                *p += 2 + n;
                return 0;
        }
        size_t width = type == WARD__TRACE_T_I32 || type == WARD__TRACE_T_U32 ? 4 : 8;
        if (left < width || type < WARD__TRACE_T_I32 || type > WARD__TRACE_T_PTR) {
                return -1;
        }
        if (type == WARD__TRACE_T_F64) {
                memcpy(*o, *p, 8); /* doubles do not shrink as varints */
                *o += 8;
        } else if (type == WARD__TRACE_T_I32) {
                int32_t v;
                memcpy(&v, *p, 4);
                *o = ward__trace_put_varint(*o, ward__trace_zigzag(v));
        } else if (type == WARD__TRACE_T_U32) {
                uint32_t v;
                memcpy(&v, *p, 4);
                *o = ward__trace_put_varint(*o, v);
        } else if (type == WARD__TRACE_T_I64) {
                int64_t v;
                memcpy(&v, *p, 8);
                *o = ward__trace_put_varint(*o, ward__trace_zigzag(v));
        } else {
                uint64_t v;
                memcpy(&v, *p, 8);
                *o = ward__trace_put_varint(*o, v);
        }
        *p += width;
        return 0;
}

/* ward__trace_pack_event: the EVENT record rec (size bytes, its size field
 * checked by the caller) of a site whose argument types are types[0..nargs),
 * packed at out, its time as the difference to sync. out has room for
 * size + WARD__TRACE_PACK_SLACK bytes. Returns the bytes written, or 0 when
 * the record does not match its site (argument count, types, lengths): the
 * caller then writes it as it is. Async-signal-safe; the flusher's, inlined
 * into its loop (it runs for every event written). */
static inline size_t ward__trace_pack_event(uint8_t *out, const uint8_t *rec, size_t size,
                                            const uint8_t *types, unsigned nargs, uint64_t sync)
{
        struct ward__trace_rec h;
        memcpy(&h, rec, sizeof(h));
        if (h.nargs != nargs || h.site == 0 || nargs > WARD__TRACE_MAX_ARGS) {
                return 0;
        }
        uint8_t *o = ward__trace_put_varint(out, h.site);
        o = ward__trace_put_varint(o, ward__trace_zigzag((int64_t)(h.tsc - sync)));
        const uint8_t *p = rec + sizeof(h), *end = rec + size;
        for (unsigned k = 0; k < nargs; k++) {
                if (ward__trace_pack_arg(types[k], &p, end, &o) < 0) {
                        return 0;
                }
        }
        /* the record is exactly its arguments, padded to 8: else it is not
         * what its site says, and goes as it is */
        if ((((size_t)(p - rec) + 7) & ~(size_t)7) != size) {
                return 0;
        }
        return (size_t)(o - out);
}

#endif
