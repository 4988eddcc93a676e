/* Reading /proc/PID/stat (or a thread's, /proc/PID/task/TID/stat): a
 * process's or thread's name, state and start time (what tells a process from
 * an earlier one that had the same pid). The one parser of that line. */
#ifndef WARD_CORE_PROCSTAT_H
#define WARD_CORE_PROCSTAT_H

#include <stdint.h>

struct ward__procstat {
        char comm[64];  /* field 2 without its parentheses (it may hold spaces and ')') */
        char state;     /* field 3: R, S, D, Z, ... */
        uint64_t start; /* field 22: start time, clock ticks since boot */
};

/* ward__proc_stat_read: the stat line of thread tid of process pid (tid 0: of
 * the process; pid 0: this process). Returns 0, or -errno (-ENOENT: no such
 * process or thread; -EIO: a line that does not parse).
 * Thread class: any-thread. */
int ward__proc_stat_read(int pid, int tid, struct ward__procstat *ret);

/* ward__proc_stat: state and start time of process pid (0: this one); either
 * may be NULL. Returns 0, or -errno as ward__proc_stat_read. */
int ward__proc_stat(int pid, char *ret_state, uint64_t *ret_start);

#endif
