/* tools/ward-serve/libraries.h: the service libraries ward serve hosts.
 * Each is loaded once (the same file given twice is refused, naming both
 * --load options), and a library adding a service an earlier one hosts is
 * refused naming which library hosts what. Main thread only. */
#ifndef WARD_SERVE_LIBRARIES_H
#define WARD_SERVE_LIBRARIES_H

#include <ward/ward.h>

#include "cli.h"

/* A library loaded, and the services it added. */
struct serve_library {
        void *handle; /* dlopen's, or NULL */
        ward_service_fini_fn fini;
        char services[512]; /* "pkg.A pkg.B" */
};

/* serve_library_load: dlopen paths[k] into loaded[k] and run its
 * ward_service_init(srv, address); loaded[0..k) are the libraries loaded
 * before. 0, or the exit status after saying why not (through cli):
 * CLI_USAGE for the same library or a service twice, CLI_PROBLEM for a
 * library that does not load, has no ward_service_init or whose
 * ward_service_init fails. loaded[k].handle is set when dlopen succeeded
 * (serve_libraries_close closes it). */
int serve_library_load(const struct cli *cli, const char *const *paths, int k, ward_rpc_server *srv,
                       const char *address, struct serve_library *loaded);

/* serve_libraries_fini: each loaded library's ward_service_fini, last
 * loaded first (before the server is freed) */
void serve_libraries_fini(struct serve_library *libs, int n);

/* serve_libraries_close: dlclose each, last loaded first (after the server
 * is freed) */
void serve_libraries_close(struct serve_library *libs, int n);

#endif
