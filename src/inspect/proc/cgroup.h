/* A cgroup v2 leaf of its own for a spawned process: found under this
 * process's own cgroup when the unified hierarchy is mounted (at
 * /sys/fs/cgroup, or at /sys/fs/cgroup/unified on a hybrid system) and that
 * directory is writable; emptied with cgroup.kill and removed. */
#ifndef WARD_INSPECT_PROC_CGROUP_H
#define WARD_INSPECT_PROC_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* ward__cgroup_parse_self: the unified hierarchy's line ("0::/path") of
 * /proc/PID/cgroup text (n bytes): the path into buf. Returns 0, -ENOENT
 * (no such line: no cgroup v2), -EPROTO (a path that is not clean: not
 * absolute, with "..", "(deleted)", too long for size). */
int ward__cgroup_parse_self(const char *text, size_t n, char *buf, size_t size);

/* ward__cgroup_events_populated: "populated N" of cgroup.events text: 1, 0,
 * or -EPROTO. */
int ward__cgroup_events_populated(const char *text, size_t n);

/* ward__cgroup_own_dir: the directory of this process's cgroup v2 when we
 * may create cgroups under it. Returns 0, -EOPNOTSUPP (no cgroup2 mount),
 * -EACCES (not writable), -ENOENT, -EPROTO. */
int ward__cgroup_own_dir(char *buf, size_t size);

/* ward__cgroup_leaf_new: create ward-<pid>-<n> under our own cgroup; its
 * path into buf and an O_DIRECTORY fd of it (for CLONE_INTO_CGROUP) into
 * *dirfd. Returns 0 or -errno (those of ward__cgroup_own_dir, mkdir). */
int ward__cgroup_leaf_new(char *buf, size_t size, int *dirfd);

/* ward__cgroup_populated: 1 while a process is in leaf (or below), 0 when
 * empty, -errno. */
int ward__cgroup_populated(const char *leaf);

/* ward__cgroup_wait_empty: wait up to timeout_ns for leaf to empty (poll on
 * cgroup.events). Returns 1 empty, 0 not yet, -errno. */
int ward__cgroup_wait_empty(const char *leaf, uint64_t timeout_ns);

/* ward__cgroup_signal: send sig to every process in leaf now. Returns how
 * many were signalled, or -errno of reading cgroup.procs. */
int ward__cgroup_signal(const char *leaf, int sig);

/* ward__cgroup_kill: SIGKILL everything in leaf and below, at once
 * (cgroup.kill, Linux 5.14), or process by process until it is empty on
 * older kernels. Returns 0 or -errno. */
int ward__cgroup_kill(const char *leaf);

/* ward__cgroup_remove: rmdir leaf, waiting up to timeout_ns while exiting
 * processes still hold it (-EBUSY). Returns 0 or -errno. */
int ward__cgroup_remove(const char *leaf, uint64_t timeout_ns);

#endif
