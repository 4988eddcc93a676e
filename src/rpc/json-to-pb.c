/* JSON to protobuf wire format, typed by a reflected description: see
 * ward/rpc-json.h. Nested messages are written in place and their length
 * prefix inserted afterwards. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/rpc-json.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/json-parse.h"
#include "rpc/json-schema.h"

struct enc {
        const ward__desc *d;
        struct ward__buf out;
        char *err;
        size_t err_size;
};

/* fail: the error for value v of field f in message m. */
static int fail(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                const struct ward__json *v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                const struct ward__json *v, const char *fmt, ...)
{
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (e->err_size) {
                snprintf(e->err, e->err_size, "field '%s' of %s (line %u, column %u): %s",
                         f ? f->name : "?", m->name, v->line, v->col, msg);
        }
        return -EINVAL;
}

static void put_varint(struct ward__buf *b, uint64_t v)
{
        uint8_t tmp[10];
        size_t n = 0;
        do {
                tmp[n] = (uint8_t)(v & 0x7F);
                v >>= 7;
                tmp[n] |= v ? 0x80 : 0;
                n++;
        } while (v);
        ward__buf_put(b, tmp, n);
}

static void put_tag(struct ward__buf *b, uint32_t number, int wire)
{
        put_varint(b, ((uint64_t)number << 3) | (uint64_t)wire);
}

static void put_le(struct ward__buf *b, uint64_t v, size_t n)
{
        uint8_t tmp[8];
        for (size_t i = 0; i < n; i++) {
                tmp[i] = (uint8_t)(v >> (8 * i));
        }
        ward__buf_put(b, tmp, n);
}

/* number_text: the text of a number given as a JSON number or a string. */
static int number_text(const struct ward__json *v, char *buf, size_t size)
{
        if ((v->type != WARD__JSON_NUMBER && v->type != WARD__JSON_STRING) || v->len == 0 ||
            v->len >= size || memchr(v->text, '\0', v->len)) {
                return -1;
        }
        memcpy(buf, v->text, v->len);
        buf[v->len] = '\0';
        return 0;
}

/* parse_double: all of text as a double, or the proto3 names of the specials. */
static int parse_double(const char *text, int quoted, double *ret)
{
        char *end;
        if (quoted && strcmp(text, "NaN") == 0) {
                *ret = NAN;
                return 0;
        }
        if (quoted && (strcmp(text, "Infinity") == 0 || strcmp(text, "-Infinity") == 0)) {
                *ret = text[0] == '-' ? -INFINITY : INFINITY;
                return 0;
        }
        if (!(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'))) {
                return -1; /* strtod would take "inf", " 1", "0x10" */
        }
        errno = 0;
        *ret = strtod(text, &end);
        return *end || (errno == ERANGE && isinf(*ret)) ? -1 : 0;
}

/* parse_integer: all of text as an integer in [min, max] (signed) or [0, umax]
 * (is_unsigned); "1e3" and "2.0" are integers too, as proto3 JSON allows. */
static int parse_integer(const char *text, int is_unsigned, int64_t min, int64_t max, uint64_t umax,
                         uint64_t *ret)
{
        char *end;
        int plain = text[strspn(text, "-0123456789")] == '\0';
        errno = 0;
        if (plain && is_unsigned && text[0] != '-') {
                unsigned long long u = strtoull(text, &end, 10);
                *ret = u;
                return *end || errno || u > umax ? -1 : 0;
        }
        if (plain && !is_unsigned) {
                long long s = strtoll(text, &end, 10);
                *ret = (uint64_t)s;
                return *end || errno || s < min || s > max ? -1 : 0;
        }
        double d;
        if (parse_double(text, 0, &d) < 0 || d != floor(d) || !isfinite(d)) {
                return -1;
        }
        if (is_unsigned) {
                *ret = (uint64_t)d;
                return d < 0 || d >= 18446744073709551616.0 || *ret > umax ? -1 : 0;
        }
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
                return -1;
        }
        int64_t s = (int64_t)d;
        *ret = (uint64_t)s;
        return s < min || s > max ? -1 : 0;
}

static int encode_message(struct enc *e, const ward__desc_msg *m, const struct ward__json *obj);

/* prefix_length: a length-delimited value was written from start on: insert
 * its length before it, as the wire format wants. */
static void prefix_length(struct enc *e, size_t start)
{
        struct ward__buf len = {0};
        put_varint(&len, e->out.len - start);
        ward__buf_insert(&e->out, start, len.p, len.len);
        e->out.failed |= len.failed;
        ward__buf_free(&len);
}

