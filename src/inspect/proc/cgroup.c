/* cgroup v2 leaves for spawned processes: see cgroup.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <ward/time.h>

#include "core/pid.h"
#include "inspect/proc/cgroup.h"
#include "inspect/proc/pidfd.h"
#include "inspect/proc/scan.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define KILL_ROUNDS 100

static atomic_uint leaf_counter;

/* clean_path: absolute, no control bytes, no "." or ".." segment */
static int clean_path(const char *p, size_t len)
{
        if (len == 0 || p[0] != '/') {
                return 0;
        }
        for (size_t k = 0; k < len; k++) {
                if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f) {
                        return 0;
                }
        }
        for (size_t s = 1; s <= len;) {
                size_t e = s;
                while (e < len && p[e] != '/') {
                        e++;
                }
                if ((e - s == 1 && p[s] == '.') || (e - s == 2 && p[s] == '.' && p[s + 1] == '.')) {
                        return 0;
                }
                s = e + 1;
        }
        return 1;
}

int ward__cgroup_parse_self(const char *text, size_t n, char *buf, size_t size)
{
        for (size_t i = 0; i < n;) {
                size_t end = i;
                while (end < n && text[end] != '\n') {
                        end++;
                }
                if (end - i >= 3 && memcmp(text + i, "0::", 3) == 0) {
                        const char *p = text + i + 3;
                        size_t len = end - i - 3;
                        if (!clean_path(p, len) || len >= size ||
                            (len >= 10 && memcmp(p + len - 10, " (deleted)", 10) == 0)) {
                                return -EPROTO;
                        }
                        memcpy(buf, p, len);
                        buf[len] = '\0';
                        return 0;
                }
                i = end + 1;
        }
        return -ENOENT;
}

int ward__cgroup_events_populated(const char *text, size_t n)
{
        static const char key[] = "populated ";
        size_t k = sizeof(key) - 1;
        for (size_t i = 0; i < n;) {
                size_t end = i;
                while (end < n && text[end] != '\n') {
                        end++;
                }
                if (end - i == k + 1 && memcmp(text + i, key, k) == 0 &&
                    (text[i + k] == '0' || text[i + k] == '1')) {
                        return text[i + k] - '0';
                }
                i = end + 1;
        }
        return -EPROTO;
}

