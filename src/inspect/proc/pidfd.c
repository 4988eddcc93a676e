/* pidfd syscalls and exit statuses: see pidfd.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/time.h>

#include "inspect/proc/pidfd.h"
#include "inspect/proc/pstat.h"

/* glibc before 2.36 lacks P_PIDFD, and where it has it, it is an enum
 * constant an #ifdef cannot see: the kernel's value under our own name. */
#define PROC_P_PIDFD ((idtype_t)3)

/* PIDFD_GET_INFO (Linux 6.13; PIDFD_INFO_EXIT from 6.15): Debian 12's
 * headers have neither. The layout is the kernel's first version (64 bytes);
 * the ioctl number carries the size, so newer kernels accept it. */
struct proc_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid;
        uint32_t ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
};
#define PROC_PIDFD_GET_INFO _IOWR(0xFF, 11, struct proc_pidfd_info)
#define PROC_PIDFD_INFO_EXIT (1ull << 3)

int ward__pidfd_open(int pid)
{
        if (pid <= 0) {
                return -EINVAL;
        }
        long fd = syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : (int)fd;
}

int ward__pidfd_signal(int pidfd, int sig)
{
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

int ward__pidfd_exited(int pidfd, uint64_t timeout_ns)
{
        uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX : ward_now_ns() + timeout_ns;
        for (;;) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                uint64_t now = ward_now_ns();
                int ms = -1;
                if (deadline != UINT64_MAX) {
                        uint64_t left = deadline > now ? deadline - now : 0;
                        uint64_t ms64 = left / 1000000 + (left % 1000000 != 0);
                        ms = ms64 > INT_MAX ? INT_MAX : (int)ms64;
                }
                int r = poll(&p, 1, ms);
                if (r < 0 && errno == EINTR) {
                        continue;
                }
                if (r < 0 || (p.revents & POLLNVAL)) {
                        return -EINVAL;
                }
                if (r > 0) {
                        return 1;
                }
                if (ward_now_ns() >= deadline) {
                        return 0;
                }
        }
}

int ward__pidfd_is_child(int pidfd)
{
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        return waitid(PROC_P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

int ward__status_from_siginfo(int code, int value)
{
        switch (code) {
        case CLD_EXITED:
                return (value & 0xff) << 8;
        case CLD_KILLED:
                return value & 0x7f;
        case CLD_DUMPED:
                return (value & 0x7f) | 0x80;
        default:
                return 0;
        }
}

int ward__pidfd_reap(int pidfd, int *status)
{
        siginfo_t si;
        int r;
        memset(&si, 0, sizeof(si));
        do {
                r = waitid(PROC_P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
                return -errno;
        }
        if (si.si_pid == 0) {
                return 0;
        }
        *status = ward__status_from_siginfo(si.si_code, si.si_status);
        return 1;
}

/* exit_info: what the kernel kept of an exited (and reaped) process */
static int exit_info(int pidfd, int *status)
{
        struct proc_pidfd_info info;
        memset(&info, 0, sizeof(info));
        info.mask = PROC_PIDFD_INFO_EXIT;
        if (pidfd >= 0 && ioctl(pidfd, PROC_PIDFD_GET_INFO, &info) == 0 &&
            (info.mask & PROC_PIDFD_INFO_EXIT)) {
                *status = info.exit_code;
                return 0;
        }
        return -ENODATA;
}

int ward__pidfd_exit_status(int pidfd, int pid, uint64_t start, int *status)
{
        if (exit_info(pidfd, status) == 0) {
                return 0;
        }
        /* still a zombie: its stat says, when we may read it (the kernel
         * writes 0 for other users' processes, which would read as exit 0) */
        struct ward__pstat s;
        char path[32];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%d", pid);
        if (pid > 0 && ward__pstat_read(pid, &s) == 0 && s.state == 'Z' &&
            (!start || s.start == start) && stat(path, &st) == 0 &&
            (geteuid() == 0 || st.st_uid == geteuid()) && s.fields >= 52) {
                /* the pid is still this process's: a zombie keeps it */
                if (pidfd < 0 || ward__pidfd_exited(pidfd, 0) == 1) {
                        *status = s.exit_code;
                        return 0;
                }
        }
        return exit_info(pidfd, status); /* reaped between the two looks */
}
