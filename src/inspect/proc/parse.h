/* Parsers of /proc text files other than stat (core/procstat): each takes
 * untrusted bytes with their length and never reads past them. */
#ifndef WARD_INSPECT_PROC_PARSE_H
#define WARD_INSPECT_PROC_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* ward__proc_kv_kb: the number of the "Key:   N kB" line (smaps_rollup,
 * status) named key (with its colon, "Pss:"), in kB; -1 when absent or not
 * a number. */
int64_t ward__proc_kv_kb(const char *text, size_t len, const char *key);

/* ward__proc_status_id: the first (real) id of status's "Uid:" or "Gid:"
 * line; -1 when absent. */
int ward__proc_status_id(const char *text, size_t len, const char *key);

/* ward__proc_cgroup_v2: the path of the "0::PATH" line of /proc/PID/cgroup
 * into out (NUL-terminated); 0, or -ENOENT when there is none (cgroup v1
 * only) or it does not fit. */
int ward__proc_cgroup_v2(const char *text, size_t len, char *out, size_t size);

/* ward__proc_pids: the decimal pids of a space-separated list (a task's
 * "children" file) appended to *list (*n of *cap, grown with realloc).
 * Returns 0, -EBADMSG at a token that is not a pid, -ENOMEM. */
int ward__proc_pids(const char *text, size_t len, int **list, size_t *n, size_t *cap);

#endif
