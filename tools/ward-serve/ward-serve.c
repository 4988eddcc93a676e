/* ward-serve (run as `ward serve --listen ADDRESS --load LIB.so [--load ...]
 * [--grpc HOST:PORT [--grpc-cert PEM --grpc-key PEM]]`): host the services of
 * several shared libraries in one process, on one address, and over gRPC if
 * asked. A program of its own, linked with libward only, so that the process
 * hosting services maps nothing of libward-inspect (libdw, libelf): the
 * `ward` command execs it. libward-grpc (and with it libgrpc) is loaded only
 * for --grpc. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/grpc.h>
#include <ward/ward.h>

#include "cli.h"
#include "grpc-args.h"
#include "libraries.h"

#define MAX_LIBS 32
#define GRPC_LIBRARY "libward-grpc.so.0"
#define GRPC_GRACE_NS (10ull * 1000000000ull) /* SIGTERM: calls in flight get this long */

struct args {
        const char *address;
        const char *libs[MAX_LIBS];
        int nlibs;
        const char *grpc; /* [HOST:]PORT, or NULL */
        const char *cert, *key;
};

/* The gRPC bridge, loaded for --grpc. */
struct bridge {
        void *handle;
        ward_grpc_server_free_fn free;
        ward_grpc_server_shutdown_fn shutdown;
        ward_grpc_server *server;
};

static struct bridge bridge;

static struct cli cli;

static void stop_loop(void *loop)
{
        ward_loop_stop(loop);
}

/* on_stop: SIGTERM or SIGINT: stop once the gRPC calls in flight are done
 * (a second signal does not wait). */
static void on_stop(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        static int stopping;
        ward_loop *loop = ward_source_get_loop(s);
        (void)si, (void)arg;
        if (bridge.server && !stopping++) {
                bridge.shutdown(bridge.server, GRPC_GRACE_NS, stop_loop, loop);
        } else {
                ward_loop_stop(loop);
        }
}

enum { OPT_LISTEN = 1, OPT_LOAD, OPT_GRPC, OPT_GRPC_CERT, OPT_GRPC_KEY };

