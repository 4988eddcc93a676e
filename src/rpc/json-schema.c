/* Lookups in a reflected description: see json-schema.h. */
#include <string.h>

#include "rpc/json-schema.h"

const ward__desc_msg *ward__desc_message(const ward__desc *d, const char *name)
{
        for (size_t i = 0; name && i < d->n_messages; i++) {
                if (d->messages[i]->name && strcmp(d->messages[i]->name, name) == 0) {
                        return d->messages[i];
                }
        }
        return NULL;
}

const ward__desc_enum *ward__desc_enum_of(const ward__desc *d, const char *name)
{
        for (size_t i = 0; name && i < d->n_enums; i++) {
                if (d->enums[i]->name && strcmp(d->enums[i]->name, name) == 0) {
                        return d->enums[i];
                }
        }
        return NULL;
}

/* camel_equal: is key the lowerCamelCase form of the snake_case name? */
static int camel_equal(const char *name, const char *key, size_t key_len)
{
        size_t k = 0;
        for (const char *p = name; *p; p++) {
                char want = *p;
                if (*p == '_' && p[1] >= 'a' && p[1] <= 'z') {
                        want = (char)(p[1] - 'a' + 'A');
                        p++;
                }
                if (k == key_len || key[k++] != want) {
                        return 0;
                }
        }
        return k == key_len;
}

const ward__desc_field *ward__desc_field_named(const ward__desc_msg *m, const char *key,
                                               size_t key_len)
{
        for (size_t i = 0; i < m->n_fields; i++) {
                const char *name = m->fields[i]->name;
                if (name && strlen(name) == key_len && memcmp(name, key, key_len) == 0) {
                        return m->fields[i];
                }
        }
        for (size_t i = 0; i < m->n_fields; i++) {
                if (m->fields[i]->name && camel_equal(m->fields[i]->name, key, key_len)) {
                        return m->fields[i];
                }
        }
        return NULL;
}

const ward__desc_field *ward__desc_field_number(const ward__desc_msg *m, uint32_t n)
{
        for (size_t i = 0; i < m->n_fields; i++) {
                if (m->fields[i]->number == n) {
                        return m->fields[i];
                }
        }
        return NULL;
}

int ward__desc_type(const ward__desc_field *f)
{
        static const struct {
                const char *name;
                ProtobufCType type;
        } types[] = {
            {"int32", PROTOBUF_C_TYPE_INT32},       {"sint32", PROTOBUF_C_TYPE_SINT32},
            {"sfixed32", PROTOBUF_C_TYPE_SFIXED32}, {"int64", PROTOBUF_C_TYPE_INT64},
            {"sint64", PROTOBUF_C_TYPE_SINT64},     {"sfixed64", PROTOBUF_C_TYPE_SFIXED64},
            {"uint32", PROTOBUF_C_TYPE_UINT32},     {"fixed32", PROTOBUF_C_TYPE_FIXED32},
            {"uint64", PROTOBUF_C_TYPE_UINT64},     {"fixed64", PROTOBUF_C_TYPE_FIXED64},
            {"float", PROTOBUF_C_TYPE_FLOAT},       {"double", PROTOBUF_C_TYPE_DOUBLE},
            {"bool", PROTOBUF_C_TYPE_BOOL},         {"enum", PROTOBUF_C_TYPE_ENUM},
            {"string", PROTOBUF_C_TYPE_STRING},     {"bytes", PROTOBUF_C_TYPE_BYTES},
            {"message", PROTOBUF_C_TYPE_MESSAGE},
        };
        for (size_t i = 0; f->type && i < sizeof(types) / sizeof(types[0]); i++) {
                if (strcmp(types[i].name, f->type) == 0) {
                        return (int)types[i].type;
                }
        }
        return -1;
}

int ward__desc_wire_type(int t)
{
        switch (t) {
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_FIXED32:
        case PROTOBUF_C_TYPE_FLOAT:
                return WIRE_I32;
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
                return WIRE_I64;
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_BYTES:
        case PROTOBUF_C_TYPE_MESSAGE:
                return WIRE_LEN;
        default:
                return WIRE_VARINT;
        }
}

int ward__desc_repeated(const ward__desc_field *f)
{
        return f->label && strcmp(f->label, "repeated") == 0;
}

const ward__desc_msg *ward__desc_map_entry(const ward__desc *d, const ward__desc_field *f)
{
        size_t n = f->type_name ? strlen(f->type_name) : 0;
        if (!ward__desc_repeated(f) || ward__desc_type(f) != PROTOBUF_C_TYPE_MESSAGE || n < 5 ||
            strcmp(f->type_name + n - 5, "Entry") != 0) {
                return NULL;
        }
        const ward__desc_msg *m = ward__desc_message(d, f->type_name);
        if (!m || m->n_fields != 2 || !ward__desc_field_number(m, 1) ||
            !ward__desc_field_number(m, 2)) {
                return NULL;
        }
        return m;
}
