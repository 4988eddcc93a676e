/* /dev/shm/ward-guard.PID: the mark a guardian leaves for its running
 * worker PID, so that `ward ps --ward` and ward_proc_info can say "guarded".
 * The guardian writes it once the worker is spawned; it goes with the
 * worker's other files when the guardian reaps it (ward__shm_cleanup), and
 * `ward clean` sweeps one a killed guardian left. The file is untrusted
 * when read: it counts only when it names the process's start time and a
 * guardian that is still alive. */
#ifndef WARD_INSPECT_GUARD_MARK_H
#define WARD_INSPECT_GUARD_MARK_H

#include <stdint.h>

struct ward__guard_mark {
        uint64_t worker_start; /* the worker's start time (/proc/PID/stat field 22) */
        uint32_t guardian_pid;
        uint32_t reserved;
};

/* ward__guard_mark_write: mark worker pid as guarded by this process.
 * 0 or -errno (the mark is optional: callers go on without it). Any thread. */
int ward__guard_mark_write(int pid);

/* ward__guard_mark_valid: 1 when pid (started at start_ticks) has a mark of
 * a guardian still alive, else 0. Any thread. */
int ward__guard_mark_valid(int pid, uint64_t start_ticks);

#endif
