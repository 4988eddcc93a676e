/* struct ward_proc: a process held by its pidfd (ward/spawn.h). */
#ifndef WARD_INSPECT_PROC_HANDLE_H
#define WARD_INSPECT_PROC_HANDLE_H

#include <stdint.h>

#include <ward/spawn.h>

struct ward_proc {
        int pid;
        int pidfd;
        int child;      /* ours to reap */
        int ended;      /* status holds how it ended */
        uint64_t start; /* its start time (/proc/PID/stat), 0 if unread */
        struct ward_proc_status status;
        char *cgroup; /* the leaf spawn made, or NULL */
};

/* ward__proc_new: a ward_proc for pid and pidfd (taken over); child says
 * whether we reap it. NULL when out of memory (pidfd is then closed). */
struct ward_proc *ward__proc_new(int pid, int pidfd, int child);

/* ward__proc_ended: once p's pidfd said it exited: reap (our child) or ask
 * how it ended, fill p->status and set p->ended. */
void ward__proc_ended(struct ward_proc *p);

#endif
