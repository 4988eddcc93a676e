/* Walking /proc and reading pid lists: see scan.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/proc/scan.h"

#define PID_LIMIT (1 << 22)

/* dir_pid: the pid a /proc entry names, or 0 */
static int dir_pid(const char *name)
{
        long v = 0;
        if (!*name) {
                return 0;
        }
        for (const char *p = name; *p; p++) {
                if (*p < '0' || *p > '9' || v > PID_LIMIT) {
                        return 0;
                }
                v = v * 10 + (*p - '0');
        }
        return v > 0 && v <= PID_LIMIT ? (int)v : 0;
}

static int by_pid(const void *a, const void *b)
{
        const struct ward__pstat *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int ward__proc_scan(struct ward__pstat **ret, size_t *n)
{
        DIR *d = opendir("/proc");
        struct ward__pstat *v = NULL;
        size_t len = 0, cap = 0;
        *ret = NULL;
        *n = 0;
        if (!d) {
                return -errno;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
                int pid = dir_pid(e->d_name);
                if (!pid) {
                        continue;
                }
                if (len == cap) {
                        size_t c = cap ? 2 * cap : 256;
                        struct ward__pstat *p = realloc(v, c * sizeof(*v));
                        if (!p) {
                                free(v);
                                closedir(d);
                                return -ENOMEM;
                        }
                        v = p;
                        cap = c;
                }
                if (ward__pstat_read(pid, &v[len]) == 0) {
                        len++;
                }
        }
        closedir(d);
        if (len > 1) {
                qsort(v, len, sizeof(*v), by_pid);
        }
        *ret = v;
        *n = len;
        return (int)len;
}

size_t ward__proc_tree_of(const struct ward__pstat *v, size_t n, const int *roots, size_t n_roots,
                          size_t *out)
{
        size_t got = 0;
        /* breadth first: each round takes the children of the previous one
         * (the first: of the roots). A pid is taken once, so a cycle that a
         * racing walk might show cannot loop. */
        for (size_t i = 0; i < n; i++) {
                for (size_t r = 0; r < n_roots; r++) {
                        if (v[i].ppid == roots[r] && v[i].pid != roots[r]) {
                                int root = 0;
                                for (size_t k = 0; k < n_roots && !root; k++) {
                                        root = v[i].pid == roots[k];
                                }
                                if (!root) {
                                        out[got++] = i;
                                }
                                break;
                        }
                }
        }
        for (size_t from = 0; from < got; from++) {
                int parent = v[out[from]].pid;
                for (size_t i = 0; i < n; i++) {
                        if (v[i].ppid != parent) {
                                continue;
                        }
                        int seen = 0;
                        for (size_t k = 0; k < got && !seen; k++) {
                                seen = out[k] == i;
                        }
                        for (size_t k = 0; k < n_roots && !seen; k++) {
                                seen = v[i].pid == roots[k];
                        }
                        if (!seen) {
                                out[got++] = i;
                        }
                }
        }
        return got;
}

/* collect: pids of the tree below pid (children only when deep is 0) */
static int collect(int pid, int deep, int **ret)
{
        struct ward__pstat *v;
        size_t n;
        *ret = NULL;
        int r = ward__proc_scan(&v, &n);
        if (r < 0) {
                return r;
        }
        size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
        int *pids = malloc((n ? n : 1) * sizeof(*pids));
        if (!idx || !pids) {
                free(idx);
                free(pids);
                free(v);
                return -ENOMEM;
        }
        size_t got = 0;
        if (deep) {
                got = ward__proc_tree_of(v, n, &pid, 1, idx);
        } else {
                for (size_t i = 0; i < n; i++) {
                        if (v[i].ppid == pid && v[i].pid != pid) {
                                idx[got++] = i;
                        }
                }
        }
        for (size_t i = 0; i < got; i++) {
                pids[i] = v[idx[i]].pid;
        }
        free(idx);
        free(v);
        if (!got) {
                free(pids);
                pids = NULL;
        }
        *ret = pids;
        return (int)got;
}

int ward__proc_children(int pid, int **ret)
{
        return pid > 0 ? collect(pid, 0, ret) : -EINVAL;
}

int ward__proc_descendants(int pid, int **ret)
{
        return pid > 0 ? collect(pid, 1, ret) : -EINVAL;
}

struct collected {
        struct ward__pstat *v;
        size_t n, cap;
};

static int collected_has(const struct collected *c, int pid)
{
        for (size_t i = 0; i < c->n; i++) { /* small trees: a list will do */
                if (c->v[i].pid == pid) {
                        return 1;
                }
        }
        return 0;
}

/* take: stat of pid into c (if it exists and is not there yet) */
static int take(struct collected *c, int pid)
{
        if (collected_has(c, pid)) {
                return 0;
        }
        if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 32;
                struct ward__pstat *v = realloc(c->v, cap * sizeof(*v));
                if (!v) {
                        return -ENOMEM;
                }
                c->v = v;
                c->cap = cap;
        }
        if (ward__pstat_read(pid, &c->v[c->n]) == 0) {
                c->n++;
        }
        return 0;
}