static int encode_enum(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                       const struct ward__json *v)
{
        const ward__desc_enum *en = ward__desc_enum_of(e->d, f->type_name);
        if (v->type == WARD__JSON_STRING && en) {
                for (size_t i = 0; i < en->n_values; i++) {
                        if (strlen(en->values[i]->name) == v->len &&
                            memcmp(en->values[i]->name, v->text, v->len) == 0) {
                                put_varint(&e->out, (uint64_t)(int64_t)en->values[i]->number);
                                return 0;
                        }
                }
                return fail(e, m, f, v, "'%.*s' is not a value of %s", (int)v->len, v->text,
                            f->type_name);
        }
        char text[64];
        uint64_t u;
        if (v->type != WARD__JSON_NUMBER || number_text(v, text, sizeof(text)) < 0 ||
            parse_integer(text, 0, INT32_MIN, INT32_MAX, 0, &u) < 0) {
                return fail(e, m, f, v, "expected a value name of %s or an int32, got %s",
                            f->type_name, ward__json_type_name(v->type));
        }
        put_varint(&e->out, u);
        return 0;
}

static int encode_int(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                      const struct ward__json *v, int t)
{
        static const struct {
                int is_unsigned, bits;
        } kinds[] = {
            [PROTOBUF_C_TYPE_INT32] = {0, 32},    [PROTOBUF_C_TYPE_SINT32] = {0, 32},
            [PROTOBUF_C_TYPE_SFIXED32] = {0, 32}, [PROTOBUF_C_TYPE_INT64] = {0, 64},
            [PROTOBUF_C_TYPE_SINT64] = {0, 64},   [PROTOBUF_C_TYPE_SFIXED64] = {0, 64},
            [PROTOBUF_C_TYPE_UINT32] = {1, 32},   [PROTOBUF_C_TYPE_FIXED32] = {1, 32},
            [PROTOBUF_C_TYPE_UINT64] = {1, 64},   [PROTOBUF_C_TYPE_FIXED64] = {1, 64},
        };
        char text[64];
        uint64_t u;
        int uns = kinds[t].is_unsigned, bits = kinds[t].bits;
        int64_t min = bits == 32 ? INT32_MIN : INT64_MIN, max = bits == 32 ? INT32_MAX : INT64_MAX;
        uint64_t umax = bits == 32 ? UINT32_MAX : UINT64_MAX;
        if (number_text(v, text, sizeof(text)) < 0) {
                return fail(e, m, f, v, "expected %s, got %s", f->type,
                            ward__json_type_name(v->type));
        }
        if (parse_integer(text, uns, min, max, umax, &u) < 0) {
                return fail(e, m, f, v, "'%s' is not a valid %s", text, f->type);
        }
        if (t == PROTOBUF_C_TYPE_SINT32 || t == PROTOBUF_C_TYPE_SINT64) {
                int64_t s = (int64_t)u;
                put_varint(&e->out, ((uint64_t)s << 1) ^ (uint64_t)(s >> 63));
        } else if (t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_FIXED32) {
                put_le(&e->out, u, 4);
        } else if (t == PROTOBUF_C_TYPE_SFIXED64 || t == PROTOBUF_C_TYPE_FIXED64) {
                put_le(&e->out, u, 8);
        } else if (t == PROTOBUF_C_TYPE_INT32) {
                put_varint(&e->out, (uint64_t)(int64_t)(int32_t)u); /* sign-extended */
        } else {
                put_varint(&e->out, u);
        }
        return 0;
}

static int encode_float(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                        const struct ward__json *v, int t)
{
        char text[400];
        double d;
        if (number_text(v, text, sizeof(text)) < 0 ||
            parse_double(text, v->type == WARD__JSON_STRING, &d) < 0) {
                return fail(e, m, f, v, "expected a %s", f->type);
        }
        if (t == PROTOBUF_C_TYPE_FLOAT) {
                if (isfinite(d) && isinf((float)d)) {
                        return fail(e, m, f, v, "'%s' is out of range for a float", text);
                }
                float fl = (float)d;
                uint32_t bits;
                memcpy(&bits, &fl, 4);
                put_le(&e->out, bits, 4);
        } else {
                uint64_t bits;
                memcpy(&bits, &d, 8);
                put_le(&e->out, bits, 8);
        }
        return 0;
}

