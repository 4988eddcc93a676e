/* A listening socket handed down by whoever started us: ward's guardian
 * (WARD_LISTEN_FD + WARD_LISTEN_ADDRESS) or systemd's socket activation
 * (LISTEN_PID + LISTEN_FDS, from fd 3). The descriptor is checked before it is
 * used: a listening AF_UNIX SOCK_SEQPACKET socket bound to the very address the
 * server was asked for. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/inherit.h"

#define SD_LISTEN_FDS_START 3
#define SD_LISTEN_FDS_MAX 64

/* parse_int: a decimal in [min, max] that is all of text, else -1. */
static long parse_int(const char *text, long min, long max)
{
        char *end;
        if (!text || !*text || *text == '-' || *text == '+') {
                return -1;
        }
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || *end || v < min || v > max) {
                return -1;
        }
        return v;
}

static int sockopt_int(int fd, int opt)
{
        int v = -1;
        socklen_t len = sizeof(v);
        return getsockopt(fd, SOL_SOCKET, opt, &v, &len) == 0 ? v : -1;
}

/* same_name: is fd bound to addr? Paths compare as strings (the kernel may
 * report them with or without the trailing NUL), abstract names byte for byte. */
static int same_name(int fd, const struct ward__address *addr)
{
        struct sockaddr_un sun;
        socklen_t len = sizeof(sun);
        memset(&sun, 0, sizeof(sun));
        if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0 || sun.sun_family != AF_UNIX ||
            len > sizeof(sun)) {
                return 0;
        }
        if (addr->abstract) {
                return len == addr->len && memcmp(&sun, &addr->sun, len) == 0;
        }
        size_t off = offsetof(struct sockaddr_un, sun_path);
        return len > off && sun.sun_path[0] != '\0' &&
               strncmp(sun.sun_path, addr->sun.sun_path, sizeof(sun.sun_path)) == 0;
}

int ward__inherit_check(int fd, const struct ward__address *addr)
{
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                return -ENOTSOCK;
        }
        if (sockopt_int(fd, SO_DOMAIN) != AF_UNIX || sockopt_int(fd, SO_TYPE) != SOCK_SEQPACKET ||
            sockopt_int(fd, SO_ACCEPTCONN) != 1 || !same_name(fd, addr)) {
                return -EBADF;
        }
        return 0;
}

/* prepare: what the server needs of its listening socket: non-blocking (the
 * flag is on the shared file description: the parent does not accept on it)
 * and closed on exec (this descriptor only). */
static int prepare(int fd)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
                return -errno;
        }
        return 0;
}

/* from_ward: WARD_LISTEN_FD when WARD_LISTEN_ADDRESS is our address. */
static int from_ward(const char *address, const struct ward__address *addr)
{
        const char *text = getenv("WARD_LISTEN_ADDRESS");
        if (!text || strcmp(text, address) != 0) {
                return -ENOENT; /* none, or another server's */
        }
        long fd = parse_int(getenv("WARD_LISTEN_FD"), 0, INT_MAX);
        int r = fd < 0 ? -EBADF : ward__inherit_check((int)fd, addr);
        if (r == 0) {
                r = prepare((int)fd);
        }
        if (r < 0) {
                return r;
        }
        unsetenv("WARD_LISTEN_FD");
        unsetenv("WARD_LISTEN_ADDRESS");
        return (int)fd;
}

/* from_systemd: the first of LISTEN_FDS descriptors bound to addr, when they
 * are meant for this process (LISTEN_PID). */
static int from_systemd(const struct ward__address *addr)
{
        long pid = parse_int(getenv("LISTEN_PID"), 1, INT_MAX);
        long n = parse_int(getenv("LISTEN_FDS"), 1, SD_LISTEN_FDS_MAX);
        if (pid != (long)getpid() || n < 1) {
                return -ENOENT;
        }
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
                if (ward__inherit_check(fd, addr) == 0) {
                        int r = prepare(fd);
                        if (r == 0 && n == 1) {
                                unsetenv("LISTEN_PID");
                                unsetenv("LISTEN_FDS");
                                unsetenv("LISTEN_FDNAMES");
                        }
                        return r < 0 ? r : fd;
                }
        }
        return -ENOENT;
}

int ward__inherit_listener(const char *address, const struct ward__address *addr)
{
        int fd = from_ward(address, addr);
        return fd == -ENOENT ? from_systemd(addr) : fd;
}
