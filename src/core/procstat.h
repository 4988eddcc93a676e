/* Reading /proc/PID/stat: one parser for every part (a process's state and
 * start time tell it from an earlier one with the same pid; `ward ps` and
 * ward_proc_info read the rest). The line is untrusted text: the name may
 * hold spaces and parentheses, so it is found from the last ')'. */
#ifndef WARD_CORE_PROCSTAT_H
#define WARD_CORE_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

/* The fields of /proc/PID/stat that ward uses (proc(5) numbers them). */
struct ward__proc_statline {
        int pid;               /* 1 */
        char comm[64];         /* 2, without the parentheses (16 bytes in practice) */
        char state;            /* 3: R, S, D, Z, T, t, X, I, ... */
        int ppid, pgrp, sid;   /* 4, 5, 6 */
        uint64_t utime, stime; /* 14, 15: clock ticks */
        long priority, nice;   /* 18, 19 */
        long num_threads;      /* 20 */
        uint64_t start;        /* 22: clock ticks since boot */
        uint64_t vsize;        /* 23: bytes */
        int64_t rss;           /* 24: pages */
        /* 26, 28, 48: where code, stack and arguments start; they change on
         * every exec (address randomisation); 0 when the kernel hides them
         * (another user's process) or the line is shorter */
        uint64_t startcode, startstack, arg_start;
        int exit_code; /* 52: wait(2) status of a zombie; 0 when hidden */
        int fields;    /* how many fields the line had (older kernels: fewer) */
};

/* ward__proc_stat_parse: the fields of one stat line (len bytes, need not
 * be NUL-terminated): fields 1 to 24 must be there, later ones are taken
 * when present. Returns 0, or -EBADMSG when it is not a stat line. */
int ward__proc_stat_parse(const char *line, size_t len, struct ward__proc_statline *ret);

/* ward__proc_stat_at: read and parse "stat" in the /proc/PID directory open
 * as dirfd. Returns 0, -ESRCH (the process is gone), -EBADMSG or -errno. */
int ward__proc_stat_at(int dirfd, struct ward__proc_statline *ret);

/* ward__proc_stat_read: the stat line of thread tid of process pid (tid 0:
 * of the process; pid 0: this process). Returns 0, or -errno (-ENOENT: no
 * such process or thread; -EIO: a line that does not parse). Any thread. */
int ward__proc_stat_read(int pid, int tid, struct ward__proc_statline *ret);

/* ward__proc_stat: state (field 3) and start time (field 22) of process pid
 * (0: this one); either may be NULL. Returns 0, or -errno (-ENOENT: no such
 * process). */
int ward__proc_stat(int pid, char *ret_state, uint64_t *ret_start);

#endif
