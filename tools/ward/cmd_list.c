/* ward list ADDRESS: what a ward server hosts, from its built-in reflection. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ward/ward.h>

#include "commands.h"
#include "reflect.pb-c.h"

#define TIMEOUT_NS 5000000000ull

static void print_service(const Ward__Reflect__Service *s)
{
        printf("service %s  (schema %016" PRIx64 ")\n", s->name, s->schema_hash);
        for (size_t i = 0; i < s->n_methods; i++) {
                const Ward__Reflect__Method *m = s->methods[i];
                printf("  rpc %s(%s) returns (%s)%s\n", m->name, m->input, m->output,
                       m->one_way ? "  [one-way]" : "");
        }
}

static void print_message(const Ward__Reflect__Message *m)
{
        printf("message %s {\n", m->name);
        for (size_t i = 0; i < m->n_fields; i++) {
                const Ward__Reflect__Field *f = m->fields[i];
                const char *label = strcmp(f->label, "repeated") == 0 ? "repeated " : "";
                const char *type = f->type_name && f->type_name[0] ? f->type_name : f->type;
                printf("  %s%s %s = %u;\n", label, type, f->name, f->number);
        }
        printf("}\n");
}

static void print_enum(const Ward__Reflect__Enum *e)
{
        printf("enum %s {\n", e->name);
        for (size_t i = 0; i < e->n_values; i++) {
                printf("  %s = %d;\n", e->values[i]->name, e->values[i]->number);
        }
        printf("}\n");
}

int cmd_list(int argc, char **argv)
{
        ward_ipc_conn *conn = NULL;
        Ward__Reflect__Description *d = NULL;
        if (argc != 2) {
                fprintf(stderr, "usage: ward list ADDRESS\n");
                return 2;
        }
        int r = ward_ipc_connect(argv[1], NULL, &conn);
        if (r < 0) {
                fprintf(stderr, "ward list: %s: %s\n", argv[1], ward_strerror(r));
                return 1;
        }
        r = ward_rpc_describe(conn, TIMEOUT_NS, &d);
        ward_ipc_conn_close(conn);
        if (r < 0) {
                fprintf(stderr, "ward list: %s: %s\n", argv[1], ward_strerror(r));
                return 1;
        }
        for (size_t i = 0; i < d->n_services; i++) {
                print_service(d->services[i]);
        }
        for (size_t i = 0; i < d->n_messages; i++) {
                printf("\n");
                print_message(d->messages[i]);
        }
        for (size_t i = 0; i < d->n_enums; i++) {
                printf("\n");
                print_enum(d->enums[i]);
        }
        protobuf_c_message_free_unpacked(&d->base, NULL);
        return 0;
}
