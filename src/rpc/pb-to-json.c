/* Protobuf wire format to JSON, typed by a reflected description: see
 * ward/rpc-json.h. The bytes are untrusted: a first pass splits a message into
 * records and checks every length against what is left; values are then
 * written field by field in the description's order. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/rpc-json.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/json-write.h"
#include "rpc/json-schema.h"

#define MAX_DEPTH 100

/* One field occurrence on the wire. */
struct rec {
        uint32_t number;
        int wire;
        uint64_t value;     /* VARINT, I64, I32 */
        const uint8_t *ptr; /* LEN */
        size_t len;
};

struct dec {
        const ward__desc *d;
        struct ward__buf out;
        int pretty;
        char *err;
        size_t err_size;
};

static int fail(struct dec *x, const ward__desc_msg *m, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct dec *x, const ward__desc_msg *m, const char *field, const char *fmt, ...)
{
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (x->err_size) {
                snprintf(x->err, x->err_size, "%s%s%s%s: %s", field ? "field '" : "",
                         field ? field : "", field ? "' of " : "", m->name, msg);
        }
        return -EINVAL;
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        uint64_t v = 0;
        for (int shift = 0; shift < 70 && *p < end; shift += 7) {
                uint8_t b = *(*p)++;
                v |= (uint64_t)(b & 0x7F) << (shift < 64 ? shift : 63);
                if (!(b & 0x80)) {
                        *ret = v;
                        return 0;
                }
        }
        return -1;
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                v |= (uint64_t)p[i] << (8 * i);
        }
        return v;
}

/* get_rec: the next record at *p; -1 for malformed bytes. */
static int get_rec(const uint8_t **p, const uint8_t *end, struct rec *r)
{
        uint64_t tag;
        if (get_varint(p, end, &tag) < 0 || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) {
                return -1;
        }
        *r = (struct rec){.number = (uint32_t)(tag >> 3), .wire = (int)(tag & 7)};
        size_t left = (size_t)(end - *p);
        switch (r->wire) {
        case WIRE_VARINT:
                return get_varint(p, end, &r->value);
        case WIRE_I64:
        case WIRE_I32: {
                size_t n = r->wire == WIRE_I64 ? 8 : 4;
                if (left < n) {
                        return -1;
                }
                r->value = get_le(*p, n);
                *p += n;
                return 0;
        }
        case WIRE_LEN:
                if (get_varint(p, end, &r->value) < 0 || r->value > (uint64_t)(end - *p)) {
                        return -1;
                }
                r->ptr = *p;
                r->len = (size_t)r->value;
                *p += r->len;
                return 0;
        default:
                return -1; /* groups (3, 4) are not supported, nor are other types */
        }
}

/* split: every record of buf, in order, into *ret (malloc'ed). */
static int split(const uint8_t *buf, size_t len, struct rec **ret, size_t *ret_n)
{
        struct rec *recs = malloc((len / 2 + 1) * sizeof(*recs)); /* a record takes >= 2 bytes */
        static const uint8_t none[1];
        buf = len ? buf : none; /* an empty message may come without bytes */
        const uint8_t *p = buf, *end = buf + len;
        size_t n = 0;
        if (!recs) {
                return -ENOMEM;
        }
        while (p < end) {
                if (get_rec(&p, end, &recs[n++]) < 0) {
                        free(recs);
                        return -EINVAL;
                }
        }
        *ret = recs;
        *ret_n = n;
        return 0;
}

static void newline(struct dec *x, int indent)
{
        if (x->pretty) {
                ward__buf_putc(&x->out, '\n');
                for (int i = 0; i < indent; i++) {
                        ward__buf_puts(&x->out, "  ");
                }
        }
}

static void put_double(struct dec *x, double v, int digits)
{
        if (isnan(v)) {
                ward__buf_puts(&x->out, "\"NaN\"");
        } else if (isinf(v)) {
                ward__buf_puts(&x->out, v < 0 ? "\"-Infinity\"" : "\"Infinity\"");
        } else {
                /* the shortest form that reads back the same (0.1, not
                 * 0.10000000000000001) */
                char text[40];
                int min = digits == 9 ? 6 : 15;
                for (int d = min; d <= digits; d++) {
                        snprintf(text, sizeof(text), "%.*g", d, v);
                        double back = strtod(text, NULL);
                        if (digits == 9 ? (float)back == (float)v : back == v) {
                                break;
                        }
                }
                ward__buf_puts(&x->out, text);
        }
}

static int put_message(struct dec *x, const ward__desc_msg *m, const uint8_t *buf, size_t len,
                       int depth);

