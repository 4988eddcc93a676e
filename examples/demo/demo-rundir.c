/* ward-demo's run directory: emptied at the start so that a second run
 * starts from nothing, created if missing. A directory that is neither empty
 * nor marked as an earlier run (.ward-demo) is refused, never emptied. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"

#define MARK ".ward-demo"

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
        (void)st, (void)type;
        if (f->level == 0) {
                return 0; /* the directory itself stays */
        }
        return remove(path) < 0 ? -1 : 0;
}

/* ours: empty, or marked by an earlier run */
static int ours(const char *dir)
{
        char mark[PATH_MAX + 16];
        snprintf(mark, sizeof(mark), "%s/" MARK, dir);
        if (access(mark, F_OK) == 0) {
                return 1;
        }
        DIR *dp = opendir(dir);
        struct dirent *e;
        int empty = 1;
        while (dp && (e = readdir(dp)) != NULL) {
                empty &= strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        }
        if (dp) {
                closedir(dp);
        }
        return empty;
}

int demo_rundir_prepare(struct demo *d, char *err, size_t size)
{
        char mark[PATH_MAX + 16];
        struct stat st;
        if (stat(d->dir, &st) == 0) {
                if (!S_ISDIR(st.st_mode)) {
                        snprintf(err, size, "%s is not a directory", d->dir);
                        return -ENOTDIR;
                }
                if (!ours(d->dir)) {
                        snprintf(err, size,
                                 "%s holds files of something else (no %s of an earlier run): "
                                 "give an empty or new directory",
                                 d->dir, MARK);
                        return -EEXIST;
                }
                if (nftw(d->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
                        int e = errno;
                        snprintf(err, size, "cannot empty %s: %s", d->dir, strerror(e));
                        return -e;
                }
        } else if (mkdir(d->dir, 0755) < 0) {
                int e = errno;
                snprintf(err, size, "cannot create %s: %s", d->dir, strerror(e));
                return -e;
        }
        snprintf(d->trace_dir, sizeof(d->trace_dir), "%s/trace", d->dir);
        snprintf(d->dumps, sizeof(d->dumps), "%s/dumps", d->dir);
        snprintf(mark, sizeof(mark), "%s/" MARK, d->dir);
        int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || mkdir(d->trace_dir, 0755) < 0 || mkdir(d->dumps, 0755) < 0) {
                int e = errno;
                snprintf(err, size, "cannot prepare %s: %s", d->dir, strerror(e));
                if (fd >= 0) {
                        close(fd);
                }
                return -e;
        }
        close(fd);
        return 0;
}
