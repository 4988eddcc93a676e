/* whois PID: a tool of your own on libward-inspect (docs/project.md): what a
 * process is and what ward knows of it. */
#include <stdio.h>
#include <stdlib.h>

#include <ward/error.h>
#include <ward/inspect.h>

int main(int argc, char **argv)
{
        struct ward_proc_info info;
        if (argc != 2) {
                fprintf(stderr, "usage: whois PID\n");
                return 2;
        }
        int r = ward_proc_info(atoi(argv[1]), WARD_PROC_EXE | WARD_PROC_WARD, &info);
        if (r < 0) {
                fprintf(stderr, "whois: %s\n", ward_strerror(r));
                ward_proc_info_free(&info);
                return 2;
        }
        printf("%d %s threads %ld exe %s%s%s%s\n", info.pid, info.comm, info.nthreads,
               info.exe ? info.exe : "?", info.ward & WARD_PROC_TRACES ? " traced" : "",
               info.ward & WARD_PROC_LOCKS ? " locks" : "",
               info.ward & WARD_PROC_GUARDED ? " guarded" : "");
        ward_proc_info_free(&info);
        return 0;
}