static void put_enum(struct dec *x, const ward__desc_field *f, int32_t v)
{
        const ward__desc_enum *en = ward__desc_enum_of(x->d, f->type_name);
        for (size_t i = 0; en && i < en->n_values; i++) {
                if (en->values[i]->number == v) {
                        ward__json_put_string(&x->out, en->values[i]->name,
                                              strlen(en->values[i]->name));
                        return;
                }
        }
        ward__buf_printf(&x->out, "%" PRId32, v);
}

/* put_scalar: a value of a non-LEN type from its raw wire value. */
static void put_scalar(struct dec *x, const ward__desc_field *f, int t, uint64_t v)
{
        float fl;
        double db;
        uint32_t u32 = (uint32_t)v;
        switch (t) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SFIXED32:
                ward__buf_printf(&x->out, "%" PRId32, (int32_t)u32);
                break;
        case PROTOBUF_C_TYPE_SINT32:
                ward__buf_printf(&x->out, "%" PRId32, (int32_t)((u32 >> 1) ^ (0u - (u32 & 1))));
                break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                ward__buf_printf(&x->out, "%" PRIu32, u32);
                break;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                ward__buf_printf(&x->out, "\"%" PRId64 "\"", (int64_t)v);
                break;
        case PROTOBUF_C_TYPE_SINT64:
                ward__buf_printf(&x->out, "\"%" PRId64 "\"", (int64_t)((v >> 1) ^ (0 - (v & 1))));
                break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
                ward__buf_printf(&x->out, "\"%" PRIu64 "\"", v);
                break;
        case PROTOBUF_C_TYPE_FLOAT:
                memcpy(&fl, &u32, 4);
                put_double(x, fl, 9);
                break;
        case PROTOBUF_C_TYPE_DOUBLE:
                memcpy(&db, &v, 8);
                put_double(x, db, 17);
                break;
        case PROTOBUF_C_TYPE_BOOL:
                ward__buf_puts(&x->out, v ? "true" : "false");
                break;
        default: /* enum */
                put_enum(x, f, (int32_t)u32);
        }
}

/* put_len_value: a string, bytes or message value. */
static int put_len_value(struct dec *x, const ward__desc_msg *m, const ward__desc_field *f, int t,
                         const uint8_t *p, size_t len, int depth)
{
        if (t == PROTOBUF_C_TYPE_STRING) {
                ward__json_put_string(&x->out, (const char *)p, len);
        } else if (t == PROTOBUF_C_TYPE_BYTES) {
                ward__buf_putc(&x->out, '"');
                ward__base64_encode(&x->out, p, len);
                ward__buf_putc(&x->out, '"');
        } else {
                const ward__desc_msg *sub = ward__desc_message(x->d, f->type_name);
                if (!sub) {
                        return fail(x, m, f->name, "the server did not describe type %s",
                                    f->type_name);
                }
                return put_message(x, sub, p, len, depth);
        }
        return 0;
}

/* put_packed: the values of a packed repeated scalar (one LEN record). */
static int put_packed(struct dec *x, const ward__desc_msg *m, const ward__desc_field *f, int t,
                      const struct rec *r, int *first, int indent)
{
        const uint8_t *p = r->ptr, *end = r->ptr + r->len;
        int wire = ward__desc_wire_type(t);
        while (p < end) {
                uint64_t v;
                size_t n = wire == WIRE_I64 ? 8 : 4;
                if (wire == WIRE_VARINT ? get_varint(&p, end, &v) < 0 : (size_t)(end - p) < n) {
                        return fail(x, m, f->name, "truncated packed value");
                }
                if (wire != WIRE_VARINT) {
                        v = get_le(p, n);
                        p += n;
                }
                ward__buf_puts(&x->out, *first ? "" : ",");
                *first = 0;
                newline(x, indent);
                put_scalar(x, f, t, v);
        }
        return 0;
}

/* put_value: one occurrence r of field f. */
static int put_value(struct dec *x, const ward__desc_msg *m, const ward__desc_field *f, int t,
                     const struct rec *r, int depth)
{
        if (r->wire != ward__desc_wire_type(t)) {
                return fail(x, m, f->name, "wire type %d where %s needs %d", r->wire, f->type,
                            ward__desc_wire_type(t));
        }
        if (r->wire == WIRE_LEN) {
                return put_len_value(x, m, f, t, r->ptr, r->len, depth);
        }
        put_scalar(x, f, t, r->value);
        return 0;
}

