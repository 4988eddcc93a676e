/* ward list [--json] ADDRESS: what a ward server hosts (services, their
 * methods with input and output types, and every message and enum type they
 * use), from the reflection every ward server answers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ward/ward.h>

#include "cli.h"
#include "commands.h"
#include "reflect.pb-c.h"
#include "rpc_address.h"

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

static void print_text(const Ward__Reflect__Description *d)
{
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
}

/* key: ,"name": (the comma unless first) */
static void key(const char *name, int first)
{
        printf("%s\"%s\":", first ? "" : ",", name);
}

static void json_service(const Ward__Reflect__Service *s)
{
        printf("{\"name\":");
        cli_json_string(stdout, s->name);
        printf(",\"schema_hash\":\"%016" PRIx64 "\",\"methods\":[", s->schema_hash);
        for (size_t i = 0; i < s->n_methods; i++) {
                const Ward__Reflect__Method *m = s->methods[i];
                printf("%s{\"name\":", i ? "," : "");
                cli_json_string(stdout, m->name);
                key("input", 0);
                cli_json_string(stdout, m->input);
                key("output", 0);
                cli_json_string(stdout, m->output);
                printf(",\"one_way\":%s}", m->one_way ? "true" : "false");
        }
        printf("]}");
}

static void json_message(const Ward__Reflect__Message *m)
{
        printf("{\"name\":");
        cli_json_string(stdout, m->name);
        printf(",\"fields\":[");
        for (size_t i = 0; i < m->n_fields; i++) {
                const Ward__Reflect__Field *f = m->fields[i];
                printf("%s{\"name\":", i ? "," : "");
                cli_json_string(stdout, f->name);
                printf(",\"number\":%u", f->number);
                key("label", 0);
                cli_json_string(stdout, f->label ? f->label : "");
                key("type", 0);
                cli_json_string(stdout, f->type ? f->type : "");
                if (f->type_name && f->type_name[0]) {
                        key("type_name", 0);
                        cli_json_string(stdout, f->type_name);
                }
                printf("}");
        }
        printf("]}");
}

static void json_enum(const Ward__Reflect__Enum *e)
{
        printf("{\"name\":");
        cli_json_string(stdout, e->name);
        printf(",\"values\":[");
        for (size_t i = 0; i < e->n_values; i++) {
                printf("%s{\"name\":", i ? "," : "");
                cli_json_string(stdout, e->values[i]->name);
                printf(",\"number\":%d}", e->values[i]->number);
        }
        printf("]}");
}

static void print_json(const Ward__Reflect__Description *d)
{
        printf("{\"services\":[");
        for (size_t i = 0; i < d->n_services; i++) {
                printf("%s", i ? "," : "");
                json_service(d->services[i]);
        }
        printf("],\"messages\":[");
        for (size_t i = 0; i < d->n_messages; i++) {
                printf("%s", i ? "," : "");
                json_message(d->messages[i]);
        }
        printf("],\"enums\":[");
        for (size_t i = 0; i < d->n_enums; i++) {
                printf("%s", i ? "," : "");
                json_enum(d->enums[i]);
        }
        printf("]}\n");
}

enum { OPT_JSON = 1 };

static const struct cli_command list_cmd = {
    .name = "list",
    .synopsis = "[--json] ADDRESS",
    .summary = "What a ward server hosts: services, methods and the types they use.",
    .description = "Asks the server at ADDRESS (unix:/path/to.sock or @abstract-name) through the\n"
                   "reflection every ward server answers, so no .proto is needed. Prints each\n"
                   "service with its schema hash and methods (rpc Name(Input) returns (Output)),\n"
                   "then every message and enum type those methods use, in .proto syntax.",
    .options =
        (const struct cli_option[]){
            {OPT_JSON, "json", 0, NULL, "one JSON object: services, methods, their types"},
            {0},
        },
    .args = "ADDRESS",
    .min_args = 1,
    .max_args = 1,
    .exit_status = "0  ok\n"
                   "1  the server did not answer its reflection\n"
                   "2  bad usage, a bad address, or nothing listens there\n",
    .examples = "ward list @calc\n"
                "ward list --json unix:/run/app/calc.sock",
};

int cmd_list(int argc, char **argv)
{
        const char *address = NULL;
        int json = 0;
        struct cli c;
        cli_init(&c, &list_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_JSON:
                        json = 1;
                        break;
                case CLI_ARG:
                        address = c.value;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        ward_ipc_conn *conn = NULL;
        Ward__Reflect__Description *d = NULL;
        int r = ward_ipc_connect(address, NULL, &conn);
        if (r < 0) {
                return rpc_address_error(&c, address, r);
        }
        r = ward_rpc_describe(conn, TIMEOUT_NS, &d);
        ward_ipc_conn_close(conn);
        if (r < 0) {
                return cli_error(&c, CLI_PROBLEM, "%s: reflection: %s", address, ward_strerror(r));
        }
        (json ? print_json : print_text)(d);
        protobuf_c_message_free_unpacked(&d->base, NULL);
        return CLI_OK;
}
