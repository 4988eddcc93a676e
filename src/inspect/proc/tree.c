/* ward_proc_stop_tree: a process and everything it started (ward/spawn.h).
 *
 * With a cgroup of its own the kernel knows the tree: SIGTERM to each
 * member, wait for cgroup.events to say empty, cgroup.kill if it does not.
 *
 * Without, the tree is found in /proc: a process belongs to it when it was
 * started after the root and its parent, its process group or its session
 * is a member (or the root). Groups and sessions catch the children of a
 * member that ended (reparented, their ppid says 1) and a child that called
 * setsid() keeps its parent. Each member is held by a pidfd opened after it
 * was found and checked against its start time, so no signal reaches a
 * later process that took a member's pid. To kill, members are stopped
 * first (SIGSTOP: a stopped process cannot fork) and the walk is repeated
 * until it finds nothing new and everything found is stopped. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <ward/time.h>

#include "inspect/proc/cgroup.h"
#include "inspect/proc/handle.h"
#include "inspect/proc/pidfd.h"
#include "inspect/proc/scan.h"
#include "inspect/proc/stop.h"

#define FREEZE_ROUNDS 200

struct member {
        int pid, pidfd;
        uint64_t start;
        int ended; /* as of the last walk */
};

/* m[0] is the root (its pidfd is p's) */
struct tree {
        struct ward_proc *root;
        int leader; /* the root leads its process group */
        int self;
        struct member *m;
        size_t n, cap;
};

static const struct member *member(const struct tree *t, int pid)
{
        for (size_t i = 0; pid > 1 && i < t->n; i++) {
                if (t->m[i].pid == pid) {
                        return &t->m[i];
                }
        }
        return NULL;
}

static int by_pid(const void *key, const void *elem)
{
        int pid = *(const int *)key, other = ((const struct ward__pstat *)elem)->pid;
        return (pid > other) - (pid < other);
}

/* parent_of: is pid a live member (a parent's pid is held while it lives) */
static int parent_of(const struct tree *t, int pid)
{
        const struct member *m = member(t, pid);
        return m && !m->ended;
}

/* leads: is id the group or session of a member? An ended member's number
 * still names its group or session while that exists (the kernel does not
 * hand it out again meanwhile); once a different process has that pid, it
 * names something else. */
static int leads(const struct tree *t, int id, const struct ward__pstat *v, size_t n)
{
        const struct member *m = member(t, id);
        if (!m) {
                return 0;
        }
        if (!m->ended) {
                return 1;
        }
        const struct ward__pstat *now = bsearch(&id, v, n, sizeof(*v), by_pid);
        return !now || now->start == m->start;
}

/* belongs: is s (from the scan v[0..n)) part of the tree? */
static int belongs(const struct tree *t, const struct ward__pstat *s, const struct ward__pstat *v,
                   size_t n)
{
        if (s->pid == t->self || s->pid <= 1 || member(t, s->pid)) {
                return 0;
        }
        if (t->m[0].start && s->start < t->m[0].start) {
                return 0; /* older than the root: not started by it */
        }
        return parent_of(t, s->ppid) || leads(t, s->pgrp, v, n) || leads(t, s->sid, v, n);
}

static int add(struct tree *t, int pid, int pidfd, uint64_t start)
{
        if (t->n == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 16;
                struct member *m = realloc(t->m, cap * sizeof(*m));
                if (!m) {
                        return -ENOMEM;
                }
                t->m = m;
                t->cap = cap;
        }
        t->m[t->n++] = (struct member){pid, pidfd, start, 0};
        return 0;
}

/* add_found: hold s by a pidfd, if it is still the process the scan saw */
static int add_found(struct tree *t, const struct ward__pstat *s)
{
        int fd = ward__pidfd_open(s->pid);
        struct ward__pstat again;
        if (fd < 0) {
                return fd == -ENOMEM || fd == -EMFILE ? fd : 0;
        }
        if (ward__pstat_read(s->pid, &again) < 0 || again.start != s->start) {
                close(fd); /* the pid is someone else's by now */
                return 0;
        }
        if (add(t, s->pid, fd, s->start) < 0) {
                close(fd);
                return -ENOMEM;
        }
        return 1;
}

/* walk: add what /proc shows of the tree now; how many were new, or -errno */
static int walk(struct tree *t)
{
        struct ward__pstat *v;
        size_t n;
        int r = ward__proc_scan(&v, &n), added = 0, changed;
        if (r < 0) {
                return r;
        }
        for (size_t i = 0; i < t->n; i++) {
                t->m[i].ended = ward__pidfd_exited(t->m[i].pidfd, 0) == 1;
        }
        do { /* until a pass adds nothing: a child may be listed before its parent */
                changed = 0;
                for (size_t i = 0; i < n; i++) {
                        if (!belongs(t, &v[i], v, n)) {
                                continue;
                        }
                        r = add_found(t, &v[i]);
                        if (r < 0) {
                                free(v);
                                return r;
                        }
                        added += r;
                        changed |= r;
                }
        } while (changed);
        free(v);
        return added;
}

/* signal_all: every member but the root that has not ended */
static void signal_all(struct tree *t, int sig)
{
        for (size_t i = 1; i < t->n; i++) {
                ward__pidfd_signal(t->m[i].pidfd, sig);
        }
        if (t->leader) {
                kill(-t->root->pid, sig); /* the group outlives its leader's pid */
        }
}

