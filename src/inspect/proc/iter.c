/* ward_proc_scan: every process, as cheaply as /proc allows (see
 * ward/proc.h): the basics cost one open and one read of PID/stat, whose
 * single read the kernel makes consistent; ward's own files are found with
 * one listing of /dev/shm for all processes, not a lookup per process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/proc.h>

#include "core/procstat.h"
#include "inspect/proc/info.h"

/* The pids that have some /dev/shm/ward-* file, sorted (then each is
 * checked by ward__proc_ward_flags, which tells stale files apart). */
struct shm_pids {
        int *pid;
        size_t n, cap;
};

static int by_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

static void shm_pids_read(struct shm_pids *s)
{
        DIR *d = opendir("/dev/shm");
        struct dirent *e;
        while (d && (e = readdir(d))) {
                const char *dot = strncmp(e->d_name, "ward-", 5) == 0 ? strrchr(e->d_name, '.') : 0;
                int pid = dot ? atoi(dot + 1) : 0;
                if (pid <= 0) {
                        continue;
                }
                if (s->n == s->cap) {
                        size_t cap = s->cap ? s->cap * 2 : 32;
                        int *bigger = realloc(s->pid, cap * sizeof(int));
                        if (!bigger) {
                                break;
                        }
                        s->pid = bigger;
                        s->cap = cap;
                }
                s->pid[s->n++] = pid;
        }
        if (d) {
                closedir(d);
        }
        qsort(s->pid, s->n, sizeof(int), by_int);
}

static int shm_has(const struct shm_pids *s, int pid)
{
        return s->n && bsearch(&pid, s->pid, s->n, sizeof(int), by_int) != NULL;
}

/* basic: stat and statm of pid through /proc's directory fd */
static int basic(int procfd, int pid, struct ward_proc_info *p)
{
        char prefix[24];
        struct ward__proc_statline s;
        snprintf(prefix, sizeof(prefix), "%d/", pid);
        *p = (struct ward_proc_info){.uid = -1, .gid = -1, .nfds = -1};
        return ward__proc_basic_at(procfd, prefix, p, &s) < 0 ? -ESRCH : 0;
}

/* one: the process pid as what asks, to fn; 1 when fn says stop */
static int one(int procfd, int pid, unsigned what, const struct shm_pids *shm,
               ward_proc_scan_fn *fn, void *arg)
{
        struct ward_proc_info p = {0};
        int r = (what & ~(unsigned)WARD_PROC_WARD) ? ward_proc_info(pid, what, &p)
                                                   : basic(procfd, pid, &p);
        if (r < 0) {
                ward_proc_info_free(&p);
                return r == -ENOMEM ? r : 0; /* gone meanwhile: not listed */
        }
        p.what = what;
        if ((what & WARD_PROC_WARD) && shm_has(shm, pid)) {
                p.ward = (unsigned)ward__proc_ward_flags(pid, p.start_ticks);
        }
        int stop = fn(arg, &p);
        ward_proc_info_free(&p);
        return stop ? 1 : 0;
}

long ward_proc_scan(unsigned what, ward_proc_scan_fn *fn, void *arg)
{
        struct shm_pids shm = {0};
        long count = 0;
        if (!fn || (what & ~(unsigned)WARD_PROC_ALL)) {
                return -EINVAL;
        }
        int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = procfd >= 0 ? fdopendir(procfd) : NULL;
        if (!d) {
                int e = errno;
                if (procfd >= 0) {
                        close(procfd);
                }
                return -e;
        }
        if (what & WARD_PROC_WARD) {
                shm_pids_read(&shm);
        }
        struct dirent *e;
        int r = 0;
        while (r == 0 && (e = readdir(d))) {
                int pid = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? atoi(e->d_name) : 0;
                if (pid > 0) {
                        r = one(procfd, pid, what, &shm, fn, arg);
                        count += r == 0;
                }
        }
        closedir(d);
        free(shm.pid);
        return r < 0 ? r : count;
}
