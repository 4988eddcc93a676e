/* The worker: take the guardian's socket from the environment, handshake,
 * install the handlers; or, without a guardian, the handlers with the note. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "guard/guard.h"

/* socket_from_env: the descriptor WARD_GUARD_FD names, checked to be a
 * SOCK_SEQPACKET socket whose other end our parent made (the guardian is
 * always the worker's parent): a variable left over from elsewhere never
 * makes ward write into, or close, a socket of the program's. The variable
 * is removed. -EBADF with a line in why. */
static int socket_from_env(char *why, size_t n)
{
        const char *s = getenv(WARD__GUARD_ENV_FD);
        char *end = NULL;
        errno = 0;
        long v = s ? strtol(s, &end, 10) : -1;
        int ok = s && *s && end && *end == '\0' && errno == 0 && v >= 0 && v <= 1 << 30;
        if (!ok) {
                snprintf(why, n, "%s=%.32s is not a descriptor", WARD__GUARD_ENV_FD, s ? s : "");
        }
        unsetenv(WARD__GUARD_ENV_FD);
        if (!ok) {
                return -EBADF;
        }
        int fd = (int)v, type = 0;
        socklen_t len = sizeof(type);
        struct ucred cr = {0};
        socklen_t crlen = sizeof(cr);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 || cr.pid != getppid()) {
                snprintf(why, n, "%s=%d is not the guardian's socket", WARD__GUARD_ENV_FD, fd);
                return -EBADF;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC); /* the worker's own children do not get it */
        return fd;
}

/* guardian_pid: who made the pair (SO_PEERCRED), else the parent */
static int guardian_pid(int fd)
{
        struct ucred cr;
        socklen_t len = sizeof(cr);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid > 0) {
                return cr.pid;
        }
        return (int)getppid();
}

int ward__guard_fallback_start(const struct ward_guard_options *o, const char *why)
{
        snprintf(ward__guard.why, sizeof(ward__guard.why), "%s", why);
        __atomic_store_n(&ward__guard.state, WARD_GUARD_FALLBACK, __ATOMIC_RELEASE);
        (void)ward__guard_handlers_install(o);
        return 1;
}

/* systemd_fds_adopt: sockets systemd passed to our guardian (LISTEN_PID
 * its pid) were handed on to us at the same numbers: they are ours now, for
 * sd_listen_fds() and ward's servers alike. */
static void systemd_fds_adopt(void)
{
        const char *s = getenv("LISTEN_PID");
        char *end, pid[24];
        if (!s) {
                return;
        }
        errno = 0;
        long p = strtol(s, &end, 10);
        if (errno == 0 && *end == '\0' && p == (long)getppid()) {
                snprintf(pid, sizeof(pid), "%ld", (long)getpid());
                setenv("LISTEN_PID", pid, 1);
        }
}

int ward__guard_worker_start(const struct ward_guard_options *o)
{
        char why[WARD__GUARD_WHY_MAX];
        unsetenv(WARD__GUARD_ENV_FALLBACK);
        systemd_fds_adopt();
        int fd = socket_from_env(why, sizeof(why));
        if (fd < 0) {
                return ward__guard_fallback_start(o, why);
        }
        uint64_t deadline = 0;
        int r = ward__guard_handshake(fd, o->heartbeat_ns, o->handshake_timeout_ns, &deadline, why,
                                      sizeof(why));
        if (r < 0) {
                close(fd);
                return ward__guard_fallback_start(o, why);
        }
        ward__guard.fd = fd;
        ward__guard_file_note(fd, &ward__guard.fd_file);
        ward__guard.pid = (int)getpid();
        ward__guard.guardian_pid = guardian_pid(fd);
        /* Yama (ptrace_scope 1): the guardian may attach for a hang too */
        prctl(PR_SET_PTRACER, (unsigned long)ward__guard.guardian_pid, 0, 0, 0);
        ward__guard.heartbeat_deadline_ns = deadline;
        __atomic_store_n(&ward__guard.state, WARD_GUARD_ON, __ATOMIC_RELEASE);
        r = ward__guard_handlers_install(o);
        if (r < 0) {
                snprintf(why, sizeof(why), "the crash handlers could not be installed: %s",
                         strerror(-r));
                ward__guard.fd = -1;
                close(fd);
                return ward__guard_fallback_start(o, why);
        }
        return 0;
}
