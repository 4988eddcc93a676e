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

#include "peer.h"

#define MAX_PEERS 32
#define SECOND 1000000000ull
#define DEFAULT_CALL_TIMEOUT (30 * SECOND) /* a gRPC call without a deadline */
#define GRACE_NS (10 * SECOND)             /* SIGTERM: calls in flight get this long */

struct gateway {
        struct peer peers[MAX_PEERS];
        const char *to[MAX_PEERS]; /* their addresses, as given */
        int npeers;
        const char *grpc, *cert, *key;
};

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

/* call_peer: the call to p's service number k, method m. As the
 * dispatch returns. */
static int call_peer(struct peer *p, size_t k, int m, const void *req, size_t len,
                     uint64_t timeout_ns, ward_rpc_bytes_fn fn, void *arg)
{
        const Ward__Reflect__Service *s = p->link.desc->services[k];
        return ward_rpc_call_bytes_traced_async(
            p->link.conn, p->link.ids[k], (unsigned)m, s->name, s->methods[m]->name,
            p->link.traced[k], s->methods[m]->one_way, req, len,
            timeout_ns == UINT64_MAX ? DEFAULT_CALL_TIMEOUT : timeout_ns, fn, arg);
}

/* unavailable: answer a call UNAVAILABLE at once, naming the peer that
 * is not connected (it might host the service). */
static int unavailable(const struct peer *p, ward_rpc_bytes_fn fn, void *arg)
{
        char message[512];
        snprintf(message, sizeof(message), "ward peer %s is reconnecting (%s)", p->address,
                 ward_strerror(p->error));
        fn(arg, -ECONNREFUSED, NULL, 0, message);
        return 0;
}

/* to_peers: the bridge's dispatch: the first connected peer hosting
 * service. A peer that is not connected (it reconnects on a thread of its
 * own) is skipped; when no connected one hosts the service and one was not
 * connected, the call is UNAVAILABLE at once rather than UNIMPLEMENTED. */
static int to_peers(void *ctx, const char *service, const char *method, const void *req, size_t len,
                    uint64_t timeout_ns, ward_rpc_bytes_fn fn, void *arg)
{
        struct gateway *gw = ctx;
        const struct peer *down = NULL;
        for (int i = 0; i < gw->npeers; i++) {
                struct peer *p = &gw->peers[i];
                if (!peer_up(p)) {
                        down = down ? down : p;
                        continue;
                }
                for (size_t k = 0; k < p->link.desc->n_services; k++) {
                        if (strcmp(p->link.desc->services[k]->name, service) != 0) {
                                continue;
                        }
                        int m = find_method(p->link.desc->services[k], method);
                        if (m < 0) {
                                return -WARD_E_UNKNOWN_METHOD;
                        }
                        return call_peer(p, k, m, req, len, timeout_ns, fn, arg);
                }
        }
        return down ? unavailable(down, fn, arg) : -WARD_E_UNKNOWN_SERVICE;
}

/* describe_peers: the bridge's describe, for gRPC server reflection: what
 * the connected peers host. */
static size_t describe_peers(void *ctx, const struct Ward__Reflect__Description **out, size_t max)
{
        struct gateway *gw = ctx;
        size_t n = 0;
        for (int i = 0; i < gw->npeers && n < max; i++) {
                if (peer_up(&gw->peers[i])) {
                        out[n++] = gw->peers[i].link.desc;
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
                   "answer, or whose server went away, is connected to again in the background\n"
                   "(50 ms, doubling up to 2 s, between attempts); meanwhile calls that might\n"
                   "go there fail UNAVAILABLE at once, and calls to the other addresses go on.\n"
                   "gRPC server reflection lists what the connected servers host. SIGTERM or\n"
                   "SIGINT stops it once the calls in flight are done. See docs/grpc.md.",
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
                        gw->to[gw->npeers++] = cli.value;
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

/* start: the peers (those not up yet are tried again in the background),
 * then gRPC. 0, or the exit status after saying why not. */
static int start(ward_loop *loop, struct gateway *gw)
{
        char address[512];
        size_t nservices = 0;
        for (int i = 0; i < gw->npeers; i++) {
                struct peer *p = &gw->peers[i];
                int r = peer_init(p, loop, gw->to[i]);
                if (r < 0) {
                        cli_error(&cli, CLI_PROBLEM, "%s", ward_strerror(r));
                        return CLI_PROBLEM;
                }
                r = peer_connect_now(p);
                if (r == -EINVAL || r == -ENAMETOOLONG) {
                        return cli_address_error(&cli, p->address, r);
                }
                if (r < 0) {
                        cli_error(&cli, 0, "--to %s: %s (tried again in the background)",
                                  p->address, ward_strerror(r));
                } else {
                        nservices += p->link.desc->n_services;
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
        if (loop) {
                peers_close(gw.peers, gw.npeers, loop);
        }
        ward_loop_free(loop);
        return rc;
}
