/* ward_shm_list and ward_shm_remove (ward/shm.h): ward's files in /dev/shm,
 * each judged by its owner's start time, and the removal of stale ones. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/options.h"
#include "inspect/proc/shm.h"

const char *ward_shm_kind_name(int kind)
{
        return kind == WARD_SHM_TRACE   ? "trace"
               : kind == WARD_SHM_LOCKS ? "locks"
               : kind == WARD_SHM_GUARD ? "guard"
                                        : "?";
}

int ward_shm_is_stale(int state)
{
        return state == WARD_SHM_STALE_GONE || state == WARD_SHM_STALE_REUSED ||
               state == WARD_SHM_STALE_OLDER || state == WARD_SHM_STALE_EXEC;
}

static int get_options(const struct ward_shm_options *in, struct ward_shm_options *o)
{
        *o = (struct ward_shm_options){.size = sizeof(*o)};
        if (in && ward__options_copy(o, sizeof(*o), in) < 0) {
                return -EINVAL;
        }
        if ((o->flags & ~(uint32_t)WARD_SHM_ALL_USERS) || (o->n_pids && !o->pids)) {
                return -EINVAL;
        }
        o->dir = o->dir ? o->dir : "/dev/shm";
        return 0;
}

static int wanted_pid(const struct ward_shm_options *o, int pid)
{
        for (size_t i = 0; i < o->n_pids; i++) {
                if (o->pids[i] == pid) {
                        return 1;
                }
        }
        return o->n_pids == 0;
}

/* look_at: fill f from the file name in dirfd: a regular file (no link
 * followed) of ours (or anyone's with WARD_SHM_ALL_USERS), its header's
 * start time. 0, or -ENOENT when it is not one to look at. */
static int look_at(int dirfd, const char *name, const struct ward_shm_options *o,
                   struct ward_shm_file *f)
{
        struct stat st, fst;
        uint8_t head[WARD__SHM_HEADER_BYTES];
        memset(f, 0, sizeof(*f));
        f->kind = ward__shm_name_parse(name, strlen(name), &f->pid);
        if (!f->kind || !wanted_pid(o, f->pid) ||
            fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
            (!(o->flags & WARD_SHM_ALL_USERS) && st.st_uid != geteuid())) {
                return -ENOENT;
        }
        memcpy(f->name, name, strlen(name) + 1); /* a parsed name fits */
        f->uid = st.st_uid;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->length = (uint64_t)st.st_size;
        f->bytes = (uint64_t)st.st_blocks * 512u;
        f->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &fst) == 0 && fst.st_dev == st.st_dev && fst.st_ino == st.st_ino) {
                ssize_t n = pread(fd, head, sizeof(head), 0);
                f->owner_start =
                    n > 0 ? ward__shm_header_start(f->kind, head, (size_t)n, f->pid) : 0;
        }
        if (fd >= 0) {
                close(fd);
        }
        ward__shm_judge_owner(f);
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct ward_shm_file *)a)->name,
                      ((const struct ward_shm_file *)b)->name);
}

/* append: one more file in *files */
static int append(struct ward_shm_file **files, size_t *n, size_t *cap,
                  const struct ward_shm_file *f)
{
        if (*n == *cap) {
                size_t bigger = *cap ? *cap * 2 : 64;
                struct ward_shm_file *p = realloc(*files, bigger * sizeof(*p));
                if (!p) {
                        return -ENOMEM;
                }
                *files = p;
                *cap = bigger;
        }
        (*files)[(*n)++] = *f;
        return 0;
}

int ward_shm_list(const struct ward_shm_options *opts, struct ward_shm_file **ret, size_t *n)
{
        struct ward_shm_options o;
        struct ward_shm_file *files = NULL, f;
        size_t count = 0, cap = 0;
        int r = ret && n ? get_options(opts, &o) : -EINVAL;
        DIR *d = r == 0 ? opendir(o.dir) : NULL;
        if (r == 0 && !d) {
                r = -errno;
        }
        if (r < 0) {
                return r;
        }
        struct dirent *e;
        while (r == 0 && (e = readdir(d)) != NULL) {
                if (look_at(dirfd(d), e->d_name, &o, &f) == 0) {
                        r = append(&files, &count, &cap, &f);
                }
        }
        closedir(d);
        r = r == 0 && count ? ward__shm_judge_users(files, count) : r;
        if (r < 0) {
                free(files);
                return r;
        }
        if (count) {
                qsort(files, count, sizeof(*files), by_name);
        }
        *ret = files;
        *n = count;
        return 0;
}

void ward_shm_list_free(struct ward_shm_file *files)
{
        free(files);
}

int ward_shm_remove(const struct ward_shm_options *opts, const struct ward_shm_file *f)
{
        struct ward_shm_options o;
        struct ward_shm_file now;
        int r = f ? get_options(opts, &o) : -EINVAL;
        if (r < 0) {
                return r;
        }
        if (!ward_shm_is_stale(f->state)) {
                return -EBUSY;
        }
        o.flags |= WARD_SHM_ALL_USERS; /* the caller chose f; the unlink checks permission */
        o.n_pids = 0;
        int dirfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                return -errno;
        }
        r = look_at(dirfd, f->name, &o, &now);
        /* a file judged on its mappings (exec) is removed while the same
         * process has the pid: look_at does not read the mappings again */
        int still = r == 0 && (ward_shm_is_stale(now.state) ||
                               (f->state == WARD_SHM_STALE_EXEC && now.pid_start != 0 &&
                                now.pid_start == f->pid_start));
        if (r == 0 && (now.dev != f->dev || now.ino != f->ino)) {
                r = -ESTALE;
        } else if (r == 0 && !still) {
                r = -EBUSY;
        } else if (r == 0 && unlinkat(dirfd, f->name, 0) < 0) {
                r = -errno;
        }
        close(dirfd);
        return r;
}
