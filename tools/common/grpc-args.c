/* The gRPC options of ward serve and ward gateway. */
#include "grpc-args.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int grpc_args_readable(const char *prog, const char *option, const char *path)
{
        if (path && access(path, R_OK) < 0) {
                fprintf(stderr, "%s: %s %s: %s\n", prog, option, path, strerror(errno));
                return 0;
        }
        return 1;
}

void grpc_args_address(const char *arg, char *out, size_t size)
{
        if (!strchr(arg, ':')) {
                snprintf(out, size, "127.0.0.1:%s", arg);
        } else if (arg[0] == ':') {
                snprintf(out, size, "127.0.0.1%s", arg);
        } else {
                snprintf(out, size, "%s", arg);
        }
}
