/* /proc/PID/stat: see pstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inspect/proc/pstat.h"

#define PSTAT_FIELDS 52
#define PID_LIMIT (1 << 22) /* the kernel's PID_MAX_LIMIT */

/* number: one decimal field at *p (an optional '-', then digits), as the
 * bits of a 64-bit value; advances *p. -EPROTO when there is none or it
 * does not fit. */
static int number(const char **p, const char *end, uint64_t *ret)
{
        const char *s = *p;
        int neg = s < end && *s == '-';
        uint64_t v = 0;
        s += neg;
        if (s == end || *s < '0' || *s > '9') {
                return -EPROTO;
        }
        for (; s < end && *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10) {
                        return -EPROTO;
                }
                v = v * 10 + d;
        }
        *p = s;
        *ret = neg ? (uint64_t)0 - v : v;
        return 0;
}

/* as_int: a field that must fit an int in [lo, hi] */
static int as_int(uint64_t v, long long lo, long long hi, int *ret)
{
        long long s = (long long)v;
        if (s < lo || s > hi) {
                return -EPROTO;
        }
        *ret = (int)s;
        return 0;
}

int ward__pstat_parse(const char *buf, size_t n, struct ward__pstat *ret)
{
        const char *end = buf + n, *p = buf;
        uint64_t f[PSTAT_FIELDS + 1] = {0};
        memset(ret, 0, sizeof(*ret));
        if (number(&p, end, &f[1]) < 0 || as_int(f[1], 1, PID_LIMIT, &ret->pid) < 0) {
                return -EPROTO;
        }
        if (end - p < 2 || p[0] != ' ' || p[1] != '(') {
                return -EPROTO;
        }
        const char *name = p + 2, *close = NULL;
        for (const char *q = name; q < end; q++) { /* the last ')': the name may hold one */
                if (*q == ')') {
                        close = q;
                }
        }
        if (!close || end - close < 3 || close[1] != ' ') {
                return -EPROTO;
        }
        size_t len = (size_t)(close - name);
        if (len > sizeof(ret->comm) - 1) {
                len = sizeof(ret->comm) - 1; /* kernel threads' names can be longer */
        }
        memcpy(ret->comm, name, len);
        ret->comm[len] = '\0';
        ret->state = close[2];
        if (ret->state < 'A' || ret->state > 'z') {
                return -EPROTO;
        }
        p = close + 3;
        int field = 3;
        while (p < end && *p == ' ' && field < PSTAT_FIELDS) {
                p++;
                if (number(&p, end, &f[++field]) < 0) {
                        return -EPROTO;
                }
        }
        if (p < end && *p != '\n' && *p != ' ') {
                return -EPROTO;
        }
        ret->fields = field;
        if (field < 22 || as_int(f[4], 0, PID_LIMIT, &ret->ppid) < 0 ||
            as_int(f[5], 0, PID_LIMIT, &ret->pgrp) < 0 ||
            as_int(f[6], 0, PID_LIMIT, &ret->sid) < 0 || as_int(f[19], -20, 19, &ret->nice) < 0 ||
            as_int(f[20], 0, INT_MAX, &ret->threads) < 0 ||
            as_int(f[52], INT_MIN, INT_MAX, &ret->exit_code) < 0) {
                return -EPROTO;
        }
        ret->start = f[22];
        ret->startcode = f[26];
        ret->startstack = f[28];
        ret->arg_start = f[48];
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
