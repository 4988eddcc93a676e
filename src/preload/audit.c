/* libward-audit.so: the LD_AUDIT library through which `ward debug` (and
 * ward_debug_spawn) learn of every library a program loads and unloads,
 * glibc's rtld-audit interface (la_objopen, la_objclose). It tells the
 * debugger over the datagram socket named in WARD_AUDIT_SOCKET (see
 * audit-format.h), synchronously: the datagram is queued before the load
 * goes on, so the debugger reports it before anything the program does
 * next. Without the variable, or when nobody listens any more, it stays
 * silent. It runs in the audit namespace with its own libc, links nothing
 * of ward's, and never changes what the program sees. */
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload/audit-format.h"

#define EXPORT __attribute__((visibility("default")))

static int sock = -1;
static struct sockaddr_un addr;
static socklen_t addr_len;

EXPORT unsigned int la_version(unsigned int version)
{
        const char *name = getenv(WARD__AUDIT_ENV);
        size_t n = name ? strlen(name) : 0;
        if (version < 1 || n < 2 || n >= sizeof(addr.sun_path)) {
                return 0; /* nobody to tell: do not audit at all */
        }
        addr.sun_family = AF_UNIX;
        memcpy(addr.sun_path, name, n);
        if (name[0] == '@') {
                addr.sun_path[0] = '\0'; /* abstract */
        }
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        return sock >= 0 ? LAV_CURRENT : 0;
}

static void tell(uint32_t kind, const struct link_map *map)
{
        struct ward__audit_msg m;
        const char *path = map->l_name;
        size_t n = path ? strlen(path) : 0;
        if (sock < 0 || n == 0) {
                return; /* the program itself has no name here: its exec said it */
        }
        n = n < sizeof(m.path) ? n : sizeof(m.path);
        m.magic = WARD__AUDIT_MAGIC;
        m.kind = kind;
        m.tid = (int32_t)syscall(SYS_gettid);
        m.path_len = (uint32_t)n;
        m.base = (uint64_t)map->l_addr;
        memcpy(m.path, path, n);
        /* blocking: when the debugger's queue is full the program waits for
         * it; when nobody is bound to the name any more it fails at once */
        ssize_t r;
        while ((r = sendto(sock, &m, WARD__AUDIT_HEADER_SIZE + n, MSG_NOSIGNAL,
                           (struct sockaddr *)&addr, addr_len)) < 0 &&
               errno == EINTR) {
        }
        if (r < 0) {
                close(sock);
                sock = -1; /* the debugger is gone: stay silent from now on */
        }
}

EXPORT unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie)
{
        (void)lmid;
        *cookie = (uintptr_t)map;
        tell(WARD__AUDIT_LOAD, map);
        return 0; /* no symbol binding audit: the program runs at full speed */
}

EXPORT unsigned int la_objclose(uintptr_t *cookie)
{
        tell(WARD__AUDIT_UNLOAD, (const struct link_map *)*cookie);
        return 0;
}
