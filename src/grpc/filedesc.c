/* FileDescriptorProto bytes made from ward's reflection (see filedesc.h),
 * written field by field: only what descriptor.proto's readers need
 * (names, numbers, labels, types, oneofs, enum values, methods). Nested
 * types are not told apart from packages: "pkg.Outer.Inner" lands in a file
 * of package "pkg.Outer" (a limit docs/grpc.md states). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/filedesc.h"

/* A growing protobuf buffer. */
struct pbw {
        uint8_t *p;
        size_t len, cap;
        int failed;
};

static void put_raw(struct pbw *w, const void *data, size_t n)
{
        if (w->failed || n == 0) {
                return;
        }
        if (w->len + n > w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 256;
                while (cap < w->len + n) {
                        cap *= 2;
                }
                uint8_t *p = realloc(w->p, cap);
                if (!p) {
                        w->failed = 1;
                        return;
                }
                w->p = p;
                w->cap = cap;
        }
        memcpy(w->p + w->len, data, n);
        w->len += n;
}

static void put_varint(struct pbw *w, uint64_t v)
{
        uint8_t b[10];
        size_t n = 0;
        do {
                b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
        } while (v);
        put_raw(w, b, n);
}

static void put_uint(struct pbw *w, unsigned field, uint64_t v)
{
        put_varint(w, (uint64_t)field << 3);
        put_varint(w, v);
}

static void put_bytes(struct pbw *w, unsigned field, const void *data, size_t n)
{
        put_varint(w, ((uint64_t)field << 3) | 2);
        put_varint(w, n);
        put_raw(w, data, n);
}

static void put_str(struct pbw *w, unsigned field, const char *s)
{
        put_bytes(w, field, s, strlen(s));
}

/* put_sub: sub as field of w; sub is emptied for reuse. */
static void put_sub(struct pbw *w, unsigned field, struct pbw *sub)
{
        if (sub->failed) {
                w->failed = 1;
        }
        put_bytes(w, field, sub->p, sub->len);
        sub->len = 0;
        sub->failed = 0;
}

/* put_type_name: ".pkg.Name", as descriptors spell a type they refer to. */
static void put_type_name(struct pbw *w, unsigned field, const char *full)
{
        size_t n = strlen(full);
        put_varint(w, ((uint64_t)field << 3) | 2);
        put_varint(w, n + 1);
        put_raw(w, ".", 1);
        put_raw(w, full, n);
}

size_t ward__grpc_package_len(const char *full)
{
        const char *dot = strrchr(full, '.');
        return dot ? (size_t)(dot - full) : 0;
}

static int in_package(const char *full, const char *pkg, size_t len)
{
        return ward__grpc_package_len(full) == len && strncmp(full, pkg, len) == 0;
}

int ward__grpc_has_package(const struct ward__gdescs *ds, const char *pkg, size_t len)
{
        for (size_t i = 0; i < ds->n; i++) {
                const Ward__Reflect__Description *d = ds->d[i];
                for (size_t k = 0; k < d->n_messages; k++) {
                        if (in_package(d->messages[k]->name, pkg, len)) {
                                return 1;
                        }
                }
                for (size_t k = 0; k < d->n_enums; k++) {
                        if (in_package(d->enums[k]->name, pkg, len)) {
                                return 1;
                        }
                }
                for (size_t k = 0; k < d->n_services; k++) {
                        if (in_package(d->services[k]->name, pkg, len)) {
                                return 1;
                        }
                }
        }
        return 0;
}

/* field_type: FieldDescriptorProto.Type of ward's type name (0: unknown). */
static unsigned field_type(const char *t)
{
        static const char *const names[] = {
            NULL,      "double",   "float",    "int64",  "uint64",  "int32", "fixed64",
            "fixed32", "bool",     "string",   NULL,     "message", "bytes", "uint32",
            "enum",    "sfixed32", "sfixed64", "sint32", "sint64",
        };
        for (unsigned i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
                if (names[i] && strcmp(names[i], t) == 0) {
                        return i;
                }
        }
        return 0;
}

