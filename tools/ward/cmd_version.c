/* ward version: print the version of the command and of the library. */
#include <stdio.h>

#include <ward/api.h>

#include "commands.h"

int cmd_version(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        printf("ward %s\n", WARD_VERSION_STRING);
        return 0;
}
