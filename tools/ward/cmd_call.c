/* ward call [options] ADDRESS pkg.Service.Method [JSON|-]: call any method of
 * a ward server with a JSON request, typed by the server's own reflection,
 * and print the reply as JSON (like grpcurl, with no .proto at hand). A call
 * the handler fails (ward_rpc_fail) prints the handler's own text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>

#include "cli.h"
#include "commands.h"
#include "reflect.pb-c.h"
#include "rpc_address.h"

#define DEFAULT_TIMEOUT_NS 30000000000ull

struct target {
        const Ward__Reflect__Service *service;
        const Ward__Reflect__Method *method;
        unsigned index;
};

struct options {
        uint64_t timeout_ns;
        int flags, json;
        const char *address, *method, *request;
};

/* find_target: "pkg.Service.Method" or "pkg.Service/Method" in d; 0, or the
 * exit status after saying what is not there. */
static int find_target(const struct cli *c, const Ward__Reflect__Description *d, const char *name,
                       struct target *t)
{
        const char *cut = strrchr(name, '/');
        cut = cut ? cut : strrchr(name, '.');
        if (!cut || cut == name || !cut[1]) {
                return cli_usage_error(c, "'%s': expected pkg.Service.Method", name);
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
                return cli_error(c, CLI_USAGE, "service %s has no method '%s' (see 'ward list')",
                                 s->name, cut + 1);
        }
        return cli_error(c, CLI_USAGE, "no service '%.*s' at this address (see 'ward list')",
                         (int)slen, name);
}

/* read_all: f into a malloc'ed buffer (at most 128 MiB), or NULL */
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

/* encode_request: the JSON request (or stdin's) as packed bytes; 0, or the
 * exit status after saying what is wrong with it. */
static int encode_request(const struct cli *c, const Ward__Reflect__Description *d,
                          const struct target *t, const char *json, uint8_t **req, size_t *req_len)
{
        char err[512];
        size_t len = strlen(json);
        char *in = strcmp(json, "-") == 0 ? read_all(stdin, &len) : NULL;
        if (strcmp(json, "-") == 0 && !in) {
                return cli_error(c, CLI_USAGE, "cannot read the request from stdin");
        }
        int r = ward_rpc_json_to_pb(d, t->method->input, in ? in : json, len, req, req_len, err,
                                    sizeof(err));
        free(in);
        if (r == -ENOMEM) {
                return cli_error(c, CLI_PROBLEM, "out of memory");
        }
        if (r < 0) {
                return cli_error(c, CLI_USAGE, "request for %s.%s: %s", t->service->name,
                                 t->method->name, err);
        }
        return 0;
}

/* limit_text: after a size error, the limit the message broke and where it
 * comes from, into buf ("" for other errors). */
static void limit_text(ward_ipc_conn *conn, int r, size_t req_len, char *buf, size_t size)
{
        size_t max = ward_ipc_conn_get_max_len(conn);
        buf[0] = '\0';
        if (r == -EMSGSIZE) {
                snprintf(buf, size,
                         ": the request is %zu bytes; a request on this connection is at most %zu "
                         "(pool_bytes %zu, as the server granted it, less the call's header)",
                         req_len, ward_rpc_max_request(conn), max);
        } else if (r == -WARD_E_REPLY_TOO_LARGE) {
                snprintf(buf, size,
                         ": a reply on this connection is at most %zu bytes (pool_bytes, as the "
                         "server granted it)",
                         max);
        }
}

/* How the call ended, as its callback saw it. */
struct answer {
        ward_loop *loop;
        int done, err, has_message;
        uint8_t *reply;
        size_t len;
        char message[WARD_RPC_MESSAGE_MAX + 1];
};

static void on_answer(void *arg, int err, const uint8_t *reply, size_t len, const char *message)
{
        struct answer *a = arg;
        a->done = 1;
        a->err = err;
        if (err == 0) {
                a->reply = malloc(len + 1);
                a->err = a->reply ? 0 : -ENOMEM;
                if (a->reply && len) {
                        memcpy(a->reply, reply, len);
                }
                a->len = len;
        }
        if (message) {
                snprintf(a->message, sizeof(a->message), "%s", message);
                a->has_message = 1;
        }
        ward_loop_stop(a->loop);
}