/* children_of: add the children of c->v[i] (every thread's) */
static int children_of(struct collected *c, size_t i)
{
        char path[64];
        int pid = c->v[i].pid, threads = c->v[i].threads, r = 0;
        int *kids;
        if (threads <= 1) {
                snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
                int n = ward__read_pids(path, &kids);
                for (int k = 0; k < n && r == 0; k++) {
                        r = take(c, kids[k]);
                }
                free(kids);
                return n == -ENOMEM ? n : r;
        }
        snprintf(path, sizeof(path), "/proc/%d/task", pid);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && r == 0 && (e = readdir(d))) {
                int tid = dir_pid(e->d_name);
                if (!tid) {
                        continue;
                }
                snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
                int n = ward__read_pids(path, &kids);
                for (int k = 0; k < n && r == 0; k++) {
                        r = take(c, kids[k]);
                }
                free(kids);
                r = n == -ENOMEM ? n : r;
        }
        if (d) {
                closedir(d);
        }
        return r;
}

int ward__proc_scan_tree(const int *roots, size_t n_roots, struct ward__pstat **ret, size_t *n)
{
        static int have_children = -1; /* a kernel knows it or not: once is enough */
        struct collected c = {0};
        int r = 0;
        *ret = NULL;
        *n = 0;
        if (have_children < 0) {
                char path[64];
                int self = (int)getpid();
                snprintf(path, sizeof(path), "/proc/%d/task/%d/children", self, self);
                have_children = access(path, R_OK) == 0;
        }
        if (!have_children) {
                return -EOPNOTSUPP;
        }
        for (size_t i = 0; i < n_roots && r == 0; i++) {
                r = take(&c, roots[i]);
        }
        for (size_t i = 0; i < c.n && r == 0; i++) { /* c grows as children are found */
                r = children_of(&c, i);
        }
        if (r < 0) {
                free(c.v);
                return r;
        }
        if (c.n > 1) {
                qsort(c.v, c.n, sizeof(*c.v), by_pid);
        }
        *ret = c.v;
        *n = c.n;
        return (int)c.n;
}

int ward__parse_pids(const char *buf, size_t n, int *out, size_t cap)
{
        size_t count = 0;
        for (size_t i = 0; i < n;) {
                char c = buf[i];
                if (c == ' ' || c == '\n' || c == '\t') {
                        i++;
                        continue;
                }
                long v = 0;
                size_t start = i;
                for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
                        v = v * 10 + (buf[i] - '0');
                        if (v > PID_LIMIT) {
                                return -EPROTO;
                        }
                }
                if (i == start || v <= 0 ||
                    (i < n && buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t')) {
                        return -EPROTO;
                }
                if (count < cap) {
                        out[count] = (int)v;
                }
                if (++count > (size_t)PID_LIMIT) {
                        return -EPROTO;
                }
        }
        return (int)count;
}

int ward__read_pids(const char *path, int **ret)
{
        *ret = NULL;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap);
        ssize_t r = 0;
        while (buf && (r = read(fd, buf + len, cap - len)) > 0) {
                len += (size_t)r;
                if (len == cap) {
                        char *p = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
                        if (!p) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = p;
                        cap *= 2;
                }
        }
        int e = errno;
        close(fd);
        if (!buf) {
                return -ENOMEM;
        }
        if (r < 0) {
                free(buf);
                return -e;
        }
        int count = ward__parse_pids(buf, len, NULL, 0);
        int *pids = count > 0 ? malloc((size_t)count * sizeof(*pids)) : NULL;
        if (count > 0 && !pids) {
                count = -ENOMEM;
        } else if (count > 0) {
                ward__parse_pids(buf, len, pids, (size_t)count);
        }
        free(buf);
        *ret = count > 0 ? pids : NULL;
        return count;
}
