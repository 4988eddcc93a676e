/* Who maps which ward file: one pass over every /proc/PID/maps we may read.
 * A stale file that a running process maps is not removed (a reader such as
 * `ward trace tail`, or an owner whose pid we do not see: another pid
 * namespace sharing /dev/shm); a live owner that does not map its own file
 * any more replaced its program with exec and will never remove it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/proc/shm.h"

/* What the pass found of one file. */
struct users {
        int other;      /* a process other than the owner that maps it, or 0 */
        int owner_maps; /* the owner maps it */
        int owner_read; /* the owner's maps was read */
};

/* read_all: the whole of /proc/pid/maps into *buf (grown as needed) */
static ssize_t read_all(int procfd, int pid, char **buf, size_t *cap)
{
        char name[32];
        snprintf(name, sizeof(name), "%d/maps", pid);
        int fd = openat(procfd, name, O_RDONLY | O_CLOEXEC);
        size_t len = 0;
        if (fd < 0) {
                return -errno;
        }
        for (;;) {
                if (len == *cap) {
                        size_t bigger = *cap ? *cap * 2 : 65536;
                        char *p = bigger <= (64u << 20) ? realloc(*buf, bigger) : NULL;
                        if (!p) {
                                close(fd);
                                return -ENOMEM;
                        }
                        *buf = p;
                        *cap = bigger;
                }
                ssize_t n = read(fd, *buf + len, *cap - len);
                if (n < 0 && errno == EINTR) {
                        continue;
                }
                if (n <= 0) {
                        int e = n < 0 ? errno : 0;
                        close(fd);
                        return n < 0 ? -e : (ssize_t)len;
                }
                len += (size_t)n;
        }
}

/* note_line: one maps line of process pid, against every file */
static void note_line(const char *line, size_t len, int pid, const struct ward_shm_file *files,
                      size_t n, struct users *u)
{
        uint64_t dev, ino;
        if (!memmem(line, len, "ward-", 5) || ward__shm_maps_line(line, len, &dev, &ino) < 0) {
                return; /* only lines of ward's files can be ours: no parse for the rest */
        }
        for (size_t i = 0; i < n; i++) {
                if (files[i].ino == ino && files[i].dev == dev) {
                        if (files[i].pid == pid) {
                                u[i].owner_maps = 1;
                        } else if (!u[i].other) {
                                u[i].other = pid;
                        }
                }
        }
}

static void note_process(int procfd, int pid, char **buf, size_t *cap,
                         const struct ward_shm_file *files, size_t n, struct users *u)
{
        ssize_t len = read_all(procfd, pid, buf, cap);
        if (len < 0) {
                return; /* gone, or not ours to read */
        }
        for (const char *p = *buf, *end = *buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
                note_line(p, l, pid, files, n, u);
                p += l + 1;
        }
        for (size_t i = 0; i < n; i++) {
                u[i].owner_read |= files[i].pid == pid;
        }
}

/* decide: the states the mappings change */
static void decide(struct ward_shm_file *f, const struct users *u)
{
        if (ward_shm_is_stale(f->state) && (u->other || u->owner_maps)) {
                f->state = WARD_SHM_IN_USE; /* whoever has the pid now maps it too */
                f->user = u->other ? u->other : f->pid;
                snprintf(f->why, sizeof(f->why), "kept: stale, but process %d maps it", f->user);
        } else if (f->state == WARD_SHM_LIVE && f->owner_start && f->pid_start == f->owner_start &&
                   u->owner_read && !u->owner_maps && !u->other) {
                /* a complete header is written through the owner's mapping,
                 * which ward never unmaps while the file has its name */
                f->state = WARD_SHM_STALE_EXEC;
                snprintf(f->why, sizeof(f->why),
                         "process %d exec'd another program and does not map it", f->pid);
        }
}

int ward__shm_judge_users(struct ward_shm_file *files, size_t n)
{
        struct users *u = calloc(n ? n : 1, sizeof(*u));
        int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = procfd >= 0 ? fdopendir(procfd) : NULL;
        char *buf = NULL;
        size_t cap = 0;
        if (!u || !d) {
                free(u);
                if (d) {
                        closedir(d);
                } else if (procfd >= 0) {
                        close(procfd);
                }
                return u ? 0 : -ENOMEM; /* no /proc: nothing more to learn */
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                int pid = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? atoi(e->d_name) : 0;
                if (pid > 0) {
                        note_process(dirfd(d), pid, &buf, &cap, files, n, u);
                }
        }
        closedir(d);
        for (size_t i = 0; i < n; i++) {
                decide(&files[i], &u[i]);
        }
        free(buf);
        free(u);
        return 0;
}
