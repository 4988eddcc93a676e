/* Pieces of ward_proc_info that `ward ps`-style walks reuse. */
#ifndef WARD_INSPECT_PROC_INFO_H
#define WARD_INSPECT_PROC_INFO_H

#include <stdint.h>
#include <sys/types.h>

#include <ward/proc.h>

#include "core/procstat.h"

/* ward__proc_read_at: up to size bytes of file name in the /proc/PID
 * directory dirfd. Returns the length, -ESRCH (gone) or -errno. */
ssize_t ward__proc_read_at(int dirfd, const char *name, char *buf, size_t size);

/* ward__proc_statm_rss: resident bytes from a statm file's text (its second
 * field, in pages: what ps and psutil report, and more exact than stat's rss
 * field); -1 when it does not parse. */
int64_t ward__proc_statm_rss(const char *text, size_t len);

/* ward__proc_basic_at: the basics of the process whose /proc directory is
 * dirfd (or, with dirfd /proc itself, of the pid named by prefix "PID/"):
 * stat, then statm for the resident size. */
int ward__proc_basic_at(int dirfd, const char *prefix, struct ward_proc_info *p,
                        struct ward__proc_statline *s);

/* ward__proc_fill_basic: p's basic fields from a parsed stat line. */
void ward__proc_fill_basic(struct ward_proc_info *p, const struct ward__proc_statline *s);

/* ward__proc_ward_flags: ward_proc_ward_flags of process pid (started at
 * start_ticks): its /dev/shm files, stale ones of an earlier pid excluded. */
int ward__proc_ward_flags(int pid, uint64_t start_ticks);

#endif
