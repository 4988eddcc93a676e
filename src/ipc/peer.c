/* Watching the peer's process, not only its socket.
 *
 * The socket says "gone" only when every copy of it is closed: a peer that
 * forked a child which did not exec (and kept the descriptors) is noticed only
 * when that child exits too. So each side also holds a pidfd of the peer's
 * process, readable the moment that process has exited.
 *
 * The pid is the kernel's (SO_PEERCRED); the handshake only says which process
 * the peer is (its pid and start time, /proc/PID/stat field 22). A pidfd is
 * kept only when the two agree and /proc shows a process of that pid with that
 * start time: a pid that was reused by another process is never watched. Where
 * that cannot be shown (other pid namespace, no /proc, a server serving from a
 * child of the process that listens) the socket alone tells, as before. */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/pid.h"
#include "core/procstat.h"
#include "ipc/handshake.h"
#include "ipc/ipc-internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif

void ward__hs_self_fill(struct ward__hs_self *self)
{
        uint64_t start = 0;
        if (ward__proc_stat(0, NULL, &start) < 0) {
                start = 0; /* unknown: the peer will watch the socket only */
        }
        *self = (struct ward__hs_self){.pid = (int32_t)ward__pid(), .start = start};
}

int ward__peer_pidfd(pid_t pid, const struct ward__hs_self *claim)
{
        uint64_t start;
        if (pid <= 0 || claim->pid != pid || claim->start == 0) {
                return -ESRCH; /* not the process the kernel names, or unknown */
        }
        if (pid == ward__pid()) {
                return -ESRCH; /* ourselves: we are alive while we look */
        }
        int fd = (int)syscall(SYS_pidfd_open, pid, 0); /* always close-on-exec */
        if (fd < 0) {
                return -errno;
        }
        /* The pidfd is of whatever process had pid when it was opened. If /proc
         * now shows the claimed start time at that pid, the claimed process
         * was alive after the pidfd was opened, so the pidfd is its. */
        int r = ward__proc_stat(pid, NULL, &start);
        if (r < 0 || start != claim->start) {
                close(fd);
                return r < 0 ? r : -ESTALE;
        }
        return fd;
}
