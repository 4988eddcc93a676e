/* ward-gateway (run as `ward gateway --grpc [HOST:]PORT --to ADDRESS
 * [--to ...] [--grpc-cert PEM --grpc-key PEM]`): gRPC calls to the services
 * of other ward processes. Each call goes to the first address whose server
 * hosts its service (learned from ward's reflection), as a ward call with
 * the request's bytes unchanged, timed out at the gRPC call's deadline. A
 * program of its own, linked with libward and libward-grpc only. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/grpc.h>
#include <ward/rpc-json.h>
#include <ward/ward.h>

#include "cli.h"
#include "grpc-args.h"

#include "reflect.pb-c.h"

#define MAX_PEERS 32
#define SECOND 1000000000ull
#define CONNECT_TIMEOUT (2 * SECOND)       /* describing and resolving a peer */
#define DEFAULT_CALL_TIMEOUT (30 * SECOND) /* a gRPC call without a deadline */
#define GRACE_NS (10 * SECOND)             /* SIGTERM: calls in flight get this long */

/* A ward server calls go to: its connection and what it hosts. */
struct peer {
        const char *address;
        ward_loop *loop;
        ward_ipc_conn *conn; /* NULL until connected (again) */
        Ward__Reflect__Description *desc;
        uint32_t *ids; /* the server's id of each of desc's services */
        int *traced;   /* whether the server takes trace contexts for it */
};

struct gateway {
        struct peer peers[MAX_PEERS];
        int npeers;
        const char *grpc, *cert, *key;
};

static void peer_drop(struct peer *p)
{
        p->conn = ward_ipc_conn_close(p->conn); /* its calls in flight end -ECANCELED */
        if (p->desc) {
                protobuf_c_message_free_unpacked(&p->desc->base, NULL);
        }
        p->desc = NULL;
        free(p->ids);
        p->ids = NULL;
        free(p->traced);
        p->traced = NULL;
}

/* peer_connect: connect to p, learn what it hosts and the ids of those
 * services. 0 or -errno / -WARD_E_*; p is left unconnected on failure. */
static int peer_connect(struct peer *p)
{
        int r = ward_ipc_connect(p->address, NULL, &p->conn);
        if (r == 0) {
                r = ward_ipc_conn_attach(p->conn, p->loop);
        }
        if (r == 0) {
                r = ward_rpc_describe(p->conn, CONNECT_TIMEOUT, &p->desc);
        }
        if (r == 0) {
                p->ids = calloc(p->desc->n_services + 1, sizeof(*p->ids));
                p->traced = calloc(p->desc->n_services + 1, sizeof(*p->traced));
                r = p->ids && p->traced ? 0 : -ENOMEM;
        }
        for (size_t i = 0; r == 0 && i < p->desc->n_services; i++) {
                Ward__Reflect__Service *s = p->desc->services[i];
                r = ward_rpc_resolve_traced(p->conn, s->name, s->schema_hash, CONNECT_TIMEOUT,
                                            &p->ids[i], &p->traced[i]);
        }
        if (r < 0) {
                peer_drop(p);
        }
        return r;
}

/* peer_ready: p connected, connecting again if its connection failed. */
static int peer_ready(struct peer *p)
{
        if (p->conn && ward_ipc_conn_get_error(p->conn) == 0) {
                return 0;
        }
        peer_drop(p);
        return peer_connect(p);
}

/* find_method: the index of service's method called name, or -1. */
static int find_method(const Ward__Reflect__Service *s, const char *name)
{
        for (size_t i = 0; i < s->n_methods; i++) {
                if (strcmp(s->methods[i]->name, name) == 0) {
                        return (int)i;
                }
        }
        return -1;
}

/* to_peers: the bridge's dispatch: the first peer hosting service. A peer
 * that cannot be reached is skipped; when no reachable one hosts the service
 * and one was unreachable, the call is UNAVAILABLE rather than UNIMPLEMENTED. */
