/* Packing an event for a trace file: see pack.h. */
#include <string.h>

#include "trace/pack.h"

/* pack_arg: one argument of type at *p (end: the record's end) to *o;
 * -1 when the record is too short for it or the type is unknown. */
static int pack_arg(uint8_t type, const uint8_t **p, const uint8_t *end, uint8_t **o)
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
                memcpy(*o, *p + 2, n);
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

size_t ward__trace_pack_event(uint8_t *out, const uint8_t *rec, size_t size, const uint8_t *types,
                              unsigned nargs, uint64_t sync)
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
                if (pack_arg(types[k], &p, end, &o) < 0) {
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
