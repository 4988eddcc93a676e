/* The service libraries of ward serve: loaded once each, their services
 * hosted once each, unloaded in reverse order. See libraries.h. */
#include "libraries.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reflect.pb-c.h"

/* already_loaded: the index of the library whose handle is h, or -1 */
static int already_loaded(const struct serve_library *loaded, int n, const void *h)
{
        for (int i = 0; i < n; i++) {
                if (loaded[i].handle == h) {
                        return i;
                }
        }
        return -1;
}

/* hosted_by: which earlier library hosts service name, or -1 */
static int hosted_by(const struct serve_library *loaded, int n, const char *name)
{
        size_t len = strlen(name);
        for (int i = 0; i < n; i++) {
                for (const char *p = strstr(loaded[i].services, name); p; p = strstr(p + 1, name)) {
                        if ((p == loaded[i].services || p[-1] == ' ') &&
                            (p[len] == ' ' || p[len] == '\0')) {
                                return i;
                        }
                }
        }
        return -1;
}

/* note_services: the services of srv that no earlier library hosts are
 * library k's */
static void note_services(ward_rpc_server *srv, struct serve_library *loaded, int k)
{
        struct Ward__Reflect__Description *d = NULL;
        if (ward_rpc_server_describe(srv, &d) < 0) {
                return;
        }
        size_t used = 0;
        for (size_t i = 0; i < d->n_services; i++) {
                const char *name = d->services[i]->name;
                size_t room = sizeof(loaded[k].services) - used;
                if (hosted_by(loaded, k, name) < 0 && strlen(name) + 2 < room) {
                        used += (size_t)snprintf(loaded[k].services + used, room, "%s%s",
                                                 used ? " " : "", name);
                }
        }
        protobuf_c_message_free_unpacked(&d->base, NULL);
}

/* init_failed: library k's ward_service_init returned r; -EEXIST is a
 * service an earlier library hosts */
static int init_failed(const struct cli *cli, const char *const *paths,
                       const struct serve_library *loaded, int k, int r)
{
        if (r != -EEXIST) {
                return cli_error(cli, CLI_PROBLEM, "--load %s: %s() failed: %s", paths[k],
                                 WARD_SERVICE_INIT, ward_strerror(r));
        }
        char earlier[1024] = "";
        size_t used = 0;
        for (int i = 0; i < k && used < sizeof(earlier); i++) {
                if (loaded[i].services[0]) {
                        used += (size_t)snprintf(earlier + used, sizeof(earlier) - used,
                                                 "%s%s hosts %s", used ? "; " : "", paths[i],
                                                 loaded[i].services);
                }
        }
        return cli_error(cli, CLI_USAGE,
                         "--load %s: a service it adds is already hosted here (%s): one "
                         "ward serve hosts each service once",
                         paths[k], earlier[0] ? earlier : "by an earlier library");
}

int serve_library_load(const struct cli *cli, const char *const *paths, int k, ward_rpc_server *srv,
                       const char *address, struct serve_library *loaded)
{
        const char *path = paths[k];
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                return cli_error(cli, CLI_PROBLEM, "--load %s: %s", path, dlerror());
        }
        int twice = already_loaded(loaded, k, h);
        if (twice >= 0) {
                dlclose(h);
                return cli_error(cli, CLI_USAGE,
                                 "--load %s: the same library as --load %s (loaded twice; "
                                 "load each library once)",
                                 path, paths[twice]);
        }
        struct serve_library *out = &loaded[k];
        out->handle = h;
        ward_service_init_fn init = (ward_service_init_fn)dlsym(h, WARD_SERVICE_INIT);
        out->fini = (ward_service_fini_fn)dlsym(h, WARD_SERVICE_FINI);
        if (!init) {
                return cli_error(cli, CLI_PROBLEM,
                                 "--load %s: no %s() in it (not a ward service library?)", path,
                                 WARD_SERVICE_INIT);
        }
        int r = init(srv, address);
        if (r < 0) {
                return init_failed(cli, paths, loaded, k, r);
        }
        note_services(srv, loaded, k);
        return 0;
}

void serve_libraries_fini(struct serve_library *libs, int n)
{
        for (int i = n - 1; i >= 0; i--) {
                if (libs[i].handle && libs[i].fini) {
                        libs[i].fini();
                }
        }
}

void serve_libraries_close(struct serve_library *libs, int n)
{
        for (int i = n - 1; i >= 0; i--) {
                if (libs[i].handle) {
                        dlclose(libs[i].handle);
                        libs[i].handle = NULL;
                }
        }
}
