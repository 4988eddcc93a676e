/* /proc/PID/stat: see procstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"

int ward__proc_stat(int pid, char *ret_state, uint64_t *ret_start)
{
        char path[64], buf[1024];
        if (pid) {
                snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        } else {
                snprintf(path, sizeof(path), "/proc/self/stat");
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        int e = errno;
        if (fd >= 0) {
                close(fd);
        }
        if (n <= 0) {
                return n < 0 ? -e : -EIO;
        }
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
        if (!p || p[1] != ' ' || !p[2]) {
                return -EIO;
        }
        if (ret_state) {
                *ret_state = p[2];
        }
        for (int field = 2; *p && field < 22; p++) {
                field += *p == ' ';
        }
        if (ret_start) {
                *ret_start = strtoull(p, NULL, 10);
        }
        return 0;
}
