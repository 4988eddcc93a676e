/* ward-serve (run as `ward serve --listen ADDRESS --load LIB.so [--load ...]`):
 * host the services of several shared libraries in one process, on one
 * address. A program of its own, linked with libward only, so that the
 * process hosting services maps nothing of libward-inspect (libdw, libelf):
 * the `ward` command execs it. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <ward/ward.h>

#define MAX_LIBS 32

struct loaded {
        void *handle;
        ward_service_fini_fn fini;
};

static void on_stop(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
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

static int parse(int argc, char **argv, const char **address, const char **libs, int *nlibs)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
                        *address = argv[++i];
                } else if (strcmp(argv[i], "--load") == 0 && i + 1 < argc && *nlibs < MAX_LIBS) {
                        libs[(*nlibs)++] = argv[++i];
                } else {
                        return -1;
                }
        }
        return *address && *nlibs > 0 ? 0 : -1;
}

static int serve(ward_loop *loop, ward_rpc_server *srv, const char *address, const char **libs,
                 int nlibs, struct loaded *loaded)
{
        for (int i = 0; i < nlibs; i++) {
                if (load_one(libs[i], srv, address, &loaded[i]) < 0) {
                        return 1;
                }
        }
        printf("ward serve: %d librar%s on %s\n", nlibs, nlibs == 1 ? "y" : "ies", address);
        fflush(stdout);
        int r = ward_loop_run(loop);
        if (r < 0) {
                fprintf(stderr, "ward serve: %s\n", ward_strerror(r));
        }
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        const char *address = NULL, *libs[MAX_LIBS];
        struct loaded loaded[MAX_LIBS] = {0};
        int nlibs = 0, rc = 1;
        ward_loop *loop = NULL;
        ward_rpc_server *srv = NULL;
        if (parse(argc, argv, &address, libs, &nlibs) < 0) {
                fprintf(stderr, "usage: ward serve --listen ADDRESS --load LIB.so [--load ...]\n");
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
                r = ward_rpc_server_new(loop, address, NULL, &srv);
        }
        if (r < 0) {
                fprintf(stderr, "ward serve: %s: %s\n", address, ward_strerror(r));
        } else {
                rc = serve(loop, srv, address, libs, nlibs, loaded);
        }
        for (int i = nlibs - 1; i >= 0; i--) {
                if (loaded[i].handle && loaded[i].fini) {
                        loaded[i].fini();
                }
        }
        ward_rpc_server_free(srv);
        for (int i = nlibs - 1; i >= 0; i--) {
                if (loaded[i].handle) {
                        dlclose(loaded[i].handle);
                }
        }
        ward_loop_free(loop);
        return rc;
}
