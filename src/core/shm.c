/* Sealed memfds: created by one side, checked by the other before mapping. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/shm.h"

#define WARD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

int ward__memfd_new(const char *name, size_t size)
{
        int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) {
                return -errno;
        }
        if (ftruncate(fd, (off_t)size) < 0 || fcntl(fd, F_ADD_SEALS, WARD_SEALS) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int ward__memfd_check(int fd, size_t size)
{
        int seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW) ||
            (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) {
                return -EPROTO;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != size) {
                return -EPROTO;
        }
        return 0;
}

int ward__shm_map(int fd, size_t size, void **ret)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
                return -errno;
        }
        *ret = p;
        return 0;
}
