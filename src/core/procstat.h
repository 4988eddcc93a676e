/* Reading /proc/PID/stat: a process's state and start time (what tells a
 * process from an earlier one that had the same pid). */
#ifndef WARD_CORE_PROCSTAT_H
#define WARD_CORE_PROCSTAT_H

#include <stdint.h>

/* ward__proc_stat: state (field 3: R, S, D, Z, ...) and start time (field
 * 22, clock ticks since boot) of process pid (0: this one); either may be
 * NULL. Returns 0, or -errno (-ENOENT: no such process). */
int ward__proc_stat(int pid, char *ret_state, uint64_t *ret_start);

#endif