static void put_default(struct dec *x, const ward__desc_field *f, int t)
{
        if (t == PROTOBUF_C_TYPE_STRING || t == PROTOBUF_C_TYPE_BYTES) {
                ward__buf_puts(&x->out, "\"\"");
        } else {
                put_scalar(x, f, t, 0);
        }
}

/* put_map: the entries of map field f as a JSON object; a later entry with the
 * same key wins, as protobuf decoders do, but both are listed: JSON output of a
 * decoder need not deduplicate, and listing hides nothing. */
static int put_map(struct dec *x, const ward__desc_field *f, const ward__desc_msg *entry,
                   const struct rec *recs, size_t n, int depth)
{
        const ward__desc_field *kf = ward__desc_field_number(entry, 1);
        const ward__desc_field *vf = ward__desc_field_number(entry, 2);
        int kt = ward__desc_type(kf), vt = ward__desc_type(vf);
        int first = 1;
        ward__buf_putc(&x->out, '{');
        for (size_t i = 0; i < n; i++) {
                struct rec *kv;
                size_t nkv;
                if (recs[i].number != f->number) {
                        continue;
                }
                if (recs[i].wire != WIRE_LEN || split(recs[i].ptr, recs[i].len, &kv, &nkv) < 0) {
                        return fail(x, entry, NULL, "malformed map entry");
                }
                const struct rec *k = NULL, *v = NULL;
                for (size_t j = 0; j < nkv; j++) {
                        k = kv[j].number == 1 ? &kv[j] : k;
                        v = kv[j].number == 2 ? &kv[j] : v;
                }
                ward__buf_puts(&x->out, first ? "" : ",");
                first = 0;
                newline(x, depth + 1);
                int r = 0;
                size_t at = x->out.len; /* a JSON key is a string: numbers get quotes */
                if (!k) {
                        put_default(x, kf, kt);
                } else if (kt == PROTOBUF_C_TYPE_STRING) {
                        r = put_value(x, entry, kf, kt, k, depth + 1);
                } else if (k->wire == ward__desc_wire_type(kt) && k->wire != WIRE_LEN) {
                        put_scalar(x, kf, kt, k->value);
                } else {
                        r = fail(x, entry, kf->name, "bad map key");
                }
                if (r == 0 && !x->out.failed && x->out.p[at] != '"') {
                        ward__buf_insert(&x->out, at, "\"", 1);
                        ward__buf_putc(&x->out, '"');
                }
                ward__buf_puts(&x->out, x->pretty ? ": " : ":");
                if (r == 0 && v) {
                        r = put_value(x, entry, vf, vt, v, depth + 1);
                } else if (r == 0 && vt == PROTOBUF_C_TYPE_MESSAGE) {
                        ward__buf_puts(&x->out, "{}");
                } else if (r == 0) {
                        put_default(x, vf, vt);
                }
                free(kv);
                if (r < 0) {
                        return r;
                }
        }
        if (!first) {
                newline(x, depth);
        }
        ward__buf_putc(&x->out, '}');
        return 0;
}

static int put_repeated(struct dec *x, const ward__desc_msg *m, const ward__desc_field *f, int t,
                        const struct rec *recs, size_t n, int depth)
{
        int first = 1;
        ward__buf_putc(&x->out, '[');
        for (size_t i = 0; i < n; i++) {
                const struct rec *r = &recs[i];
                int rc;
                if (r->number != f->number) {
                        continue;
                }
                if (r->wire == WIRE_LEN && ward__desc_wire_type(t) != WIRE_LEN) {
                        rc = put_packed(x, m, f, t, r, &first, depth + 1);
                } else {
                        ward__buf_puts(&x->out, first ? "" : ",");
                        first = 0;
                        newline(x, depth + 1);
                        rc = put_value(x, m, f, t, r, depth + 1);
                }
                if (rc < 0) {
                        return rc;
                }
        }
        if (!first) {
                newline(x, depth);
        }
        ward__buf_putc(&x->out, ']');
        return 0;
}

/* put_singular_message: occurrences of a message field merge, as protobuf
 * parsers do: their bytes are decoded as one concatenation. */
static int put_singular_message(struct dec *x, const ward__desc_msg *m, const ward__desc_field *f,
                                const struct rec *recs, size_t n, const struct rec *last, int depth)
{
        struct ward__buf cat = {0};
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
                if (recs[i].number == f->number && recs[i].wire == WIRE_LEN) {
                        ward__buf_put(&cat, recs[i].ptr, recs[i].len);
                        count++;
                }
        }
        if (count < 2 || cat.failed) {
                ward__buf_free(&cat);
                return put_value(x, m, f, PROTOBUF_C_TYPE_MESSAGE, last, depth);
        }
        struct rec whole = {.number = f->number, .wire = WIRE_LEN, .ptr = cat.p, .len = cat.len};
        int r = put_value(x, m, f, PROTOBUF_C_TYPE_MESSAGE, &whole, depth);
        ward__buf_free(&cat);
        return r;
}

