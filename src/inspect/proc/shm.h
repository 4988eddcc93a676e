/* The pieces of ward_shm_list (ward/shm.h): the parsers of what it reads
 * (file names, file headers, /proc/PID/maps lines; all fuzzed in
 * fuzz/fuzz-shm.c), judging one file's owner, and who maps which file. */
#ifndef WARD_INSPECT_PROC_SHM_H
#define WARD_INSPECT_PROC_SHM_H

#include <stddef.h>
#include <stdint.h>

#include <ward/shm.h>

/* The largest pid a name may carry (PID_MAX_LIMIT on 64-bit Linux). */
#define WARD__SHM_PID_MAX (1 << 22)

/* How many bytes of a file ward__shm_header_start looks at. */
#define WARD__SHM_HEADER_BYTES 4096u

/* ward__shm_name_parse: the kind (ward_shm_kind) of a file name of len
 * bytes that is exactly "ward-trace.PID", "ward-locks.PID" or
 * "ward-guard.PID" (PID: decimal digits, no sign, no leading zero,
 * 1..WARD__SHM_PID_MAX), with the pid in *ret_pid; 0 for any other name. */
int ward__shm_name_parse(const char *name, size_t len, int *ret_pid);

/* ward__shm_header_start: the owner's start time the first len bytes of a
 * file of kind say, when they are a complete header of the current format
 * (magic, version) naming pid; 0 otherwise (a header not yet written, an
 * older format, another pid, a kind without a header). */
uint64_t ward__shm_header_start(int kind, const void *data, size_t len, int pid);

/* ward__shm_maps_line: the device (as makedev) and inode of one line of
 * /proc/PID/maps (len bytes, need not be NUL-terminated). Returns 0, or
 * -EBADMSG when the line does not have them. */
int ward__shm_maps_line(const char *line, size_t len, uint64_t *ret_dev, uint64_t *ret_ino);

/* ward__shm_judge_owner: f's state (LIVE, STALE_GONE, STALE_REUSED or
 * STALE_OLDER) and why, from f->pid, f->owner_start (0: compare the file's
 * change time f->ctime_ns with the start of the pid's process instead) and
 * /proc. Sets f->pid_start. */
void ward__shm_judge_owner(struct ward_shm_file *f);

/* ward__shm_judge_users: every readable /proc/PID/maps, once: a stale file
 * that some process maps becomes WARD_SHM_IN_USE; a live one with a
 * complete header that its owner no longer maps (readable maps, no line of
 * it) and nobody else does becomes WARD_SHM_STALE_EXEC. Returns 0 or
 * -ENOMEM (the states are then as they were). */
int ward__shm_judge_users(struct ward_shm_file *files, size_t n);

#endif
