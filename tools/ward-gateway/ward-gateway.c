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

#include "grpc-args.h"

#include "reflect.pb-c.h"

#define MAX_PEERS 32
#define SECOND 1000000000ull
#define CONNECT_TIMEOUT (2 * SECOND)       /* describing and resolving a peer */
#define DEFAULT_CALL_TIMEOUT (30 * SECOND) /* a gRPC call without a deadline */
#define GRACE_NS (10 * SECOND)             /* SIGTERM: calls in flight get this long */

#define USAGE                                                                                      \
        "usage: ward gateway --grpc [HOST:]PORT --to ADDRESS [--to ADDRESS ...]\n"                 \
        "                    [--grpc-cert CERT.pem --grpc-key KEY.pem]\n"

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

/* slot: where the value of option o goes; NULL for an unknown option. */
static const char **slot(struct gateway *gw, const char *o)
{
        if (strcmp(o, "--grpc") == 0) {
                return &gw->grpc;
        }
        if (strcmp(o, "--grpc-cert") == 0) {
                return &gw->cert;
        }
        if (strcmp(o, "--grpc-key") == 0) {
                return &gw->key;
        }
        if (strcmp(o, "--to") == 0 && gw->npeers < MAX_PEERS) {
                return &gw->peers[gw->npeers++].address;
        }
        return NULL;
}

/* parse: the command line into gw; 0, or -1 after saying what is wrong. */
static int parse(int argc, char **argv, struct gateway *gw)
{
        for (int i = 1; i < argc; i++) {
                const char **to = slot(gw, argv[i]);
                if (!to) {
                        fprintf(stderr,
                                "ward gateway: unknown option '%s' (or more than %d --to)\n",
                                argv[i], MAX_PEERS);
                        return -1;
                }
                if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                        fprintf(stderr, "ward gateway: %s needs a value\n", argv[i]);
                        return -1;
                }
                *to = argv[++i];
        }
        if (!gw->grpc || gw->npeers == 0) {
                fprintf(stderr, "ward gateway: --grpc [HOST:]PORT and --to ADDRESS are required\n");
                return -1;
        }
        if (!gw->cert != !gw->key) {
                fprintf(stderr, "ward gateway: --grpc-cert and --grpc-key go together\n");
                return -1;
        }
        return 0;
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

/* start: the peers (those not up yet are tried again at each call), then gRPC. */
static int start(ward_loop *loop, struct gateway *gw)
{
        char address[512];
        size_t nservices = 0;
        for (int i = 0; i < gw->npeers; i++) {
                gw->peers[i].loop = loop;
                int r = peer_connect(&gw->peers[i]);
                if (r < 0) {
                        fprintf(stderr, "ward gateway: %s: %s (tried again at each call)\n",
                                gw->peers[i].address, ward_strerror(r));
                } else {
                        nservices += gw->peers[i].desc->n_services;
                }
        }
        if (!grpc_args_readable("ward gateway", "--grpc-cert", gw->cert) ||
            !grpc_args_readable("ward gateway", "--grpc-key", gw->key)) {
                return -1;
        }
        grpc_args_address(gw->grpc, address, sizeof(address));
        struct ward_grpc_options o = {
            .size = sizeof(o), .cert_file = gw->cert, .key_file = gw->key};
        int r = ward_grpc_server_new_dispatch(loop, address, &o, to_peers, gw, &bridge);
        if (r < 0) {
                fprintf(stderr, "ward gateway: --grpc %s: %s\n", address, ward_strerror(r));
                return -1;
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
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                fputs(USAGE, stdout);
                return 0;
        }
        if (parse(argc, argv, &gw) < 0) {
                fputs(USAGE, stderr);
                return 2;
        }
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
                fprintf(stderr, "ward gateway: %s\n", ward_strerror(r));
        } else if (start(loop, &gw) == 0) {
                r = ward_loop_run(loop);
                rc = r < 0 ? 1 : 0;
        }
        bridge = ward_grpc_server_free(bridge);
        for (int i = 0; i < gw.npeers; i++) {
                peer_drop(&gw.peers[i]);
        }
        ward_loop_free(loop);
        return rc;
}
