/* ward bench NAME: run the benchmark program ward-bench-NAME that sits next to
 * the ward binary (benchmarks link peers such as libzmq that ward itself never
 * links). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

int cmd_bench(int argc, char **argv)
{
        if (argc < 2 || strchr(argv[1], '/')) {
                fprintf(
                    stderr,
                    "usage: ward bench ipc|rpc|memory|trace|locks [options] (see docs/ward.md)\n");
                return 2;
        }
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
                perror("ward bench: /proc/self/exe");
                return 1;
        }
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        *slash = '\0';
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/ward-bench-%s", self, argv[1]) >= (int)sizeof(path)) {
                fprintf(stderr, "ward bench: path too long\n");
                return 1;
        }
        execv(path, argv + 1);
        fprintf(stderr, "ward bench: no benchmark '%s' (%s: %s)\n", argv[1], path, strerror(errno));
        return 2;
}