static int to_peers(void *ctx, const char *service, const char *method, const void *req, size_t len,
                    uint64_t timeout_ns, ward_rpc_bytes_fn fn, void *arg)
{
        struct gateway *gw = ctx;
        int unreachable = 0;
        for (int i = 0; i < gw->npeers; i++) {
                struct peer *p = &gw->peers[i];
                if (peer_ready(p) < 0) {
                        unreachable = -ECONNREFUSED;
                        continue;
                }
                for (size_t k = 0; k < p->desc->n_services; k++) {
                        const Ward__Reflect__Service *s = p->desc->services[k];
                        if (strcmp(s->name, service) != 0) {
                                continue;
                        }
                        int m = find_method(s, method);
                        if (m < 0) {
                                return -WARD_E_UNKNOWN_METHOD;
                        }
                        return ward_rpc_call_bytes_traced_async(
                            p->conn, p->ids[k], (unsigned)m, s->name, method, p->traced[k],
                            s->methods[m]->one_way, req, len,
                            timeout_ns == UINT64_MAX ? DEFAULT_CALL_TIMEOUT : timeout_ns, fn, arg);
                }
        }
        return unreachable ? unreachable : -WARD_E_UNKNOWN_SERVICE;
}

/* describe_peers: the bridge's describe, for gRPC server reflection: what
 * the reachable peers host. */
static size_t describe_peers(void *ctx, const struct Ward__Reflect__Description **out, size_t max)
{
        struct gateway *gw = ctx;
        size_t n = 0;
        for (int i = 0; i < gw->npeers && n < max; i++) {
                if (peer_ready(&gw->peers[i]) == 0) {
                        out[n++] = gw->peers[i].desc;
                }
        }
        return n;
}

static struct cli cli;

enum { OPT_GRPC = 1, OPT_TO, OPT_GRPC_CERT, OPT_GRPC_KEY };

static const struct cli_command gateway_cmd = {
    .name = "gateway",
    .synopsis = "--grpc=[HOST:]PORT --to=ADDRESS [--to=ADDRESS ...] "
                "[--grpc-cert=CERT.pem --grpc-key=KEY.pem]",
    .summary = "Answer gRPC calls with the services of other ward processes.",
    .description = "Each gRPC call goes to the first --to address whose server hosts its service\n"
                   "(learned from ward's reflection), as a ward call with the request's bytes\n"
                   "unchanged, timed out at the gRPC call's deadline. An address that does not\n"
                   "answer yet is tried again at each call. gRPC server reflection lists what the\n"
                   "reachable servers host. SIGTERM or SIGINT stops it once the calls in flight\n"
                   "are done. See docs/grpc.md.",
    .options =
        (const struct cli_option[]){
            {OPT_GRPC, "grpc", 0, "[HOST:]PORT",
             "serve gRPC there (loopback without HOST; port 0: any)"},
            {OPT_TO, "to", 0, "ADDRESS", "a ward server to call (repeat for more)"},
            {OPT_GRPC_CERT, "grpc-cert", 0, "CERT.pem", "TLS certificate"},
            {OPT_GRPC_KEY, "grpc-key", 0, "KEY.pem", "TLS private key"},
            {0},
        },
    .exit_status = "0  stopped by SIGTERM or SIGINT\n"
                   "1  gRPC could not start, or the loop failed\n"
                   "2  bad usage: an option missing or given twice\n",
    .examples = "ward gateway --grpc 50051 --to @calc --to unix:/run/app/store.sock",
};

/* once: an option that takes one value; the second is an error naming both */
static int once(const char **slot, const char *option)
{
        if (*slot) {
                cli_usage_error(&cli, "%s given twice ('%s', then '%s'): one is allowed", option,
                                *slot, cli.value);
                return -1;
        }
        *slot = cli.value;
        return 0;
}

