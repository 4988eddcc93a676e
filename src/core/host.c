/* The host name and boot id: see host.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/host.h"

/* read_boot_id: the 36 characters of the kernel's boot id, or -errno. */
static int read_boot_id(char *boot)
{
        char buf[WARD__HOST_BOOT_MAX];
        int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        int e = n < 0 ? -errno : 0;
        close(fd);
        if (e < 0) {
                return e;
        }
        size_t len = 0;
        while (len < (size_t)n && buf[len] != '\n' && buf[len] != '\0') {
                len++;
        }
        if (len == 0) {
                return -ENODATA;
        }
        memcpy(boot, buf, len);
        return 0;
}

int ward__host_identity(char *name, char *boot)
{
        struct utsname u;
        memset(name, 0, WARD__HOST_NAME_MAX);
        memset(boot, 0, WARD__HOST_BOOT_MAX);
        if (uname(&u) == 0) {
                size_t len = strnlen(u.nodename, sizeof(u.nodename));
                memcpy(name, u.nodename, len < WARD__HOST_NAME_MAX ? len : WARD__HOST_NAME_MAX - 1);
        }
        return read_boot_id(boot);
}
