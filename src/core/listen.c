/* The listening socket of a ward address: see listen.h. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/listen.h"

/* stale: is there a socket file at addr that nobody listens on any more? */
static int stale(const struct ward__address *addr)
{
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (s < 0) {
                return 0;
        }
        int r = connect(s, (const struct sockaddr *)&addr->sun, addr->len);
        int err = errno;
        close(s);
        return r < 0 && err == ECONNREFUSED;
}

int ward__listen(const struct ward__address *addr, int sock_flags)
{
        int s = socket(AF_UNIX, SOCK_SEQPACKET | sock_flags, 0);
        if (s < 0) {
                return -errno;
        }
        int r = bind(s, (const struct sockaddr *)&addr->sun, addr->len);
        if (r < 0 && errno == EADDRINUSE && !addr->abstract && stale(addr)) {
                unlink(addr->sun.sun_path);
                r = bind(s, (const struct sockaddr *)&addr->sun, addr->len);
        }
        if (r < 0 || listen(s, 128) < 0) {
                r = -errno;
                close(s);
                return r;
        }
        return s;
}
