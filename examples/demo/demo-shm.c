/* ward-demo: what our processes left in /dev/shm. Each ward process keeps
 * its trace buffers (ward-trace.PID) and lock registry (ward-locks.PID)
 * there, removed at a clean exit; the guardian removes those of a worker
 * that crashed. Whatever is still there of a process of ours that is gone is
 * removed here, and said. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

/* pid_of: PID of "ward-KIND.PID", else 0 */
static int pid_of(const char *name)
{
        const char *dot = strrchr(name, '.');
        char *end;
        if (strncmp(name, "ward-", 5) != 0 || !dot || !dot[1]) {
                return 0;
        }
        long pid = strtol(dot + 1, &end, 10);
        return *end || pid <= 0 || pid > (1 << 22) ? 0 : (int)pid;
}

static int ours(const struct demo *d, int pid)
{
        for (int i = 0; i < d->npids; i++) {
                if (d->pids[i] == pid) {
                        return 1;
                }
        }
        return 0;
}

void demo_shm_check(struct demo *d)
{
        DIR *dp = opendir("/dev/shm");
        struct dirent *e;
        char path[300];
        while (dp && (e = readdir(dp)) != NULL) {
                int pid = pid_of(e->d_name);
                if (!pid || !ours(d, pid)) {
                        continue;
                }
                snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
                if (kill(pid, 0) == 0 || errno == EPERM) {
                        /* alive: ours still running, or the pid was reused */
                        demo_lines_add(&d->shm_left, path, strlen(path));
                } else if (unlink(path) == 0) {
                        demo_lines_add(&d->shm_removed, path, strlen(path));
                } else {
                        demo_lines_add(&d->shm_left, path, strlen(path));
                }
        }
        if (dp) {
                closedir(dp);
        }
}