/* field_label: FieldDescriptorProto.Label of ward's label. */
static unsigned field_label(const char *l)
{
        return strcmp(l, "repeated") == 0 ? 3 : strcmp(l, "required") == 0 ? 2 : 1;
}

/* Packages a file depends on. */
struct deps {
        const char **names;
        size_t *lens;
        size_t max, n;
        const char *self;
        size_t self_len;
};

static void add_dep(struct deps *dp, const char *full)
{
        size_t len = ward__grpc_package_len(full);
        if (len == dp->self_len && strncmp(full, dp->self, len) == 0) {
                return;
        }
        for (size_t i = 0; i < dp->n; i++) {
                if (dp->lens[i] == len && strncmp(dp->names[i], full, len) == 0) {
                        return;
                }
        }
        if (dp->n < dp->max) {
                dp->names[dp->n] = full;
                dp->lens[dp->n++] = len;
        }
}

/* put_message: DescriptorProto of m (with its oneofs numbered in order of
 * first appearance, named oneof_N: ward's reflection has no oneof names). */
static void put_message(struct pbw *w, const Ward__Reflect__Message *m, struct deps *dp)
{
        struct pbw msg = {0}, sub = {0};
        uint32_t groups[64];
        size_t ngroups = 0;
        put_str(&msg, 1,
                m->name +
                    (ward__grpc_package_len(m->name) ? ward__grpc_package_len(m->name) + 1 : 0));
        for (size_t i = 0; i < m->n_fields; i++) {
                const Ward__Reflect__Field *f = m->fields[i];
                put_str(&sub, 1, f->name);
                put_uint(&sub, 3, f->number);
                put_uint(&sub, 4, field_label(f->label));
                put_uint(&sub, 5, field_type(f->type));
                if (f->type_name[0]) {
                        put_type_name(&sub, 6, f->type_name);
                        add_dep(dp, f->type_name);
                }
                if (f->in_oneof) {
                        size_t g = 0;
                        while (g < ngroups && groups[g] != f->oneof_group) {
                                g++;
                        }
                        if (g == ngroups && ngroups < sizeof(groups) / sizeof(groups[0])) {
                                groups[ngroups++] = f->oneof_group;
                        }
                        put_uint(&sub, 9, g);
                }
                put_sub(&msg, 2, &sub);
        }
        for (size_t g = 0; g < ngroups; g++) {
                char name[32];
                snprintf(name, sizeof(name), "oneof_%zu", g);
                put_str(&sub, 1, name);
                put_sub(&msg, 8, &sub);
        }
        put_sub(w, 4, &msg);
        free(msg.p);
        free(sub.p);
}

static void put_enum(struct pbw *w, const Ward__Reflect__Enum *e)
{
        struct pbw en = {0}, sub = {0};
        put_str(&en, 1,
                e->name +
                    (ward__grpc_package_len(e->name) ? ward__grpc_package_len(e->name) + 1 : 0));
        for (size_t i = 0; i < e->n_values; i++) {
                put_str(&sub, 1, e->values[i]->name);
                put_uint(&sub, 2, (uint64_t)(int64_t)e->values[i]->number);
                put_sub(&en, 2, &sub);
        }
        put_sub(w, 5, &en);
        free(en.p);
        free(sub.p);
}

static void put_service(struct pbw *w, const Ward__Reflect__Service *s, struct deps *dp)
{
        struct pbw sv = {0}, sub = {0};
        put_str(&sv, 1,
                s->name +
                    (ward__grpc_package_len(s->name) ? ward__grpc_package_len(s->name) + 1 : 0));
        for (size_t i = 0; i < s->n_methods; i++) {
                const Ward__Reflect__Method *m = s->methods[i];
                put_str(&sub, 1, m->name);
                put_type_name(&sub, 2, m->input);
                put_type_name(&sub, 3, m->output);
                add_dep(dp, m->input);
                add_dep(dp, m->output);
                put_sub(&sv, 2, &sub);
        }
        put_sub(w, 6, &sv);
        free(sv.p);
        free(sub.p);
}

