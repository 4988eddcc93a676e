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

#include "grpc-args.h"

#define MAX_LIBS 32
#define GRPC_LIBRARY "libward-grpc.so.0"
#define GRPC_GRACE_NS (10ull * 1000000000ull) /* SIGTERM: calls in flight get this long */

#define USAGE                                                                                      \
        "usage: ward serve --listen ADDRESS --load LIB.so [--load ...]\n"                          \
        "                  [--grpc [HOST:]PORT [--grpc-cert CERT.pem --grpc-key KEY.pem]]\n"

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

struct loaded {
        void *handle;
        ward_service_fini_fn fini;
};

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

static int load_one(const char *path, ward_rpc_server *srv, const char *address, struct loaded *out)
{
        out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!out->handle) {
                fprintf(stderr, "ward serve: %s\n", dlerror());
                return -1;
        }
        ward_service_init_fn init = (ward_service_init_fn)dlsym(out->handle, WARD_SERVICE_INIT);
        out->fini = (ward_service_fini_fn)dlsym(out->handle, WARD_SERVICE_FINI);
        if (!init) {
                fprintf(stderr, "ward serve: %s has no %s()\n", path, WARD_SERVICE_INIT);
                return -1;
        }
        int r = init(srv, address);
        if (r < 0) {
                fprintf(stderr, "ward serve: %s: %s() failed: %s\n", path, WARD_SERVICE_INIT,
                        ward_strerror(r));
                return -1;
        }
        return 0;
}

/* slot: where the value of option o goes; NULL for an unknown option. */
static const char **slot(struct args *a, const char *o)
{
        if (strcmp(o, "--listen") == 0) {
                return &a->address;
        }
        if (strcmp(o, "--grpc") == 0) {
                return &a->grpc;
        }
        if (strcmp(o, "--grpc-cert") == 0) {
                return &a->cert;
        }
        if (strcmp(o, "--grpc-key") == 0) {
                return &a->key;
        }
        if (strcmp(o, "--load") == 0) {
                return &a->libs[a->nlibs];
        }
        return NULL;
}

/* parse: the command line into a; 0, or -1 after saying what is wrong. */
static int parse(int argc, char **argv, struct args *a)
{
        for (int i = 1; i < argc; i++) {
                const char *o = argv[i];
                const char **to = slot(a, o);
                if (!to) {
                        fprintf(stderr, "ward serve: unknown option '%s'\n", o);
                        return -1;
                }
                if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                        fprintf(stderr, "ward serve: %s needs a value\n", o);
                        return -1;
                }
                if (to == &a->libs[a->nlibs] && ++a->nlibs == MAX_LIBS) {
                        fprintf(stderr, "ward serve: at most %d --load\n", MAX_LIBS - 1);
                        return -1;
                }
                *to = argv[++i];
        }
        if (!a->address || a->nlibs == 0) {
                fprintf(stderr, "ward serve: --listen ADDRESS and --load LIB.so are required\n");
                return -1;
        }
        if ((a->cert || a->key) && !(a->cert && a->key && a->grpc)) {
                fprintf(stderr,
                        "ward serve: --grpc-cert and --grpc-key go together, with --grpc\n");
                return -1;
        }
        return 0;
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

/* start_grpc: load libward-grpc and serve srv's services on a->grpc. */
static int start_grpc(ward_rpc_server *srv, const struct args *a)
{
        char address[512];
        bridge.handle = open_bridge();
        if (!bridge.handle) {
                fprintf(stderr, "ward serve: --grpc needs %s: %s\n", GRPC_LIBRARY, dlerror());
                return -1;
        }
        ward_grpc_server_new_fn new_fn =
            (ward_grpc_server_new_fn)dlsym(bridge.handle, "ward_grpc_server_new");
        ward_grpc_server_port_fn port_fn =
            (ward_grpc_server_port_fn)dlsym(bridge.handle, "ward_grpc_server_port");
        bridge.free = (ward_grpc_server_free_fn)dlsym(bridge.handle, "ward_grpc_server_free");
        bridge.shutdown =
            (ward_grpc_server_shutdown_fn)dlsym(bridge.handle, "ward_grpc_server_shutdown");
        if (!new_fn || !port_fn || !bridge.free || !bridge.shutdown) {
                fprintf(stderr, "ward serve: %s lacks the ward_grpc_server functions\n",
                        GRPC_LIBRARY);
                return -1;
        }
        if (!grpc_args_readable("ward serve", "--grpc-cert", a->cert) ||
            !grpc_args_readable("ward serve", "--grpc-key", a->key)) {
                return -1;
        }
        grpc_args_address(a->grpc, address, sizeof(address));
        struct ward_grpc_options o = {.size = sizeof(o), .cert_file = a->cert, .key_file = a->key};
        int r = new_fn(srv, address, &o, &bridge.server);
        if (r < 0) {
                fprintf(stderr, "ward serve: --grpc %s: %s\n", address, ward_strerror(r));
                return -1;
        }
        printf("ward serve: gRPC (%s) on port %d\n", a->cert ? "TLS" : "plaintext",
               port_fn(bridge.server));
        return 0;
}

static int serve(ward_loop *loop, ward_rpc_server *srv, const struct args *a, struct loaded *loaded)
{
        for (int i = 0; i < a->nlibs; i++) {
                if (load_one(a->libs[i], srv, a->address, &loaded[i]) < 0) {
                        return 1;
                }
        }
        if (a->grpc && start_grpc(srv, a) < 0) {
                return 1;
        }
        printf("ward serve: %d librar%s on %s\n", a->nlibs, a->nlibs == 1 ? "y" : "ies",
               a->address);
        fflush(stdout);
        int r = ward_loop_run(loop);
        if (r < 0) {
                fprintf(stderr, "ward serve: %s\n", ward_strerror(r));
        }
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        struct args a = {0};
        struct loaded loaded[MAX_LIBS] = {0};
        int rc = 1;
        ward_loop *loop = NULL;
        ward_rpc_server *srv = NULL;
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                fputs(USAGE, stdout);
                return 0;
        }
        if (parse(argc, argv, &a) < 0) {
                fputs(USAGE, stderr);
                return 2;
        }
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
                fprintf(stderr, "ward serve: %s: %s\n", a.address, ward_strerror(r));
        } else {
                rc = serve(loop, srv, &a, loaded);
        }
        if (bridge.server) { /* before the services it calls go */
                bridge.server = bridge.free(bridge.server);
        }
        for (int i = a.nlibs - 1; i >= 0; i--) {
                if (loaded[i].handle && loaded[i].fini) {
                        loaded[i].fini();
                }
        }
        ward_rpc_server_free(srv);
        for (int i = a.nlibs - 1; i >= 0; i--) {
                if (loaded[i].handle) {
                        dlclose(loaded[i].handle);
                }
        }
        ward_loop_free(loop);
        return rc;
}
