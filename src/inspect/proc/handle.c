/* A process held by its pidfd: open, wait, free (ward/spawn.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inspect/proc/cgroup.h"
#include "inspect/proc/handle.h"
#include "inspect/proc/pidfd.h"
#include "inspect/proc/pstat.h"

struct ward_proc *ward__proc_new(int pid, int pidfd, int child)
{
        struct ward_proc *p = calloc(1, sizeof(*p));
        if (!p) {
                close(pidfd);
                return NULL;
        }
        p->pid = pid;
        p->pidfd = pidfd;
        p->child = child;
        struct ward__pstat s;
        if (ward__pstat_read(pid, &s) == 0) {
                p->start = s.start;
        }
        return p;
}

static void set_status(struct ward_proc *p, int st)
{
        if (WIFEXITED(st)) {
                p->status.how = WARD_PROC_EXITED;
                p->status.code = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
                p->status.how = WARD_PROC_SIGNALED;
                p->status.code = WTERMSIG(st);
                p->status.core = WCOREDUMP(st) != 0;
        }
}

void ward__proc_ended(struct ward_proc *p)
{
        int st = 0, r = -ECHILD;
        if (p->ended) {
                return;
        }
        if (p->child) {
                r = ward__pidfd_reap(p->pidfd, &st);
        }
        if (r == 1 || (r < 0 && ward__pidfd_exit_status(p->pidfd, p->pid, p->start, &st) == 0)) {
                set_status(p, st);
        } else if (r == 0) {
                return; /* not yet reapable: the caller waits on */
        }
        p->ended = 1;
}

int ward_proc_open(int pid, ward_proc **ret)
{
        if (!ret) {
                return -EINVAL;
        }
        *ret = NULL;
        int fd = ward__pidfd_open(pid);
        if (fd < 0) {
                return fd;
        }
        struct ward_proc *p = ward__proc_new(pid, fd, ward__pidfd_is_child(fd));
        if (!p) {
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

int ward_proc_pid(const ward_proc *p)
{
        return p ? p->pid : -EINVAL;
}

int ward_proc_pidfd(const ward_proc *p)
{
        return p ? p->pidfd : -EINVAL;
}

const char *ward_proc_cgroup(const ward_proc *p)
{
        return p ? p->cgroup : NULL;
}

int ward_proc_wait(ward_proc *p, uint64_t timeout_ns, struct ward_proc_status *status)
{
        if (!p) {
                return -EINVAL;
        }
        while (!p->ended) {
                int r = ward__pidfd_exited(p->pidfd, timeout_ns);
                if (r < 0) {
                        return r;
                }
                if (r == 0) {
                        return -ETIMEDOUT;
                }
                ward__proc_ended(p);
        }
        if (status) {
                *status = p->status;
        }
        return 0;
}

ward_proc *ward_proc_free(ward_proc *p)
{
        if (!p) {
                return NULL;
        }
        if (p->cgroup && ward__cgroup_populated(p->cgroup) == 0) {
                ward__cgroup_remove(p->cgroup, 0);
        }
        free(p->cgroup);
        close(p->pidfd);
        free(p);
        return NULL;
}