/* seen: was a type of this name already written (by an earlier description)? */
static int seen_before(const struct ward__gdescs *ds, size_t di, size_t ki, const char *name,
                       int kind)
{
        for (size_t i = 0; i <= di; i++) {
                const Ward__Reflect__Description *d = ds->d[i];
                size_t n = kind == 0 ? d->n_messages : kind == 1 ? d->n_enums : d->n_services;
                for (size_t k = 0; k < (i == di ? ki : n); k++) {
                        const char *other = kind == 0   ? d->messages[k]->name
                                            : kind == 1 ? d->enums[k]->name
                                                        : d->services[k]->name;
                        if (strcmp(other, name) == 0) {
                                return 1;
                        }
                }
        }
        return 0;
}

/* is_proto2: does any field of the package carry a proto2 label? */
static int is_proto2(const struct ward__gdescs *ds, const char *pkg, size_t len)
{
        for (size_t i = 0; i < ds->n; i++) {
                for (size_t k = 0; k < ds->d[i]->n_messages; k++) {
                        const Ward__Reflect__Message *m = ds->d[i]->messages[k];
                        for (size_t f = 0; in_package(m->name, pkg, len) && f < m->n_fields; f++) {
                                if (strcmp(m->fields[f]->label, "none") != 0 &&
                                    strcmp(m->fields[f]->label, "repeated") != 0) {
                                        return 1;
                                }
                        }
                }
        }
        return 0;
}

int ward__grpc_file(const struct ward__gdescs *ds, const char *pkg, size_t len, uint8_t **ret,
                    size_t *ret_len, const char **deps, size_t *dep_lens, size_t max_deps,
                    size_t *ndeps)
{
        struct pbw w = {0}, body = {0};
        struct deps dp = {
            .names = deps, .lens = dep_lens, .max = max_deps, .self = pkg, .self_len = len};
        for (size_t i = 0; i < ds->n; i++) {
                const Ward__Reflect__Description *d = ds->d[i];
                for (size_t k = 0; k < d->n_messages; k++) {
                        const char *name = d->messages[k]->name;
                        if (in_package(name, pkg, len) && !seen_before(ds, i, k, name, 0)) {
                                put_message(&body, d->messages[k], &dp);
                        }
                }
                for (size_t k = 0; k < d->n_enums; k++) {
                        const char *name = d->enums[k]->name;
                        if (in_package(name, pkg, len) && !seen_before(ds, i, k, name, 1)) {
                                put_enum(&body, d->enums[k]);
                        }
                }
                for (size_t k = 0; k < d->n_services; k++) {
                        const char *name = d->services[k]->name;
                        if (in_package(name, pkg, len) && !seen_before(ds, i, k, name, 2)) {
                                put_service(&body, d->services[k], &dp);
                        }
                }
        }
        char file[300];
        snprintf(file, sizeof(file), "ward/%.*s.proto", (int)(len > 256 ? 256 : len), pkg);
        put_str(&w, 1, file);
        put_bytes(&w, 2, pkg, len);
        for (size_t i = 0; i < dp.n; i++) {
                snprintf(file, sizeof(file), "ward/%.*s.proto",
                         (int)(dp.lens[i] > 256 ? 256 : dp.lens[i]), dp.names[i]);
                put_str(&w, 3, file);
        }
        put_raw(&w, body.p, body.len);
        w.failed |= body.failed;
        put_str(&w, 12, is_proto2(ds, pkg, len) ? "proto2" : "proto3");
        free(body.p);
        if (w.failed) {
                free(w.p);
                return -ENOMEM;
        }
        *ret = w.p ? w.p : malloc(1);
        *ret_len = w.len;
        *ndeps = dp.n;
        return *ret ? 0 : -ENOMEM;
}
