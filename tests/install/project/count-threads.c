/* count-threads PID: a tool of a user's own on libward-inspect: scans a live
 * process's threads with ward_lock_scan and prints how many it has and
 * whether any wait in a deadlock. */
#include <stdio.h>
#include <stdlib.h>

#include <ward/error.h>
#include <ward/inspect.h>

int main(int argc, char **argv)
{
        struct ward_lock_scan scan;
        if (argc != 2) {
                fprintf(stderr, "usage: count-threads PID\n");
                return 2;
        }
        int r = ward_lock_scan(atoi(argv[1]), &scan);
        if (r < 0) {
                fprintf(stderr, "count-threads: %s\n", ward_strerror(r));
                return 1;
        }
        printf("threads %zu deadlock %s\n", scan.n, scan.cycle ? "yes" : "no");
        ward_lock_scan_free(&scan);
        return 0;
}
