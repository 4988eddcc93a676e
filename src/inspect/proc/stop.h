/* Stopping processes: the steps ward_proc_stop and ward_proc_stop_tree
 * share. */
#ifndef WARD_INSPECT_PROC_STOP_H
#define WARD_INSPECT_PROC_STOP_H

#include "inspect/proc/handle.h"

/* how long a process may take to go after SIGKILL before stop gives up
 * (-ETIMEDOUT): only a process stuck in the kernel takes that long */
#define WARD__PROC_KILL_WAIT_NS 10000000000ull

/* ward__proc_term: SIGTERM then SIGCONT through p's pidfd. 0 (also when it
 * already ended) or -EPERM. */
int ward__proc_term(struct ward_proc *p);

/* ward__proc_kill: SIGKILL through p's pidfd, and mark p killed. 0 or
 * -EPERM. */
int ward__proc_kill(struct ward_proc *p);

#endif
