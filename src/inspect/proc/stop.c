/* ward_proc_stop: SIGTERM, a grace period, SIGKILL (ward/spawn.h). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>

#include "inspect/proc/handle.h"
#include "inspect/proc/pidfd.h"
#include "inspect/proc/stop.h"

int ward__proc_term(struct ward_proc *p)
{
        int r = ward__pidfd_signal(p->pidfd, SIGTERM);
        if (r < 0 && r != -ESRCH) {
                return r;
        }
        ward__pidfd_signal(p->pidfd, SIGCONT); /* a stopped process acts on SIGTERM */
        return 0;
}

int ward__proc_kill(struct ward_proc *p)
{
        if (ward__pidfd_exited(p->pidfd, 0) == 1) {
                return 0; /* it went by itself after all */
        }
        int r = ward__pidfd_signal(p->pidfd, SIGKILL);
        if (r < 0 && r != -ESRCH) {
                return r;
        }
        p->status.killed = 1;
        return 0;
}

int ward_proc_stop(ward_proc *p, uint64_t grace_ns, struct ward_proc_status *status)
{
        if (!p) {
                return -EINVAL;
        }
        int r = ward_proc_wait(p, 0, NULL);
        if (r == -ETIMEDOUT) {
                r = ward__proc_term(p);
                if (r == 0) {
                        r = ward_proc_wait(p, grace_ns, NULL);
                }
                if (r == -ETIMEDOUT) {
                        r = ward__proc_kill(p);
                        if (r == 0) {
                                r = ward_proc_wait(p, WARD__PROC_KILL_WAIT_NS, NULL);
                        }
                }
        }
        if (r == 0 && status) {
                *status = p->status;
        }
        return r;
}