/* printable: the handler's text (another process's bytes) with control
 * characters as '?' */
static void printable(char *s)
{
        for (unsigned char *p = (unsigned char *)s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f) {
                        *p = '?';
                }
        }
}

/* call_failed: "pkg.Svc.Method failed: STATUS[: the handler's text]"; under
 * --json one object with the status and message apart too. CLI_PROBLEM. */
static int call_failed(const struct cli *c, const struct target *t, int err, const char *message,
                       const char *more)
{
        if (!c->json) {
                return cli_error(c, CLI_PROBLEM, "%s.%s failed: %s%s%s%s", t->service->name,
                                 t->method->name, ward_strerror(err), message ? ": " : "",
                                 message ? message : "", more);
        }
        char text[4096], method[1024];
        snprintf(method, sizeof(method), "%s.%s", t->service->name, t->method->name);
        snprintf(text, sizeof(text), "%s failed: %s%s%s%s", method, ward_strerror(err),
                 message ? ": " : "", message ? message : "", more);
        fputs("{\"error\":", stderr);
        cli_json_string(stderr, text);
        fputs(",\"command\":\"ward call\",\"method\":", stderr);
        cli_json_string(stderr, method);
        fputs(",\"status\":", stderr);
        cli_json_string(stderr, ward_strerror(err));
        if (message) {
                fputs(",\"message\":", stderr);
                cli_json_string(stderr, message);
        }
        fprintf(stderr, ",\"exit\":%d}\n", CLI_PROBLEM);
        return CLI_PROBLEM;
}

/* call: the method with req, waiting on a loop of its own for the answer
 * (the asynchronous call is the one that carries the handler's text). */
static int call(const struct cli *c, ward_ipc_conn *conn, const struct target *t,
                const struct options *o, const uint8_t *req, size_t req_len, struct answer *a)
{
        uint32_t id;
        int r =
            ward_rpc_resolve(conn, t->service->name, t->service->schema_hash, o->timeout_ns, &id);
        if (r == 0) {
                r = ward_rpc_call_bytes_async(conn, id, t->index, t->method->one_way, req, req_len,
                                              o->timeout_ns, on_answer, a);
        }
        if (r == 0 && !a->done) {
                r = ward_loop_run(a->loop);
        }
        if (r == 0 && !a->done) {
                r = -ECANCELED;
        }
        if (r < 0 || a->err < 0) {
                char more[512];
                int err = r < 0 ? r : a->err;
                limit_text(conn, err, req_len, more, sizeof(more));
                if (a->has_message) {
                        printable(a->message);
                }
                return call_failed(c, t, err, a->has_message ? a->message : NULL, more);
        }
        return 0;
}

/* print_reply: the packed reply as JSON on stdout */
static int print_reply(const struct cli *c, const Ward__Reflect__Description *d,
                       const struct target *t, const struct options *o, const struct answer *a)
{
        char *json = NULL, err[512];
        int r = ward_rpc_pb_to_json(d, t->method->output, a->reply, a->len, o->flags, &json, err,
                                    sizeof(err));
        if (r < 0) {
                return cli_error(c, CLI_PROBLEM, "reply of %s.%s: %s", t->service->name,
                                 t->method->name, r == -ENOMEM ? "out of memory" : err);
        }
        printf("%s\n", json);
        free(json);
        return 0;
}

enum { OPT_TIMEOUT = 1, OPT_COMPACT, OPT_JSON };

