/* Walking /proc: every process, the children of one by their parent pid, all
 * its descendants by ppid chains; and lists of pids as cgroup.procs and
 * /proc/PID/task/TID/children write them. Shared by spawn, stop and watch,
 * and meant for anything else of the inspector that needs a process tree. */
#ifndef WARD_INSPECT_PROC_SCAN_H
#define WARD_INSPECT_PROC_SCAN_H

#include <stddef.h>

#include "inspect/proc/pstat.h"

/* ward__proc_scan: /proc/PID/stat of every process (not threads) now, sorted
 * by pid. A process that ends during the walk is left out; one whose stat
 * does not parse is left out too. *ret is the caller's (free()); returns the
 * count or -ENOMEM, or -errno of opening /proc. */
int ward__proc_scan(struct ward__pstat **ret, size_t *n);

/* ward__proc_children: the pids whose parent is pid, in pid order; *ret is
 * the caller's (free(); NULL when there are none). Returns the count or
 * -errno. */
int ward__proc_children(int pid, int **ret);

/* ward__proc_descendants: every process whose chain of parents reaches pid,
 * parents before their children (breadth first). A process that was
 * reparented (its parent ended: it now hangs below init or a subreaper) is
 * not found this way. *ret is the caller's (free(); NULL when none). Returns
 * the count or -errno. */
int ward__proc_descendants(int pid, int **ret);

/* ward__proc_tree_of: the same on a scan v[0..n) from several roots (which
 * are not in the result): indices into v, parents first, into out (room for
 * n). Returns how many. */
size_t ward__proc_tree_of(const struct ward__pstat *v, size_t n, const int *roots, size_t n_roots,
                          size_t *out);

/* ward__proc_scan_tree: like ward__proc_scan, but only of the processes
 * roots[0..n_roots) and their descendants, found through the children files
 * of /proc/PID/task/TID (no walk over every process). Roots that do not
 * exist are left out. Returns the count, -EOPNOTSUPP (a kernel without
 * CONFIG_PROC_CHILDREN: use ward__proc_scan), -ENOMEM. */
int ward__proc_scan_tree(const int *roots, size_t n_roots, struct ward__pstat **ret, size_t *n);

/* ward__parse_pids: decimal pids separated by white space (cgroup.procs,
 * the children file), n bytes of buf. Stores up to cap of them in out and
 * returns how many there are, or -EPROTO (anything else, or a pid out of
 * range). */
int ward__parse_pids(const char *buf, size_t n, int *out, size_t cap);

/* ward__read_pids: ward__parse_pids on a whole file; *ret is the caller's
 * (free(); NULL when empty). Returns the count or -errno. */
int ward__read_pids(const char *path, int **ret);

#endif
