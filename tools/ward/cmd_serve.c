/* ward serve: runs ward-serve (tools/ward-serve), the service host, which
 * links libward only: a process hosting services maps no libdw or libelf. */
#include <stdio.h>

#include "commands.h"

int cmd_serve(int argc, char **argv)
{
        char why[512];
        (void)argc;
        argv[0] = "ward-serve";
        exec_sibling("ward-serve", argv, why, sizeof(why));
        fprintf(stderr, "ward serve: cannot run the service host: %s\n", why);
        return 1;
}
