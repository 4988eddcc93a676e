/* Loading the gRPC client transport: libward-grpc, with dlopen (remote.h). */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <ward/rpc.h>

#include "rpc/remote.h"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const struct ward__rpc_remote_ops *loaded;

/* beside_libward: the library in the directory libward.so was loaded from (a
 * build tree, a prefix outside the search path); NULL when libward is linked
 * statically into the program. */
static void *beside_libward(void)
{
        Dl_info info;
        char path[PATH_MAX];
        if (!dladdr((void *)ward_rpc_client_open, &info) || !info.dli_fname) {
                return NULL;
        }
        const char *slash = strrchr(info.dli_fname, '/');
        if (!slash || !strstr(slash, "libward.so")) {
                return NULL;
        }
        int n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - info.dli_fname),
                         info.dli_fname, WARD__RPC_GRPC_LIBRARY);
        return n > 0 && (size_t)n < sizeof(path) ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
}

/* Linked into the program already (a static libward-grpc): weak, so that
 * libward.so needs nothing for it. */
extern __typeof__(ward__grpc_client_ops) ward__grpc_client_ops __attribute__((weak));

static void load(void)
{
        if (ward__grpc_client_ops) {
                loaded = ward__grpc_client_ops();
                return;
        }
        void *h = beside_libward();
        if (!h) {
                h = dlopen(WARD__RPC_GRPC_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        }
        if (!h) {
                return;
        }
        ward__rpc_remote_entry_fn entry = (ward__rpc_remote_entry_fn)dlsym(h, WARD__RPC_GRPC_ENTRY);
        const struct ward__rpc_remote_ops *ops = entry ? entry() : NULL;
        if (ops && ops->size >= sizeof(*ops)) {
                loaded = ops; /* the library stays mapped: its functions are in use */
        } else {
                dlclose(h);
        }
}

int ward__rpc_remote_load(const struct ward__rpc_remote_ops **ret)
{
        pthread_once(&load_once, load);
        *ret = loaded;
        return loaded ? 0 : -ENOTSUP;
}
