/* Reflection: a description of a server's services built from protobuf-c's
 * runtime descriptors, and the client call that fetches it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reflect.pb-c.h"
#include "rpc/rpc-internal.h"
#include "rpc/wire.h"

#define MAX_MESSAGES 512 /* message types one description lists, at most */

struct builder {
        struct ward__arena arena;
        const ProtobufCMessageDescriptor *seen[MAX_MESSAGES];
        Ward__Reflect__Message *msgs[MAX_MESSAGES];
        size_t n;
        const ProtobufCEnumDescriptor *enum_seen[MAX_MESSAGES];
        Ward__Reflect__Enum *enums[MAX_MESSAGES];
        size_t n_enums;
        int failed;
};

static void *grab(struct builder *b, size_t size)
{
        void *p = b->arena.alloc.alloc(&b->arena, size);
        if (!p) {
                b->failed = 1;
        } else {
                memset(p, 0, size);
        }
        return p;
}

static const char *label_name(ProtobufCLabel l)
{
        switch (l) {
        case PROTOBUF_C_LABEL_REQUIRED:
                return "required";
        case PROTOBUF_C_LABEL_OPTIONAL:
                return "optional";
        case PROTOBUF_C_LABEL_REPEATED:
                return "repeated";
        default:
                return "none";
        }
}

