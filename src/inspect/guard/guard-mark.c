/* The guardian's mark on its worker: see guard-mark.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "core/procstat.h"
#include "inspect/guard/guard-mark.h"

static void mark_path(int pid, char *path, size_t size)
{
        snprintf(path, size, "/dev/shm/ward-guard.%d", pid);
}

int ward__guard_mark_write(int pid)
{
        struct ward__guard_mark m = {.guardian_pid = (uint32_t)getpid()};
        char path[64];
        int r = ward__proc_stat(pid, NULL, &m.worker_start);
        if (r < 0) {
                return r;
        }
        mark_path(pid, path, sizeof(path));
        unlink(path); /* a dead process's, of the same pid */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                return -errno;
        }
        ssize_t n = write(fd, &m, sizeof(m));
        int e = n == (ssize_t)sizeof(m) ? 0 : n < 0 ? -errno : -EIO;
        close(fd);
        if (e < 0) {
                unlink(path);
        }
        return e;
}

int ward__guard_mark_valid(int pid, uint64_t start_ticks)
{
        struct ward__guard_mark m;
        char path[64];
        mark_path(pid, path, sizeof(path));
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                return 0;
        }
        ssize_t n = pread(fd, &m, sizeof(m), 0);
        close(fd);
        if (n != (ssize_t)sizeof(m) || m.worker_start != start_ticks || m.guardian_pid == 0 ||
            m.guardian_pid > (1u << 22)) {
                return 0;
        }
        return kill((int)m.guardian_pid, 0) == 0 || errno == EPERM;
}
