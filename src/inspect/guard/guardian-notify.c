/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or
 * an abstract name written with a leading '@'). The guardian stays the main
 * pid systemd knows: it sends READY=1 when its worker says it is ready and
 * STATUS= lines on crashes and restarts; workers do not see NOTIFY_SOCKET. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "inspect/guard/guardian-internal.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;

int ward__notify_parse(const char *s, struct sockaddr_un *a, socklen_t *len)
{
        size_t n = strlen(s);
        if ((s[0] != '/' && s[0] != '@') || n < 2 || n >= sizeof(a->sun_path)) {
                return -EINVAL;
        }
        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        memcpy(a->sun_path, s, n);
        if (s[0] == '@') {
                a->sun_path[0] = '\0';
                *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        } else {
                *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        }
        return 0;
}

void ward__notify_open(struct ward__guardian *g)
{
        g->notify_fd = -1;
        const char *s = getenv("NOTIFY_SOCKET");
        if (!g->o.notify || !s || !*s) {
                return;
        }
        if (ward__notify_parse(s, &notify_addr, &notify_len) < 0) {
                ward__guardian_warn(g, "NOTIFY_SOCKET '%s' is not a path or an @name: no sd_notify",
                                    s);
                return;
        }
        g->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (g->notify_fd < 0) {
                ward__guardian_warn(g, "sd_notify socket: %s", strerror(errno));
        }
}

void ward__notify(struct ward__guardian *g, const char *fmt, ...)
{
        if (g->notify_fd < 0) {
                return;
        }
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0) {
                return;
        }
        size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
        if (sendto(g->notify_fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
                   notify_len) < 0) {
                ward__guardian_warn(g, "sd_notify: %s", strerror(errno));
        }
}
