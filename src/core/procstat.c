/* /proc/PID/stat: see procstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"

#define STAT_REQUIRED 24 /* up to rss, every line has them */
#define STAT_FIELDS 52   /* exit_code, the last field read */

/* next_field: the number at *p (one space before it), advancing *p; -1 when
 * the text there is not a number. Fields may be negative (nice, priority). */
static int next_field(const char **p, const char *end, int64_t *ret)
{
        char buf[32];
        const char *s = *p;
        if (s >= end || *s != ' ') {
                return -1;
        }
        s++;
        size_t n = 0;
        while (s + n < end && s[n] != ' ' && s[n] != '\n' && n < sizeof(buf) - 1) {
                n++;
        }
        if (n == 0 || n == sizeof(buf) - 1) {
                return -1;
        }
        memcpy(buf, s, n);
        buf[n] = '\0';
        char *e;
        errno = 0;
        long long v = strtoll(buf, &e, 10);
        if (*e || errno) {
                unsigned long long u = strtoull(buf, &e, 10); /* vsize may exceed INT64_MAX */
                if (*e || buf[0] == '-') {
                        return -1;
                }
                v = (long long)(u > INT64_MAX ? INT64_MAX : u);
        }
        *ret = v;
        *p = s + n;
        return 0;
}

/* comm_and_state: "pid (comm) S" up to the state, from the last ')'. */
static const char *comm_and_state(const char *line, const char *end,
                                  struct ward__proc_statline *ret)
{
        const char *open = memchr(line, '(', (size_t)(end - line)), *close = NULL;
        for (const char *q = end; q > line; q--) {
                if (q[-1] == ')') {
                        close = q - 1;
                        break;
                }
        }
        if (!open || !close || close < open || end - close < 3 || close[1] != ' ') {
                return NULL;
        }
        char *e;
        long pid = strtol(line, &e, 10);
        if (e != open - 1 || *e != ' ' || pid < 0 || pid > 1 << 22) {
                return NULL;
        }
        size_t n = (size_t)(close - open - 1);
        n = n < sizeof(ret->comm) - 1 ? n : sizeof(ret->comm) - 1;
        memcpy(ret->comm, open + 1, n);
        ret->comm[n] = '\0';
        ret->pid = (int)pid;
        ret->state = close[2];
        return close + 3;
}

int ward__proc_stat_parse(const char *line, size_t len, struct ward__proc_statline *ret)
{
        const char *end = line + len, *p;
        int64_t f[STAT_FIELDS + 1] = {0};
        memset(ret, 0, sizeof(*ret));
        if (!(p = comm_and_state(line, end, ret))) {
                return -EBADMSG;
        }
        int i = 4;
        for (; i <= STAT_FIELDS; i++) {
                if (next_field(&p, end, &f[i]) < 0) {
                        if (i <= STAT_REQUIRED) {
                                return -EBADMSG;
                        }
                        break;
                }
        }
        ret->fields = i - 1;
        ret->ppid = (int)f[4];
        ret->pgrp = (int)f[5];
        ret->sid = (int)f[6];
        ret->utime = (uint64_t)f[14];
        ret->stime = (uint64_t)f[15];
        ret->priority = (long)f[18];
        ret->nice = (long)f[19];
        ret->num_threads = (long)f[20];
        ret->start = (uint64_t)f[22];
        ret->vsize = (uint64_t)f[23];
        ret->rss = f[24];
        ret->startcode = (uint64_t)f[26];
        ret->startstack = (uint64_t)f[28];
        ret->arg_start = (uint64_t)f[48];
        ret->exit_code = (int)f[52];
        return 0;
}

/* read_stat: the stat file at dirfd (or the path when dirfd < 0) into buf. */
static ssize_t read_stat(int dirfd, const char *path, char *buf, size_t size)
{
        int fd = dirfd >= 0 ? openat(dirfd, "stat", O_RDONLY | O_CLOEXEC)
                            : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        ssize_t n = read(fd, buf, size);
        int e = errno;
        close(fd);
        return n < 0 ? (e == ESRCH ? -ESRCH : -e) : n;
}

int ward__proc_stat_at(int dirfd, struct ward__proc_statline *ret)
{
        char buf[1024];
        ssize_t n = read_stat(dirfd, NULL, buf, sizeof(buf));
        if (n < 0) {
                return (int)n;
        }
        return n == 0 ? -ESRCH : ward__proc_stat_parse(buf, (size_t)n, ret);
}

int ward__proc_stat_read(int pid, int tid, struct ward__proc_statline *ret)
{
        char path[96], buf[1024];
        if (tid && pid) {
                snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
        } else if (tid) {
                snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
        } else if (pid) {
                snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        } else {
                snprintf(path, sizeof(path), "/proc/self/stat");
        }
        ssize_t n = read_stat(-1, path, buf, sizeof(buf));
        if (n <= 0) {
                return n == -ESRCH ? -ENOENT : n < 0 ? (int)n : -EIO;
        }
        return ward__proc_stat_parse(buf, (size_t)n, ret) < 0 ? -EIO : 0;
}

int ward__proc_stat(int pid, char *ret_state, uint64_t *ret_start)
{
        struct ward__proc_statline s;
        int r = ward__proc_stat_read(pid, 0, &s);
        if (r < 0) {
                return r;
        }
        if (ret_state) {
                *ret_state = s.state;
        }
        if (ret_start) {
                *ret_start = s.start;
        }
        return 0;
}
