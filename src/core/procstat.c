/* /proc/PID/stat: see procstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"

/* parse: "pid (comm) S f4 ... f22 ..." */
static int parse(char *buf, struct ward__procstat *ret)
{
        char *open = strchr(buf, '(');
        char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
        if (!open || !p || p < open || p[1] != ' ' || !p[2]) {
                return -EIO;
        }
        size_t n = (size_t)(p - open - 1);
        n = n < sizeof(ret->comm) - 1 ? n : sizeof(ret->comm) - 1;
        memcpy(ret->comm, open + 1, n);
        ret->comm[n] = '\0';
        ret->state = p[2];
        for (int field = 2; *p && field < 22; p++) {
                field += *p == ' ';
        }
        ret->start = strtoull(p, NULL, 10);
        return 0;
}

int ward__proc_stat_read(int pid, int tid, struct ward__procstat *ret)
{
        char path[96], buf[1024];
        if (pid && tid) {
                snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
        } else if (tid) {
                snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
        } else if (pid) {
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
        return parse(buf, ret);
}

int ward__proc_stat(int pid, char *ret_state, uint64_t *ret_start)
{
        struct ward__procstat st;
        int r = ward__proc_stat_read(pid, 0, &st);
        if (r < 0) {
                return r;
        }
        if (ret_state) {
                *ret_state = st.state;
        }
        if (ret_start) {
                *ret_start = st.start;
        }
        return 0;
}