static const struct cli_command serve_cmd = {
    .name = "serve",
    .synopsis = "--listen=ADDRESS --load=LIB.so [--load=LIB.so ...]\n"
                "--listen=ADDRESS --load=LIB.so --grpc=[HOST:]PORT "
                "[--grpc-cert=CERT.pem --grpc-key=KEY.pem]",
    .summary = "Host the services of several shared libraries in one process, on one address.",
    .description = "Each library exports ward_service_init(), which adds its services to the\n"
                   "server; calls between services of one ward serve are short-circuited (no\n"
                   "copy, no socket). With --grpc the same services also answer gRPC clients\n"
                   "(plaintext, or TLS with --grpc-cert and --grpc-key). SIGTERM or SIGINT stops\n"
                   "it once the gRPC calls in flight are done. See docs/rpc.md and docs/grpc.md.",
    .options =
        (const struct cli_option[]){
            {OPT_LISTEN, "listen", 0, "ADDRESS",
             "where to serve: unix:/path/to.sock or @abstract-name (once)"},
            {OPT_LOAD, "load", 0, "LIB.so", "a service library to host (repeat for more)"},
            {OPT_GRPC, "grpc", 0, "[HOST:]PORT",
             "also serve gRPC there (loopback without HOST; port 0: any)"},
            {OPT_GRPC_CERT, "grpc-cert", 0, "CERT.pem", "TLS certificate for --grpc"},
            {OPT_GRPC_KEY, "grpc-key", 0, "KEY.pem", "TLS private key for --grpc"},
            {0},
        },
    .exit_status = "0  stopped by SIGTERM or SIGINT\n"
                   "1  a library failed to load or to start, or the server failed\n"
                   "2  bad usage: an option missing or given twice, the same service twice\n",
    .examples = "ward serve --listen @app --load ./libcalc.so --load ./libstore.so\n"
                "ward serve --listen @app --load ./libcalc.so --grpc 50051",
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

/* parse: the command line into a; -1 to go on, else the exit status */
static int parse(int argc, char **argv, struct args *a)
{
        cli_init(&cli, &serve_cmd, argc, argv);
        for (int r; (r = cli_next(&cli)) != CLI_END;) {
                int bad = 0;
                switch (r) {
                case OPT_LISTEN:
                        bad = once(&a->address, "--listen");
                        break;
                case OPT_GRPC:
                        bad = once(&a->grpc, "--grpc");
                        break;
                case OPT_GRPC_CERT:
                        bad = once(&a->cert, "--grpc-cert");
                        break;
                case OPT_GRPC_KEY:
                        bad = once(&a->key, "--grpc-key");
                        break;
                case OPT_LOAD:
                        if (a->nlibs == MAX_LIBS) {
                                return cli_usage_error(&cli, "at most %d --load", MAX_LIBS);
                        }
                        a->libs[a->nlibs++] = cli.value;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
                if (bad) {
                        return CLI_USAGE;
                }
        }
        if (!a->address || a->nlibs == 0) {
                return cli_usage_error(&cli, "%s is required",
                                       a->address ? "--load LIB.so" : "--listen ADDRESS");
        }
        if ((a->cert || a->key) && !(a->cert && a->key && a->grpc)) {
                return cli_usage_error(&cli, "--grpc-cert and --grpc-key go together, with --grpc");
        }
        return -1;
}

/* open_bridge: libward-grpc, from the directory libward was loaded from
 * (it is installed beside it; a RUNPATH would not do: under a sanitizer,
 * dlopen's caller is the sanitizer's runtime), else by soname. */
static void *open_bridge(void)
{
        Dl_info info;
        char path[4096];
        if (dladdr((void *)ward_loop_new, &info) && info.dli_fname &&
            strrchr(info.dli_fname, '/')) {
                int dir = (int)(strrchr(info.dli_fname, '/') - info.dli_fname);
                snprintf(path, sizeof(path), "%.*s/%s", dir, info.dli_fname, GRPC_LIBRARY);
                void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
                if (h) {
                        return h;
                }
        }
        return dlopen(GRPC_LIBRARY, RTLD_NOW | RTLD_LOCAL);
}

/* start_grpc: load libward-grpc and serve srv's services on a->grpc; 0, or
 * the exit status after saying why not (CLI_USAGE: a certificate or key file
 * that cannot be read). */
static int start_grpc(ward_rpc_server *srv, const struct args *a)
{
        char address[512];
        bridge.handle = open_bridge();
        if (!bridge.handle) {
                cli_error(&cli, CLI_PROBLEM, "--grpc needs %s: %s", GRPC_LIBRARY, dlerror());
                return CLI_PROBLEM;
        }
        ward_grpc_server_new_fn new_fn =
            (ward_grpc_server_new_fn)dlsym(bridge.handle, "ward_grpc_server_new");
        ward_grpc_server_port_fn port_fn =
            (ward_grpc_server_port_fn)dlsym(bridge.handle, "ward_grpc_server_port");
        bridge.free = (ward_grpc_server_free_fn)dlsym(bridge.handle, "ward_grpc_server_free");
        bridge.shutdown =
            (ward_grpc_server_shutdown_fn)dlsym(bridge.handle, "ward_grpc_server_shutdown");
        if (!new_fn || !port_fn || !bridge.free || !bridge.shutdown) {
                cli_error(&cli, CLI_PROBLEM, "%s lacks the ward_grpc_server functions",
                          GRPC_LIBRARY);
                return CLI_PROBLEM;
        }
        if (!grpc_args_readable("ward serve", "--grpc-cert", a->cert) ||
            !grpc_args_readable("ward serve", "--grpc-key", a->key)) {
                return CLI_USAGE;
        }
        grpc_args_address(a->grpc, address, sizeof(address));
        struct ward_grpc_options o = {.size = sizeof(o), .cert_file = a->cert, .key_file = a->key};
        int r = new_fn(srv, address, &o, &bridge.server);
        if (r < 0) {
                cli_error(&cli, CLI_PROBLEM, "--grpc %s: %s", address, ward_strerror(r));
                return CLI_PROBLEM;
        }
        printf("ward serve: gRPC (%s) on port %d\n", a->cert ? "TLS" : "plaintext",
               port_fn(bridge.server));
        return 0;
}

static int serve(ward_loop *loop, ward_rpc_server *srv, const struct args *a,
                 struct serve_library *loaded)
{
        for (int i = 0; i < a->nlibs; i++) {
                int rc = serve_library_load(&cli, a->libs, i, srv, a->address, loaded);
                if (rc != 0) {
                        return rc;
                }
        }
        int rc = a->grpc ? start_grpc(srv, a) : 0;
        if (rc != 0) {
                return rc;
        }
        printf("ward serve: %d librar%s on %s\n", a->nlibs, a->nlibs == 1 ? "y" : "ies",
               a->address);
        fflush(stdout);
        int r = ward_loop_run(loop);
        if (r < 0) {
                cli_error(&cli, CLI_PROBLEM, "%s", ward_strerror(r));
        }
        return r < 0 ? CLI_PROBLEM : CLI_OK;
}

int main(int argc, char **argv)
{
        struct args a = {0};
        struct serve_library loaded[MAX_LIBS] = {0};
        int rc = 1;
        ward_loop *loop = NULL;
        ward_rpc_server *srv = NULL;
        rc = parse(argc, argv, &a);
        if (rc >= 0) {
                return rc;
        }
        rc = CLI_PROBLEM;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_rpc_server_new(loop, a.address, NULL, &srv);
        }
        if (r < 0) {
                if (r == -EINVAL || r == -ENAMETOOLONG) {
                        rc = cli_address_error(&cli, a.address, r);
                } else {
                        cli_error(&cli, CLI_PROBLEM, "--listen %s: %s", a.address,
                                  ward_strerror(r));
                }
        } else {
                rc = serve(loop, srv, &a, loaded);
        }
        if (bridge.server) { /* before the services it calls go */
                bridge.server = bridge.free(bridge.server);
        }
        serve_libraries_fini(loaded, a.nlibs);
        ward_rpc_server_free(srv);
        serve_libraries_close(loaded, a.nlibs);
        ward_loop_free(loop);
        return rc;
}