static const struct cli_command call_cmd = {
    .name = "call",
    .synopsis = "[--timeout=SECONDS] [--compact] [--json] ADDRESS pkg.Service.Method [JSON | -]",
    .summary = "Call a method of a ward server with a JSON request; print the reply as JSON.",
    .description =
        "The request is typed by the server's own reflection (see 'ward list'): no\n"
        "generated code or .proto is needed. JSON is the request (default {}); - reads it\n"
        "from stdin. ADDRESS is unix:/path/to.sock or @abstract-name; the method is\n"
        "pkg.Service.Method or pkg.Service/Method.\n"
        "\n"
        "When the handler fails the call, the error says the status and, when the\n"
        "handler gave one (ward_rpc_fail), the handler's own text.",
    .options =
        (const struct cli_option[]){
            {OPT_TIMEOUT, "timeout", 't', "SECONDS",
             "give up after SECONDS (default 30; fractions allowed)"},
            {OPT_COMPACT, "compact", 0, NULL, "the reply on one line"},
            {OPT_JSON, "json", 0, NULL,
             "the reply on one line, and errors as one JSON object on stderr"},
            {0},
        },
    .args = "ADDRESS pkg.Service.Method [JSON | -]",
    .min_args = 2,
    .max_args = 3,
    .exit_status = "0  the call succeeded; the reply is printed\n"
                   "1  the call failed (the handler's error, a timeout, a lost connection)\n"
                   "2  bad usage: a bad address, nothing listening there, no such service or\n"
                   "   method, or a request that does not fit the method's input type\n",
    .examples = "ward call @calc calc.Calculator.Add '{\"a\": 40, \"b\": 2}'\n"
                "echo '{\"a\": 1, \"b\": 0}' | ward call --json @calc calc.Calculator/Div -",
};

/* parse: the options into o; 0 to go on, else the exit status */
static int parse(struct cli *c, struct options *o)
{
        const char **args[] = {&o->address, &o->method, &o->request};
        for (int r; (r = cli_next(c)) != CLI_END;) {
                char *end;
                double s;
                switch (r) {
                case OPT_TIMEOUT:
                        s = strtod(c->value, &end);
                        if (end == c->value || *end || !(s > 0 && s < 1e9)) {
                                return cli_bad_value(c, "--timeout", c->value,
                                                     "a number of seconds above 0");
                        }
                        o->timeout_ns = (uint64_t)(s * 1e9);
                        break;
                case OPT_COMPACT:
                        o->flags = 0;
                        break;
                case OPT_JSON:
                        o->json = 1;
                        o->flags = 0;
                        break;
                case CLI_ARG:
                        *args[c->nargs - 1] = c->value;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        return -1;
}

int cmd_call(int argc, char **argv)
{
        struct options o = {
            .timeout_ns = DEFAULT_TIMEOUT_NS, .flags = WARD_RPC_JSON_PRETTY, .request = "{}"};
        struct target t = {0};
        struct answer a = {0};
        ward_ipc_conn *conn = NULL;
        Ward__Reflect__Description *d = NULL;
        uint8_t *req = NULL;
        size_t req_len = 0;
        struct cli c;
        cli_init(&c, &call_cmd, argc, argv);
        int rc = parse(&c, &o);
        if (rc >= 0) {
                return rc;
        }
        int r = ward_ipc_connect(o.address, NULL, &conn);
        if (r < 0) {
                return rpc_address_error(&c, o.address, r);
        }
        r = ward_rpc_describe(conn, o.timeout_ns, &d);
        if (r < 0) {
                rc = cli_error(&c, CLI_PROBLEM, "%s: reflection: %s", o.address, ward_strerror(r));
        } else if ((rc = find_target(&c, d, o.method, &t)) == 0 &&
                   (rc = encode_request(&c, d, &t, o.request, &req, &req_len)) == 0) {
                r = ward_loop_new(&a.loop);
                if (r == 0) {
                        r = ward_ipc_conn_attach(conn, a.loop);
                }
                if (r < 0) {
                        rc = cli_error(&c, CLI_PROBLEM, "%s", ward_strerror(r));
                } else if ((rc = call(&c, conn, &t, &o, req, req_len, &a)) == 0) {
                        rc = print_reply(&c, d, &t, &o, &a);
                }
        }
        free(req);
        free(a.reply);
        if (d) {
                protobuf_c_message_free_unpacked(&d->base, NULL);
        }
        ward_ipc_conn_close(conn);
        ward_loop_free(a.loop);
        return rc;
}
