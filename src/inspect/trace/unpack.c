/* Unpacking an event of a version 3 trace file: see unpack.h. */
#include <errno.h>
#include <string.h>

#include "inspect/trace/unpack.h"
#include "trace/pack.h"

struct cursor {
        const uint8_t *p, *end;
        uint8_t *o, *oend;
};

static int take_varint(struct cursor *c, uint64_t *v)
{
        size_t n = ward__trace_get_varint(c->p, (size_t)(c->end - c->p), v);
        c->p += n;
        return n ? 0 : -EBADMSG;
}

static int put(struct cursor *c, const void *v, size_t n)
{
        if ((size_t)(c->oend - c->o) < n) {
                return -ENOBUFS;
        }
        memcpy(c->o, v, n);
        c->o += n;
        return 0;
}

/* unpack_str: a varint length, then that many bytes, to a 2-byte length and
 * the bytes. */
static int unpack_str(struct cursor *c)
{
        uint64_t n;
        if (take_varint(c, &n) < 0 || n > (size_t)(c->end - c->p) || n > UINT16_MAX) {
                return -EBADMSG;
        }
        uint16_t n16 = (uint16_t)n;
        int r = put(c, &n16, 2);
        if (r == 0) {
                r = put(c, c->p, n);
        }
        c->p += n;
        return r;
}

static int unpack_arg(struct cursor *c, uint8_t type)
{
        uint64_t v;
        if (type == WARD__TRACE_T_STR) {
                return unpack_str(c);
        }
        if (type == WARD__TRACE_T_F64) {
                if (c->end - c->p < 8) {
                        return -EBADMSG;
                }
                c->p += 8;
                return put(c, c->p - 8, 8);
        }
        if (type < WARD__TRACE_T_I32 || type > WARD__TRACE_T_PTR || take_varint(c, &v) < 0) {
                return -EBADMSG;
        }
        if (type == WARD__TRACE_T_I32) {
                int64_t s = ward__trace_unzigzag(v);
                int32_t x = (int32_t)s;
                return s != x ? -EBADMSG : put(c, &x, 4);
        }
        if (type == WARD__TRACE_T_U32) {
                uint32_t x = (uint32_t)v;
                return v != x ? -EBADMSG : put(c, &x, 4);
        }
        if (type == WARD__TRACE_T_I64) {
                int64_t s = ward__trace_unzigzag(v);
                return put(c, &s, 8);
        }
        return put(c, &v, 8);
}

int ward__trace_unpack_event(const struct ward__trace_unpack_ctx *ctx, const uint8_t *p, size_t len,
                             uint8_t *out, size_t cap, size_t *used, size_t *size)
{
        struct ward__trace_rec h = {
            .kind = WARD__TRACE_REC_EVENT, .nargs = (uint8_t)ctx->nargs, .site = ctx->site};
        struct cursor c = {p, p + len, out, out + cap};
        uint64_t dt;
        int r = take_varint(&c, &dt);
        if (r < 0 || ctx->nargs > WARD__TRACE_MAX_ARGS) {
                return -EBADMSG;
        }
        h.tsc = ctx->sync + (uint64_t)ward__trace_unzigzag(dt);
        r = put(&c, &h, sizeof(h));
        for (unsigned k = 0; r == 0 && k < ctx->nargs; k++) {
                r = unpack_arg(&c, ctx->types[k]);
        }
        size_t n = (size_t)(c.o - out), padded = (n + 7) & ~(size_t)7;
        if (r == 0 && padded > WARD__TRACE_UNPACK_MAX) {
                r = -EBADMSG;
        }
        if (r == 0 && padded > cap) {
                r = -ENOBUFS;
        }
        if (r < 0) {
                return r;
        }
        memset(out + n, 0, padded - n);
        h.size = (uint16_t)padded;
        memcpy(out, &h, sizeof(h));
        *used = (size_t)(c.p - p);
        *size = padded;
        return 0;
}
