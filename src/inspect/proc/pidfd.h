/* pidfds: the syscalls glibc 2.36 does not wrap (or wraps only from 2.36 on),
 * and what the kernel tells about a process through its pidfd. */
#ifndef WARD_INSPECT_PROC_PIDFD_H
#define WARD_INSPECT_PROC_PIDFD_H

#include <stdint.h>
#include <sys/types.h>

/* ward__pidfd_open: a pidfd (close-on-exec) for process pid. Returns the fd,
 * or -ESRCH, -EINVAL (pid is a thread, not a process), -EMFILE, -ENOSYS. */
int ward__pidfd_open(int pid);

/* ward__pidfd_signal: send sig to the process of pidfd. Returns 0, -ESRCH
 * (it has exited), -EPERM. */
int ward__pidfd_signal(int pidfd, int sig);

/* ward__pidfd_exited: 1 when the process of pidfd has exited (a zombie, or
 * reaped), 0 while it runs. Waits up to timeout_ns (0: not at all,
 * UINT64_MAX: forever). Never returns an error but -EINVAL (bad fd). */
int ward__pidfd_exited(int pidfd, uint64_t timeout_ns);

/* ward__pidfd_is_child: 1 when the process of pidfd is a child of this
 * process (waitid would reap it), else 0. */
int ward__pidfd_is_child(int pidfd);

/* ward__pidfd_reap: waitid(P_PIDFD) without waiting; 1 with the wait(2)
 * status in *status once reaped, 0 while it runs, -ECHILD (not our child, or
 * someone else reaped it). */
int ward__pidfd_reap(int pidfd, int *status);

/* ward__pidfd_exit_status: the wait(2) status of an exited process that is
 * not (or no longer) ours to reap: from the kernel (PIDFD_GET_INFO with
 * PIDFD_INFO_EXIT, Linux 6.15+, once the process was reaped), else from
 * /proc/PID/stat while it is a zombie and we may read it (root or its user;
 * start, when not 0, must be its start time). Returns 0, or -ENODATA (not
 * known). */
int ward__pidfd_exit_status(int pidfd, int pid, uint64_t start, int *status);

/* ward__status_from_siginfo: a wait(2) status from waitid's siginfo */
int ward__status_from_siginfo(int code, int value);

#endif
