/* ward call ADDRESS pkg.Service.Method [JSON|-]: call any method of a ward
 * server with a JSON request, typed by the server's own reflection, and print
 * the reply as JSON (like grpcurl, with no .proto at hand). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>

#include "commands.h"
#include "reflect.pb-c.h"

#define DEFAULT_TIMEOUT_NS 30000000000ull

struct target {
        const Ward__Reflect__Service *service;
        const Ward__Reflect__Method *method;
        unsigned index;
};

static void usage(void)
{
        fprintf(stderr, "usage: ward call [--timeout SECONDS] [--compact] ADDRESS "
                        "pkg.Service.Method [JSON | -]\n"
                        "  JSON is the request (default {}); - reads it from stdin\n");
}

/* find_target: "pkg.Service.Method" or "pkg.Service/Method" in d. */
static int find_target(const Ward__Reflect__Description *d, const char *name, struct target *t)
{
        const char *cut = strrchr(name, '/');
        cut = cut ? cut : strrchr(name, '.');
        if (!cut || cut == name) {
                fprintf(stderr, "ward call: '%s': expected pkg.Service.Method\n", name);
                return -1;
        }
        size_t slen = (size_t)(cut - name);
        for (size_t i = 0; i < d->n_services; i++) {
                const Ward__Reflect__Service *s = d->services[i];
                if (strlen(s->name) != slen || strncmp(s->name, name, slen) != 0) {
                        continue;
                }
                for (size_t j = 0; j < s->n_methods; j++) {
                        if (strcmp(s->methods[j]->name, cut + 1) == 0) {
                                *t = (struct target){s, s->methods[j], (unsigned)j};
                                return 0;
                        }
                }
                fprintf(stderr, "ward call: service %s has no method '%s' (see ward list)\n",
                        s->name, cut + 1);
                return -1;
        }
        fprintf(stderr, "ward call: no service '%.*s' at this address (see ward list)\n", (int)slen,
                name);
        return -1;
}

/* read_all: stdin into a malloc'ed buffer. */
static char *read_all(FILE *f, size_t *ret_len)
{
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap);
        while (buf) {
                len += fread(buf + len, 1, cap - len, f);
                if (len < cap) {
                        break;
                }
                char *bigger = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
                if (!bigger) {
                        free(buf);
                        return NULL;
                }
                buf = bigger;
                cap *= 2;
        }
        *ret_len = len;
        return buf;
}

struct options {
        uint64_t timeout_ns;
        int flags;
        const char *address, *method, *json;
};

static int parse_args(int argc, char **argv, struct options *o)
{
        int i = 1;
        *o = (struct options){.timeout_ns = DEFAULT_TIMEOUT_NS, .flags = WARD_RPC_JSON_PRETTY};
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (strcmp(argv[i], "--compact") == 0) {
                        o->flags = 0;
                } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
                        char *end;
                        double s = strtod(argv[++i], &end);
                        if (*end || !(s > 0 && s < 1e9)) {
                                fprintf(stderr, "ward call: bad --timeout '%s'\n", argv[i]);
                                return -1;
                        }
                        o->timeout_ns = (uint64_t)(s * 1e9);
                } else {
                        usage();
                        return -1;
                }
        }
        if (argc - i < 2 || argc - i > 3) {
                usage();
                return -1;
        }
        o->address = argv[i];
        o->method = argv[i + 1];
        o->json = argc - i == 3 ? argv[i + 2] : "{}";
        return 0;
}

/* encode_request: the JSON request (or stdin's) as packed bytes. */
static int encode_request(const Ward__Reflect__Description *d, const struct target *t,
                          const char *json, uint8_t **req, size_t *req_len)
{
        char err[512];
        size_t len = strlen(json);
        char *in = strcmp(json, "-") == 0 ? read_all(stdin, &len) : NULL;
        if (strcmp(json, "-") == 0 && !in) {
                fprintf(stderr, "ward call: cannot read the request from stdin\n");
                return -1;
        }
        int r = ward_rpc_json_to_pb(d, t->method->input, in ? in : json, len, req, req_len, err,
                                    sizeof(err));
        free(in);
        if (r < 0) {
                fprintf(stderr, "ward call: request for %s.%s: %s\n", t->service->name,
                        t->method->name, r == -ENOMEM ? "out of memory" : err);
                return -1;
        }
        return 0;
}

/* say_limit: after a size error, the limit the message broke and where it
 * comes from (the message itself has said which error). */
static void say_limit(ward_ipc_conn *conn, int r, size_t req_len)
{
        size_t max = ward_ipc_conn_get_max_len(conn);
        if (r == -EMSGSIZE) {
                fprintf(stderr,
                        ": the request is %zu bytes; a request on this connection is at most %zu "
                        "(pool_bytes %zu, as the server granted it, less the call's header)",
                        req_len, ward_rpc_max_request(conn), max);
        } else if (r == -WARD_E_REPLY_TOO_LARGE) {
                fprintf(stderr,
                        ": a reply on this connection is at most %zu bytes (pool_bytes, as the "
                        "server granted it)",
                        max);
        }
}

/* call_and_print: 0 when the call succeeded and its reply was printed. */
static int call_and_print(ward_ipc_conn *conn, const Ward__Reflect__Description *d,
                          const struct target *t, const struct options *o, const uint8_t *req,
                          size_t req_len)
{
        uint8_t *reply = NULL;
        size_t reply_len = 0;
        char *json = NULL, err[512];
        int r = ward_rpc_call_bytes(conn, t->service->name, t->service->schema_hash, t->index,
                                    t->method->one_way, req, req_len, o->timeout_ns, &reply,
                                    &reply_len);
        if (r < 0) {
                fprintf(stderr, "ward call: %s.%s: %s", t->service->name, t->method->name,
                        ward_strerror(r));
                say_limit(conn, r, req_len);
                fputc('\n', stderr);
                return -1;
        }
        r = ward_rpc_pb_to_json(d, t->method->output, reply, reply_len, o->flags, &json, err,
                                sizeof(err));
        free(reply);
        if (r < 0) {
                fprintf(stderr, "ward call: reply of %s.%s: %s\n", t->service->name,
                        t->method->name, r == -ENOMEM ? "out of memory" : err);
                return -1;
        }
        printf("%s\n", json);
        free(json);
        return 0;
}

int cmd_call(int argc, char **argv)
{
        struct options o;
        struct target t;
        ward_ipc_conn *conn = NULL;
        Ward__Reflect__Description *d = NULL;
        uint8_t *req = NULL;
        size_t req_len = 0;
        if (parse_args(argc, argv, &o) < 0) {
                return 2;
        }
        int r = ward_ipc_connect(o.address, NULL, &conn);
        if (r < 0) {
                fprintf(stderr, "ward call: %s: %s\n", o.address, ward_strerror(r));
                return 1;
        }
        r = ward_rpc_describe(conn, o.timeout_ns, &d);
        int rc = 1;
        if (r < 0) {
                fprintf(stderr, "ward call: %s: reflection: %s\n", o.address, ward_strerror(r));
        } else if (find_target(d, o.method, &t) < 0 ||
                   encode_request(d, &t, o.json, &req, &req_len) < 0) {
                rc = 2;
        } else {
                rc = call_and_print(conn, d, &t, &o, req, req_len) < 0 ? 1 : 0;
        }
        free(req);
        if (d) {
                protobuf_c_message_free_unpacked(&d->base, NULL);
        }
        ward_ipc_conn_close(conn);
        return rc;
}
