/* Nice values of whole processes (ward/spawn.h). On Linux setpriority and
 * getpriority with PRIO_PROCESS act on one thread: the pid given is a
 * thread id. A process's nice value is set here on each of its threads,
 * listed in /proc/PID/task, twice over so that a thread started meanwhile
 * (it inherits its creator's value, maybe the old one) is caught. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <ward/spawn.h>

#define PID_LIMIT (1 << 22)

static int tid_of(const char *name)
{
        char *end;
        long v = strtol(name, &end, 10);
        return *name >= '0' && *name <= '9' && !*end && v > 0 && v <= PID_LIMIT ? (int)v : 0;
}

/* set_threads: every thread of pid; how many, or -errno */
static int set_threads(int pid, int n)
{
        char path[32];
        snprintf(path, sizeof(path), "/proc/%d/task", pid);
        DIR *d = opendir(path);
        if (!d) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        int count = 0, err = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                int tid = tid_of(e->d_name);
                if (!tid) {
                        continue;
                }
                if (setpriority(PRIO_PROCESS, (id_t)tid, n) == 0) {
                        count++;
                } else if (errno != ESRCH && !err) { /* ESRCH: that thread ended */
                        err = -errno;
                }
        }
        closedir(d);
        return err ? err : count ? count : -ESRCH;
}

int ward_proc_set_nice(int pid, int n)
{
        if (pid <= 0 || n < -20 || n > 19) {
                return -EINVAL;
        }
        int r = set_threads(pid, n);
        if (r >= 0) {
                r = set_threads(pid, n);
        }
        return r < 0 ? r : 0;
}

int ward_proc_get_nice(int pid, int *n)
{
        if (pid <= 0 || !n) {
                return -EINVAL;
        }
        errno = 0;
        int v = getpriority(PRIO_PROCESS, (id_t)pid); /* -1 is a value too */
        if (v == -1 && errno) {
                return -errno;
        }
        *n = v;
        return 0;
}