/* wait_all: until every member ended, or deadline. 1 when they did. */
static int wait_all(struct tree *t, uint64_t deadline)
{
        for (size_t i = 0; i < t->n; i++) {
                uint64_t now = ward_now_ns();
                if (ward__pidfd_exited(t->m[i].pidfd, deadline > now ? deadline - now : 0) != 1) {
                        return 0;
                }
        }
        return 1;
}

/* frozen: every member that runs is stopped (T) or dying */
static int frozen(const struct tree *t)
{
        for (size_t i = 0; i < t->n; i++) {
                struct ward__pstat s;
                if (ward__pidfd_exited(t->m[i].pidfd, 0) == 1 ||
                    ward__pstat_read(t->m[i].pid, &s) < 0) {
                        continue;
                }
                if (s.state != 'T' && s.state != 't' && s.state != 'Z' && s.state != 'X') {
                        return 0;
                }
        }
        return 1;
}

/* freeze: SIGSTOP the tree and search again until it holds still */
static int freeze(struct tree *t)
{
        for (int round = 0; round < FREEZE_ROUNDS; round++) {
                int added = walk(t);
                if (added < 0) {
                        return added;
                }
                signal_all(t, SIGSTOP);
                ward__pidfd_signal(t->m[0].pidfd, SIGSTOP);
                if (added == 0 && frozen(t)) {
                        return 0;
                }
                struct timespec ts = {0, 1000000}; /* let the stops land */
                nanosleep(&ts, NULL);
        }
        return 0; /* a process stuck in the kernel cannot fork either: kill what is known */
}

static int any_running(const struct tree *t)
{
        for (size_t i = 0; i < t->n; i++) {
                if (ward__pidfd_exited(t->m[i].pidfd, 0) != 1) {
                        return 1;
                }
        }
        return 0;
}

static int by_walk(struct ward_proc *p, uint64_t grace_ns)
{
        struct tree t = {.root = p, .self = getpid()};
        struct ward__pstat rs;
        int r = add(&t, p->pid, p->pidfd, p->start);
        if (r == 0 && !p->ended && ward__pstat_read(p->pid, &rs) == 0 &&
            (!p->start || rs.start == p->start)) {
                t.leader = rs.pgrp == p->pid;
        }
        if (r == 0 && p->ended) {
                t.m[0].pid = 0; /* reaped: its pid may be another's now */
        }
        if (r == 0) {
                r = walk(&t);
        }
        if (r >= 0 && ward_proc_wait(p, 0, NULL) == -ETIMEDOUT) {
                r = ward__proc_term(p);
        }
        if (r >= 0) {
                signal_all(&t, SIGTERM);
                signal_all(&t, SIGCONT);
                uint64_t now = ward_now_ns();
                wait_all(&t, grace_ns > UINT64_MAX - now ? UINT64_MAX : now + grace_ns);
                r = freeze(&t);
        }
        if (r >= 0 && any_running(&t)) {
                signal_all(&t, SIGKILL);
                r = ward__proc_kill(p);
                p->status.killed = 1;
                if (r == 0 && !wait_all(&t, ward_now_ns() + WARD__PROC_KILL_WAIT_NS)) {
                        r = -ETIMEDOUT;
                }
        }
        if (r >= 0) {
                r = ward_proc_wait(p, WARD__PROC_KILL_WAIT_NS, NULL);
        }
        p->status.others = t.n ? (int)t.n - 1 : 0;
        for (size_t i = 1; i < t.n; i++) {
                close(t.m[i].pidfd);
        }
        free(t.m);
        return r < 0 ? r : 0;
}

static int by_cgroup(struct ward_proc *p, uint64_t grace_ns)
{
        char procs[4096 + 16];
        int *pids, others = 0;
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", p->cgroup);
        int n = ward__read_pids(procs, &pids);
        if (n < 0) {
                return n;
        }
        for (int i = 0; i < n; i++) {
                others += pids[i] != p->pid;
        }
        free(pids);
        ward__cgroup_signal(p->cgroup, SIGTERM);
        ward__cgroup_signal(p->cgroup, SIGCONT);
        int r = ward__cgroup_wait_empty(p->cgroup, grace_ns);
        if (r == 0) {
                p->status.killed = 1;
                r = ward__cgroup_kill(p->cgroup);
                if (r == 0) {
                        r = ward__cgroup_wait_empty(p->cgroup, WARD__PROC_KILL_WAIT_NS);
                        r = r == 0 ? -ETIMEDOUT : r;
                }
        }
        if (r >= 0) {
                r = ward_proc_wait(p, WARD__PROC_KILL_WAIT_NS, NULL);
        }
        p->status.others = others;
        if (r >= 0 && (r = ward__cgroup_remove(p->cgroup, 1000000000)) == 0) {
                free(p->cgroup);
                p->cgroup = NULL;
        }
        return r < 0 ? r : 0;
}

int ward_proc_stop_tree(ward_proc *p, uint64_t grace_ns, uint32_t flags,
                        struct ward_proc_status *status)
{
        if (!p) {
                return -EINVAL;
        }
        int r = -ENOENT;
        if (p->cgroup && !(flags & WARD_PROC_TREE_NO_CGROUP)) {
                r = by_cgroup(p, grace_ns);
        }
        if (r == -ENOENT) { /* no cgroup, or it is gone */
                r = by_walk(p, grace_ns);
        }
        if (r == 0 && status) {
                *status = p->status;
        }
        return r;
}