/* oneof_winner: of a oneof's members, the one whose record comes last (as
 * parsers keep only that one): is it f? */
static int oneof_winner(const ward__desc_msg *m, const ward__desc_field *f, const struct rec *recs,
                        size_t n)
{
        uint32_t last = 0;
        for (size_t i = 0; i < n; i++) {
                const ward__desc_field *g = ward__desc_field_number(m, recs[i].number);
                if (g && g->oneof_group == f->oneof_group) {
                        last = recs[i].number;
                }
        }
        return last == f->number;
}

/* put_field: field f of a message whose records are recs; 1 when something
 * was written, 0 when the field is left out, or -errno. */
static int put_field(struct dec *x, const ward__desc_msg *m, const ward__desc_field *f,
                     const struct rec *recs, size_t n, int first, int depth)
{
        int t = ward__desc_type(f);
        const struct rec *last = NULL;
        for (size_t i = 0; i < n; i++) {
                last = recs[i].number == f->number ? &recs[i] : last;
        }
        if (last && f->oneof_group && !oneof_winner(m, f, recs, n)) {
                return 0;
        }
        int implicit = strcmp(f->label, "none") == 0 && !f->in_oneof;
        int repeated = ward__desc_repeated(f);
        if (t < 0) {
                return last ? fail(x, m, f->name, "unknown type '%s'", f->type) : 0;
        }
        if (!last && !repeated && !(implicit && t != PROTOBUF_C_TYPE_MESSAGE)) {
                return 0;
        }
        ward__buf_puts(&x->out, first ? "" : ",");
        newline(x, depth + 1);
        ward__json_put_string(&x->out, f->name, strlen(f->name));
        ward__buf_puts(&x->out, x->pretty ? ": " : ":");
        const ward__desc_msg *entry = ward__desc_map_entry(x->d, f);
        int r = 0;
        if (entry) {
                r = put_map(x, f, entry, recs, n, depth + 1);
        } else if (repeated) {
                r = put_repeated(x, m, f, t, recs, n, depth + 1);
        } else if (!last) {
                put_default(x, f, t);
        } else if (t == PROTOBUF_C_TYPE_MESSAGE) {
                r = put_singular_message(x, m, f, recs, n, last, depth + 1);
        } else {
                r = put_value(x, m, f, t, last, depth + 1);
        }
        return r < 0 ? r : 1;
}

static int put_message(struct dec *x, const ward__desc_msg *m, const uint8_t *buf, size_t len,
                       int depth)
{
        struct rec *recs;
        size_t n;
        if (depth > MAX_DEPTH) {
                return fail(x, m, NULL, "nested deeper than %d levels", MAX_DEPTH);
        }
        int r = split(buf, len, &recs, &n);
        if (r < 0) {
                return r == -ENOMEM ? r : fail(x, m, NULL, "malformed protobuf bytes");
        }
        int first = 1;
        ward__buf_putc(&x->out, '{');
        for (size_t i = 0; r >= 0 && i < m->n_fields; i++) {
                r = put_field(x, m, m->fields[i], recs, n, first, depth);
                first = r > 0 ? 0 : first;
        }
        free(recs);
        if (r < 0) {
                return r;
        }
        if (!first) {
                newline(x, depth);
        }
        ward__buf_putc(&x->out, '}');
        return 0;
}

int ward_rpc_pb_to_json(const struct Ward__Reflect__Description *d, const char *type,
                        const uint8_t *buf, size_t len, int flags, char **ret, char *err,
                        size_t err_size)
{
        if (!d || !type || (!buf && len) || !ret || (err_size && !err)) {
                return -EINVAL;
        }
        const ward__desc_msg *m = ward__desc_message(d, type);
        if (!m) {
                if (err_size) {
                        snprintf(err, err_size, "no message type '%s' in the description", type);
                }
                return -ENOENT;
        }
        struct dec x = {
            .d = d, .pretty = flags & WARD_RPC_JSON_PRETTY, .err = err, .err_size = err_size};
        int r = put_message(&x, m, buf ? buf : (const uint8_t *)"", len, 0);
        if (r == 0 && x.out.failed) {
                r = -ENOMEM;
        }
        if (r < 0) {
                ward__buf_free(&x.out);
                return r;
        }
        *ret = ward__buf_take_str(&x.out);
        return *ret ? 0 : -ENOMEM;
}