/* parse: the command line into gw; -1 to go on, else the exit status */
static int parse(int argc, char **argv, struct gateway *gw)
{
        cli_init(&cli, &gateway_cmd, argc, argv);
        for (int r; (r = cli_next(&cli)) != CLI_END;) {
                int bad = 0;
                switch (r) {
                case OPT_GRPC:
                        bad = once(&gw->grpc, "--grpc");
                        break;
                case OPT_GRPC_CERT:
                        bad = once(&gw->cert, "--grpc-cert");
                        break;
                case OPT_GRPC_KEY:
                        bad = once(&gw->key, "--grpc-key");
                        break;
                case OPT_TO:
                        if (gw->npeers == MAX_PEERS) {
                                return cli_usage_error(&cli, "at most %d --to", MAX_PEERS);
                        }
                        gw->peers[gw->npeers++].address = cli.value;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
                if (bad) {
                        return CLI_USAGE;
                }
        }
        if (!gw->grpc || gw->npeers == 0) {
                return cli_usage_error(&cli, "%s is required",
                                       gw->grpc ? "--to ADDRESS" : "--grpc [HOST:]PORT");
        }
        if (!gw->cert != !gw->key) {
                return cli_usage_error(&cli, "--grpc-cert and --grpc-key go together");
        }
        return -1;
}

static ward_grpc_server *bridge;

static void stop_loop(void *loop)
{
        ward_loop_stop(loop);
}

/* on_stop: SIGTERM or SIGINT: stop once the calls in flight are done (a
 * second signal does not wait). */
static void on_stop(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        static int stopping;
        ward_loop *loop = ward_source_get_loop(s);
        (void)si, (void)arg;
        if (bridge && !stopping++) {
                ward_grpc_server_shutdown(bridge, GRACE_NS, stop_loop, loop);
        } else {
                ward_loop_stop(loop);
        }
}

/* start: the peers (those not up yet are tried again at each call), then
 * gRPC. 0, or the exit status after saying why not. */
static int start(ward_loop *loop, struct gateway *gw)
{
        char address[512];
        size_t nservices = 0;
        for (int i = 0; i < gw->npeers; i++) {
                gw->peers[i].loop = loop;
                int r = peer_connect(&gw->peers[i]);
                if (r == -EINVAL || r == -ENAMETOOLONG) {
                        return cli_address_error(&cli, gw->peers[i].address, r);
                }
                if (r < 0) {
                        cli_error(&cli, 0, "--to %s: %s (tried again at each call)",
                                  gw->peers[i].address, ward_strerror(r));
                } else {
                        nservices += gw->peers[i].desc->n_services;
                }
        }
        if (!grpc_args_readable("ward gateway", "--grpc-cert", gw->cert) ||
            !grpc_args_readable("ward gateway", "--grpc-key", gw->key)) {
                return CLI_USAGE;
        }
        grpc_args_address(gw->grpc, address, sizeof(address));
        struct ward_grpc_options o = {
            .size = sizeof(o), .cert_file = gw->cert, .key_file = gw->key};
        int r = ward_grpc_server_new_dispatch(loop, address, &o, to_peers, gw, &bridge);
        if (r < 0) {
                cli_error(&cli, CLI_PROBLEM, "--grpc %s: %s", address, ward_strerror(r));
                return CLI_PROBLEM;
        }
        ward_grpc_server_set_describe(bridge, describe_peers, gw);
        printf("ward gateway: gRPC (%s) on port %d\n", gw->cert ? "TLS" : "plaintext",
               ward_grpc_server_port(bridge));
        printf("ward gateway: %zu service%s at %d address%s\n", nservices,
               nservices == 1 ? "" : "s", gw->npeers, gw->npeers == 1 ? "" : "es");
        fflush(stdout);
        return 0;
}

int main(int argc, char **argv)
{
        static struct gateway gw;
        ward_loop *loop = NULL;
        int rc = 1;
        rc = parse(argc, argv, &gw);
        if (rc >= 0) {
                return rc;
        }
        rc = CLI_PROBLEM;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &set, NULL); /* before gRPC starts its threads */
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_stop, NULL, NULL);
        }
        if (r < 0) {
                cli_error(&cli, CLI_PROBLEM, "%s", ward_strerror(r));
        } else if ((rc = start(loop, &gw)) == 0) {
                r = ward_loop_run(loop);
                rc = r < 0 ? CLI_PROBLEM : CLI_OK;
        }
        bridge = ward_grpc_server_free(bridge);
        for (int i = 0; i < gw.npeers; i++) {
                peer_drop(&gw.peers[i]);
        }
        ward_loop_free(loop);
        return rc;
}