/* unified_mount: where cgroup2 is mounted (unified or hybrid layout) */
static const char *unified_mount(void)
{
        static const char *const where[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
        for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
                struct statfs fs;
                if (statfs(where[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
                        return where[i];
                }
        }
        return NULL;
}

static ssize_t read_small(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        ssize_t n = read(fd, buf, size);
        int e = errno;
        close(fd);
        return n < 0 ? -e : n;
}

int ward__cgroup_own_dir(char *buf, size_t size)
{
        const char *mount = unified_mount();
        char text[4096], path[PATH_MAX - 64], procs[PATH_MAX];
        if (!mount) {
                return -EOPNOTSUPP;
        }
        ssize_t n = read_small("/proc/self/cgroup", text, sizeof(text));
        if (n < 0) {
                return (int)n;
        }
        int r = ward__cgroup_parse_self(text, (size_t)n, path, sizeof(path));
        if (r < 0) {
                return r;
        }
        if (snprintf(buf, size, "%s%s", mount, strcmp(path, "/") == 0 ? "" : path) >= (int)size) {
                return -ENAMETOOLONG;
        }
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", buf);
        struct stat st;
        if (stat(buf, &st) < 0) {
                return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                return -ENOENT;
        }
        if (faccessat(AT_FDCWD, buf, W_OK, AT_EACCESS) < 0 ||
            faccessat(AT_FDCWD, procs, W_OK, AT_EACCESS) < 0) {
                return -EACCES;
        }
        return 0;
}

int ward__cgroup_leaf_new(char *buf, size_t size, int *dirfd)
{
        char own[PATH_MAX - 64];
        int r = ward__cgroup_own_dir(own, sizeof(own));
        if (r < 0) {
                return r;
        }
        for (int tries = 0; tries < 100; tries++) {
                unsigned n = atomic_fetch_add(&leaf_counter, 1);
                if (snprintf(buf, size, "%s/ward-%d-%u", own, (int)ward__pid(), n) >= (int)size) {
                        return -ENAMETOOLONG;
                }
                if (mkdir(buf, 0755) == 0) {
                        int fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd < 0) {
                                r = -errno;
                                rmdir(buf);
                                return r;
                        }
                        *dirfd = fd;
                        return 0;
                }
                if (errno != EEXIST) { /* EEXIST: left by an earlier process with our pid */
                        return -errno;
                }
        }
        return -EEXIST;
}

static int read_populated(int fd)
{
        char text[256];
        ssize_t n = pread(fd, text, sizeof(text), 0);
        return n < 0 ? -errno : ward__cgroup_events_populated(text, (size_t)n);
}

static int open_events(const char *leaf)
{
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/cgroup.events", leaf) >= (int)sizeof(path)) {
                return -ENAMETOOLONG;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int ward__cgroup_populated(const char *leaf)
{
        int fd = open_events(leaf);
        if (fd < 0) {
                return fd;
        }
        int r = read_populated(fd);
        close(fd);
        return r;
}

int ward__cgroup_wait_empty(const char *leaf, uint64_t timeout_ns)
{
        int fd = open_events(leaf);
        if (fd < 0) {
                return fd;
        }
        uint64_t deadline =
            timeout_ns > UINT64_MAX - ward_now_ns() ? UINT64_MAX : ward_now_ns() + timeout_ns;
        int r;
        for (;;) {
                r = read_populated(fd); /* read first: poll reports changes after a read */
                if (r <= 0) {
                        r = r == 0 ? 1 : r;
                        break;
                }
                uint64_t now = ward_now_ns();
                if (now >= deadline) {
                        r = 0;
                        break;
                }
                uint64_t ms = (deadline - now + 999999) / 1000000;
                struct pollfd p = {.fd = fd, .events = POLLPRI};
                if (poll(&p, 1, ms > INT_MAX ? INT_MAX : (int)ms) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
        }
        close(fd);
        return r;
}

/* in_leaf: is process pid (now) in rel (the leaf's path in the hierarchy)
 * or below it? */
static int in_leaf(int pid, const char *rel)
{
        char path[64], text[4096], own[PATH_MAX];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
        ssize_t n = read_small(path, text, sizeof(text));
        size_t len = strlen(rel);
        return n > 0 && ward__cgroup_parse_self(text, (size_t)n, own, sizeof(own)) == 0 &&
               strncmp(own, rel, len) == 0 && (own[len] == '\0' || own[len] == '/');
}

int ward__cgroup_signal(const char *leaf, int sig)
{
        char path[PATH_MAX];
        int *pids, count = 0;
        const char *mount = unified_mount();
        size_t mlen = mount ? strlen(mount) : 0;
        if (!mount || strncmp(leaf, mount, mlen) != 0 || leaf[mlen] != '/') {
                return -ENOENT;
        }
        if (snprintf(path, sizeof(path), "%s/cgroup.procs", leaf) >= (int)sizeof(path)) {
                return -ENAMETOOLONG;
        }
        int n = ward__read_pids(path, &pids);
        if (n < 0) {
                return n;
        }
        for (int i = 0; i < n; i++) {
                /* a member listed a moment ago may have ended since, and its
                 * pid gone to someone else: hold it by a pidfd, then check it
                 * is still one of ours */
                int fd = ward__pidfd_open(pids[i]);
                if (fd < 0) {
                        continue;
                }
                if (in_leaf(pids[i], leaf + mlen)) {
                        count += ward__pidfd_signal(fd, sig) == 0;
                }
                close(fd);
        }
        free(pids);
        return count;
}

int ward__cgroup_kill(const char *leaf)
{
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/cgroup.kill", leaf) >= (int)sizeof(path)) {
                return -ENAMETOOLONG;
        }
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                int r = write(fd, "1", 1) == 1 ? 0 : -errno;
                close(fd);
                return r;
        }
        if (errno != ENOENT) {
                return -errno;
        }
        /* before 5.14: kill what is there until nothing is (a fork racing a
         * round is caught by the next one) */
        for (int round = 0; round < KILL_ROUNDS; round++) {
                int r = ward__cgroup_signal(leaf, SIGKILL);
                if (r <= 0) {
                        return r;
                }
                if (ward__cgroup_wait_empty(leaf, 10000000) == 1) {
                        return 0;
                }
        }
        return -EBUSY;
}

int ward__cgroup_remove(const char *leaf, uint64_t timeout_ns)
{
        uint64_t deadline = ward_now_ns() + timeout_ns;
        for (;;) {
                if (rmdir(leaf) == 0 || errno == ENOENT) {
                        return 0;
                }
                if (errno != EBUSY || ward_now_ns() >= deadline) {
                        return -errno;
                }
                /* processes still exiting: wait for the cgroup to say empty */
                uint64_t now = ward_now_ns();
                int r = ward__cgroup_wait_empty(leaf, deadline > now ? deadline - now : 0);
                if (r < 0) {
                        return r;
                }
                if (r == 1) {
                        struct timespec ts = {0, 1000000}; /* emptied but not yet released */
                        nanosleep(&ts, NULL);
                }
        }
}