/* encode_len_value: string, bytes or message: the length-prefixed payload. */
static int encode_len_value(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                            const struct ward__json *v, int t)
{
        size_t start = e->out.len;
        if (t == PROTOBUF_C_TYPE_MESSAGE) {
                const ward__desc_msg *sub = ward__desc_message(e->d, f->type_name);
                if (!sub) {
                        return fail(e, m, f, v, "the server did not describe type %s",
                                    f->type_name);
                }
                if (v->type != WARD__JSON_OBJECT) {
                        return fail(e, m, f, v, "expected an object for %s, got %s", sub->name,
                                    ward__json_type_name(v->type));
                }
                int r = encode_message(e, sub, v);
                if (r < 0) {
                        return r;
                }
        } else if (v->type != WARD__JSON_STRING) {
                return fail(e, m, f, v, "expected a string%s, got %s",
                            t == PROTOBUF_C_TYPE_BYTES ? " (base64)" : "",
                            ward__json_type_name(v->type));
        } else if (t == PROTOBUF_C_TYPE_BYTES) {
                if (ward__base64_decode(&e->out, v->text, v->len) < 0) {
                        return fail(e, m, f, v, "not valid base64");
                }
        } else {
                ward__buf_put(&e->out, v->text, v->len);
        }
        prefix_length(e, start);
        return 0;
}

/* encode_value: one value of field f (its tag already written). */
static int encode_value(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                        const struct ward__json *v)
{
        int t = ward__desc_type(f);
        switch (t) {
        case PROTOBUF_C_TYPE_BOOL:
                if (v->type != WARD__JSON_TRUE && v->type != WARD__JSON_FALSE) {
                        return fail(e, m, f, v, "expected true or false, got %s",
                                    ward__json_type_name(v->type));
                }
                put_varint(&e->out, v->type == WARD__JSON_TRUE);
                return 0;
        case PROTOBUF_C_TYPE_ENUM:
                return encode_enum(e, m, f, v);
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:
                return encode_float(e, m, f, v, t);
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_BYTES:
        case PROTOBUF_C_TYPE_MESSAGE:
                return encode_len_value(e, m, f, v, t);
        case -1:
                return fail(e, m, f, v, "unknown type '%s'", f->type);
        default:
                return encode_int(e, m, f, v, t);
        }
}

static int encode_one(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                      const struct ward__json *v)
{
        put_tag(&e->out, f->number, ward__desc_wire_type(ward__desc_type(f)));
        return encode_value(e, m, f, v);
}

/* map_error: an entry's error, said of the map field and the key. */
static int map_error(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                     const struct ward__json *kv, int r)
{
        if (e->err_size) {
                char inner[256];
                snprintf(inner, sizeof(inner), "%s", e->err);
                snprintf(e->err, e->err_size, "field '%s' of %s, key '%.*s': %s", f->name, m->name,
                         (int)(kv->key_len > 64 ? 64 : kv->key_len), kv->key, inner);
        }
        return r;
}

/* encode_map: a JSON object as the repeated entries of map field f. */
static int encode_map(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                      const ward__desc_msg *entry, const struct ward__json *obj)
{
        const ward__desc_field *kf = ward__desc_field_number(entry, 1);
        const ward__desc_field *vf = ward__desc_field_number(entry, 2);
        int kt = ward__desc_type(kf);
        if (obj->type != WARD__JSON_OBJECT) {
                return fail(e, m, f, obj, "expected an object (a map), got %s",
                            ward__json_type_name(obj->type));
        }
        for (const struct ward__json *kv = obj->kids; kv; kv = kv->next) {
                struct ward__json key = {.type = WARD__JSON_STRING,
                                         .line = kv->line,
                                         .col = kv->col,
                                         .text = kv->key,
                                         .len = kv->key_len};
                if (kt == PROTOBUF_C_TYPE_BOOL) {
                        key.type = kv->key_len == 4 && memcmp(kv->key, "true", 4) == 0
                                       ? WARD__JSON_TRUE
                                       : WARD__JSON_FALSE;
                }
                put_tag(&e->out, f->number, WIRE_LEN);
                size_t start = e->out.len;
                int r = encode_one(e, entry, kf, &key);
                if (r == 0 && kv->type != WARD__JSON_NULL) {
                        r = encode_one(e, entry, vf, kv);
                }
                if (r < 0) {
                        return map_error(e, m, f, kv, r);
                }
                prefix_length(e, start);
        }
        return 0;
}

