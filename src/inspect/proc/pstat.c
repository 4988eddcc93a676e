/* /proc/PID/stat: see pstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"
#include "inspect/proc/pstat.h"

#define PID_LIMIT (1 << 22) /* the kernel's PID_MAX_LIMIT */

/* as_int: v when it fits [lo, hi] */
static int as_int(int64_t v, long long lo, long long hi, int *ret)
{
        if (v < lo || v > hi) {
                return -1;
        }
        *ret = (int)v;
        return 0;
}

/* ward__pstat_parse: the one stat parser (core/procstat) with the ranges
 * spawn, stop and watch rely on checked. */
int ward__pstat_parse(const char *buf, size_t n, struct ward__pstat *ret)
{
        struct ward__proc_statline l;
        memset(ret, 0, sizeof(*ret));
        if (ward__proc_stat_parse(buf, n, &l) < 0 || l.pid <= 0 ||
            as_int(l.ppid, 0, 1 << 22, &ret->ppid) < 0 ||
            as_int(l.pgrp, 0, 1 << 22, &ret->pgrp) < 0 ||
            as_int(l.sid, 0, 1 << 22, &ret->sid) < 0 || as_int(l.nice, -20, 19, &ret->nice) < 0 ||
            as_int(l.num_threads, 0, INT32_MAX, &ret->threads) < 0) {
                memset(ret, 0, sizeof(*ret));
                return -EPROTO;
        }
        ret->pid = l.pid;
        memcpy(ret->comm, l.comm, sizeof(ret->comm) - 1); /* the kernel's 15 bytes at most */
        ret->state = l.state;
        ret->start = l.start;
        ret->startcode = l.startcode;
        ret->startstack = l.startstack;
        ret->arg_start = l.arg_start;
        ret->exit_code = l.exit_code;
        ret->fields = l.fields;
        return 0;
}

int ward__pstat_read(int pid, struct ward__pstat *ret)
{
        char path[32], buf[1024];
        if (pid <= 0) {
                return -EINVAL;
        }
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        ssize_t n = read(fd, buf, sizeof(buf));
        int e = errno;
        close(fd);
        if (n < 0) {
                return -e;
        }
        int r = ward__pstat_parse(buf, (size_t)n, ret);
        if (r == 0 && ret->pid != pid) {
                r = -EPROTO;
        }
        return r;
}

uint64_t ward__pstat_exec_sig(const struct ward__pstat *s)
{
        uint64_t h = s->startcode * 0x9e3779b97f4a7c15ull;
        h ^= s->startstack + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
        h ^= s->arg_start + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        /* all three, or it is hidden or half-way through an exec (the kernel
         * fills them in one after the other): unknown */
        return s->startcode && s->startstack && s->arg_start ? h : 0;
}
