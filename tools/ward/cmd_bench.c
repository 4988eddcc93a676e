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
                fprintf(stderr, "usage: ward bench ipc|rpc|memory|trace|locks|proc|proc-watch|"
                                "proc-stack|guard|grpc [options] (see docs/ward.md)\n");
                return 2;
        }
        char name[64], why[512];
        if (snprintf(name, sizeof(name), "ward-bench-%s", argv[1]) >= (int)sizeof(name)) {
                fprintf(stderr, "ward bench: no benchmark '%s'\n", argv[1]);
                return 2;
        }
        exec_sibling(name, argv + 1, why, sizeof(why));
        fprintf(stderr, "ward bench: no benchmark '%s' (%s)\n", argv[1], why);
        return 2;
}