static const char *type_name(ProtobufCType t)
{
        static const char *const names[] = {
            [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
            [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
            [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
            [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
            [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
            [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
            [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
            [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
            [PROTOBUF_C_TYPE_MESSAGE] = "message",
        };
        return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}

static void add_message(struct builder *b, const ProtobufCMessageDescriptor *d);

/* add_enum: list d with its values, once. */
static void add_enum(struct builder *b, const ProtobufCEnumDescriptor *d)
{
        for (size_t i = 0; i < b->n_enums; i++) {
                if (b->enum_seen[i] == d) {
                        return;
                }
        }
        if (b->n_enums == MAX_MESSAGES) {
                return;
        }
        Ward__Reflect__Enum *e = grab(b, sizeof(*e));
        Ward__Reflect__EnumValue **values = grab(b, sizeof(*values) * (d->n_values + 1));
        if (!e || !values) {
                return;
        }
        ward__reflect__enum__init(e);
        e->name = (char *)d->name;
        e->values = values;
        for (unsigned i = 0; i < d->n_values; i++) {
                Ward__Reflect__EnumValue *v = grab(b, sizeof(*v));
                if (!v) {
                        return;
                }
                ward__reflect__enum_value__init(v);
                v->name = (char *)d->values[i].name;
                v->number = d->values[i].value;
                e->values[e->n_values++] = v;
        }
        b->enum_seen[b->n_enums] = d;
        b->enums[b->n_enums++] = e;
}

static Ward__Reflect__Field *describe_field(struct builder *b, const ProtobufCFieldDescriptor *f)
{
        Ward__Reflect__Field *out = grab(b, sizeof(*out));
        if (!out) {
                return NULL;
        }
        ward__reflect__field__init(out);
        out->name = (char *)f->name;
        out->number = f->id;
        out->label = (char *)label_name(f->label);
        out->type = (char *)type_name(f->type);
        out->type_name = (char *)"";
        out->in_oneof = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
        out->oneof_group = out->in_oneof ? f->quantifier_offset : 0; /* the shared case field */
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                const ProtobufCMessageDescriptor *m = f->descriptor;
                out->type_name = (char *)m->name;
                add_message(b, m);
        } else if (f->type == PROTOBUF_C_TYPE_ENUM) {
                const ProtobufCEnumDescriptor *e = f->descriptor;
                out->type_name = (char *)e->name;
                add_enum(b, e);
        }
        return out;
}

/* add_message: list d and, recursively, the message types its fields use. */
static void add_message(struct builder *b, const ProtobufCMessageDescriptor *d)
{
        for (size_t i = 0; i < b->n; i++) {
                if (b->seen[i] == d) {
                        return;
                }
        }
        if (b->n == MAX_MESSAGES) {
                return;
        }
        Ward__Reflect__Message *m = grab(b, sizeof(*m));
        Ward__Reflect__Field **fields = grab(b, sizeof(*fields) * (d->n_fields + 1));
        if (!m || !fields) {
                return;
        }
        ward__reflect__message__init(m);
        m->name = (char *)d->name;
        m->fields = fields;
        b->seen[b->n] = d;
        b->msgs[b->n++] = m; /* before the fields: a recursive type stops here */
        for (unsigned i = 0; i < d->n_fields; i++) {
                Ward__Reflect__Field *f = describe_field(b, &d->fields[i]);
                if (f) {
                        m->fields[m->n_fields++] = f;
                }
        }
}

static Ward__Reflect__Service *describe_service(struct builder *b, const struct ward__hosted *h)
{
        const ProtobufCServiceDescriptor *d = h->service->descriptor;
        Ward__Reflect__Service *s = grab(b, sizeof(*s));
        Ward__Reflect__Method **methods = grab(b, sizeof(*methods) * (d->n_methods + 1));
        if (!s || !methods) {
                return NULL;
        }
        ward__reflect__service__init(s);
        s->name = (char *)d->name;
        s->schema_hash = h->hash;
        s->methods = methods;
        for (unsigned i = 0; i < d->n_methods; i++) {
                Ward__Reflect__Method *m = grab(b, sizeof(*m));
                if (!m) {
                        return NULL;
                }
                ward__reflect__method__init(m);
                m->name = (char *)d->methods[i].name;
                m->input = (char *)d->methods[i].input->name;
                m->output = (char *)d->methods[i].output->name;
                m->one_way = ward__rpc_is_oneway(&d->methods[i]);
                add_message(b, d->methods[i].input);
                add_message(b, d->methods[i].output);
                s->methods[s->n_methods++] = m;
        }
        return s;
}

int ward__rpc_describe_pack(const struct ward__hosted *svcs, unsigned n, uint8_t **ret,
                            size_t *ret_len)
{
        struct builder *b = calloc(1, sizeof(*b));
        Ward__Reflect__Description desc = WARD__REFLECT__DESCRIPTION__INIT;
        if (!b) {
                return -ENOMEM;
        }
        ward__arena_init(&b->arena);
        Ward__Reflect__Service **list = grab(b, sizeof(*list) * (n + 1));
        for (unsigned i = 0; list && i < n; i++) {
                Ward__Reflect__Service *s = describe_service(b, &svcs[i]);
                if (s) {
                        list[desc.n_services++] = s;
                }
        }
        desc.services = list;
        desc.messages = b->msgs;
        desc.n_messages = b->n;
        desc.enums = b->enums;
        desc.n_enums = b->n_enums;
        size_t len = ward__reflect__description__get_packed_size(&desc);
        uint8_t *buf = b->failed ? NULL : malloc(len + 1);
        if (buf) {
                *ret_len = ward__reflect__description__pack(&desc, buf);
                *ret = buf;
        }
        ward__arena_free(&b->arena);
        free(b);
        return buf ? 0 : -ENOMEM;
}

void ward__rpc_reflect_reply(const struct ward__hosted *svcs, unsigned n, ward_ipc_conn *conn,
                             uint64_t call_id)
{
        uint8_t *buf = NULL;
        size_t len = 0;
        if (!call_id) {
                return;
        }
        if (ward__rpc_describe_pack(svcs, n, &buf, &len) == 0) {
                if (ward_ipc_reply(conn, call_id, WARD_RPC_OK, buf, len) == -EMSGSIZE) {
                        ward_ipc_reply(conn, call_id, WARD_RPC_REPLY_TOO_LARGE, NULL, 0);
                }
        } else {
                ward_ipc_reply(conn, call_id, WARD_RPC_SERVER_ERROR, NULL, 0);
        }
        free(buf);
}

int ward_rpc_describe(ward_ipc_conn *conn, uint64_t timeout_ns,
                      struct Ward__Reflect__Description **ret)
{
        struct ward__rpc_hdr h = {.magic = WARD__RPC_MAGIC, .kind = WARD__RPC_REFLECT};
        const ward_ipc_msg *reply;
        struct ward__arena scratch;
        if (!conn || !ret) {
                return -EINVAL;
        }
        int e = ward_ipc_call(conn, &h, sizeof(h), timeout_ns, &reply);
        if (e < 0) {
                return e;
        }
        e = ward__rpc_peer_error(ward_ipc_msg_status(reply));
        if (e == 0) {
                ward__arena_init(&scratch);
                *ret = (Ward__Reflect__Description *)ward__rpc_unpack(
                    &ward__reflect__description__descriptor, reply, 0, &scratch, NULL);
                ward__arena_free(&scratch);
                e = *ret ? 0 : -WARD_E_BAD_MESSAGE;
        }
        ward_ipc_msg_release(conn, reply);
        return e;
}