static int encode_field(struct enc *e, const ward__desc_msg *m, const ward__desc_field *f,
                        const struct ward__json *v)
{
        const ward__desc_msg *entry = ward__desc_map_entry(e->d, f);
        if (v->type == WARD__JSON_NULL) {
                return 0;
        }
        if (entry) {
                return encode_map(e, m, f, entry, v);
        }
        if (!ward__desc_repeated(f)) {
                return encode_one(e, m, f, v);
        }
        if (v->type != WARD__JSON_ARRAY) {
                return fail(e, m, f, v, "expected an array, got %s", ward__json_type_name(v->type));
        }
        for (const struct ward__json *item = v->kids; item; item = item->next) {
                if (item->type == WARD__JSON_NULL) {
                        return fail(e, m, f, item, "null inside a repeated field");
                }
                int r = encode_one(e, m, f, item);
                if (r < 0) {
                        return r;
                }
        }
        return 0;
}

static int check_required(struct enc *e, const ward__desc_msg *m, const unsigned char *seen,
                          const struct ward__json *obj)
{
        for (size_t i = 0; i < m->n_fields; i++) {
                if (seen[i] != 2 && strcmp(m->fields[i]->label, "required") == 0) {
                        return fail(e, m, m->fields[i], obj, "required field missing");
                }
        }
        return 0;
}

static int encode_message(struct enc *e, const ward__desc_msg *m, const struct ward__json *obj)
{
        if (obj->type != WARD__JSON_OBJECT) {
                return fail(e, m, NULL, obj, "expected an object for %s, got %s", m->name,
                            ward__json_type_name(obj->type));
        }
        unsigned char *seen = calloc(m->n_fields + 1, 1);
        int r = seen ? 0 : -ENOMEM;
        for (const struct ward__json *kv = obj->kids; r == 0 && kv; kv = kv->next) {
                const ward__desc_field *f = ward__desc_field_named(m, kv->key, kv->key_len);
                if (!f) {
                        if (e->err_size) {
                                snprintf(e->err, e->err_size,
                                         "unknown field '%.*s' in %s (line %u, column %u)",
                                         (int)(kv->key_len > 64 ? 64 : kv->key_len), kv->key,
                                         m->name, kv->key_line, kv->key_col);
                        }
                        r = -EINVAL;
                        break;
                }
                size_t i = 0;
                while (m->fields[i] != f) {
                        i++;
                }
                if (seen[i]) {
                        r = fail(e, m, f, kv, "given twice");
                        break;
                }
                seen[i] = kv->type == WARD__JSON_NULL ? 1 : 2; /* 2: a value is set */
                for (size_t j = 0; f->oneof_group && seen[i] == 2 && j < m->n_fields; j++) {
                        if (j != i && seen[j] == 2 && m->fields[j]->oneof_group == f->oneof_group) {
                                r = fail(e, m, f, kv, "'%s' of the same oneof is set already",
                                         m->fields[j]->name);
                        }
                }
                if (r < 0) {
                        break;
                }
                r = encode_field(e, m, f, kv);
        }
        if (r == 0) {
                r = check_required(e, m, seen, obj);
        }
        free(seen);
        return r;
}

int ward_rpc_json_to_pb(const struct Ward__Reflect__Description *d, const char *type,
                        const char *json, size_t len, uint8_t **ret, size_t *ret_len, char *err,
                        size_t err_size)
{
        struct ward__json_doc *doc;
        const struct ward__json *root;
        if (!d || !type || !json || !ret || !ret_len || (err_size && !err)) {
                return -EINVAL;
        }
        const ward__desc_msg *m = ward__desc_message(d, type);
        if (!m) {
                if (err_size) {
                        snprintf(err, err_size, "no message type '%s' in the description", type);
                }
                return -ENOENT;
        }
        int r = ward__json_parse(json, len, &doc, &root, err, err_size);
        if (r < 0) {
                return r;
        }
        struct enc e = {.d = d, .err = err, .err_size = err_size};
        r = encode_message(&e, m, root);
        ward__json_doc_free(doc);
        if (r == 0 && e.out.failed) {
                r = -ENOMEM;
        }
        if (r < 0) {
                ward__buf_free(&e.out);
                return r;
        }
        *ret_len = e.out.len;
        *ret = (uint8_t *)ward__buf_take_str(&e.out);
        return *ret ? 0 : -ENOMEM;
}
