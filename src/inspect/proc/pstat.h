/* /proc/PID/stat of any process, parsed in full enough for spawn, stop and
 * watch: parent, group, session, start time, exit code, and the addresses
 * that change when it execs. What the kernel writes there is checked before
 * use (a name may hold spaces, parentheses and newlines). */
#ifndef WARD_INSPECT_PROC_PSTAT_H
#define WARD_INSPECT_PROC_PSTAT_H

#include <stddef.h>
#include <stdint.h>

struct ward__pstat {
        int pid;
        char comm[16]; /* NUL-terminated; bytes as the kernel gave them */
        char state;    /* R, S, D, Z, X, T, t, I, ... */
        int ppid, pgrp, sid;
        int nice;
        int threads;
        uint64_t start; /* field 22: clock ticks after boot */
        /* fields 26, 28, 48: where code, stack and arguments start. They
         * change on every exec (address randomisation); 0 when the kernel
         * hides them (another user's process). */
        uint64_t startcode, startstack, arg_start;
        int exit_code; /* field 52: wait(2) status of a zombie; 0 when hidden */
        int fields;    /* how many fields the line had (older kernels: fewer) */
};

/* ward__pstat_parse: parse the text of a stat file (n bytes, need not be
 * NUL-terminated). Fields the line lacks after the start time are 0.
 * Returns 0, or -EPROTO (not a stat line: no "PID (comm) S ..." with at
 * least 22 fields, numbers out of range). */
int ward__pstat_parse(const char *buf, size_t n, struct ward__pstat *ret);

/* ward__pstat_read: read and parse /proc/PID/stat. Returns 0, -ENOENT or
 * -ESRCH (no such process), -EPROTO, or another -errno of open/read. */
int ward__pstat_read(int pid, struct ward__pstat *ret);

/* ward__pstat_exec_sig: a number that changes when the process execs (from
 * the addresses above); 0 when they are hidden, or not all set yet (read
 * during an exec). */
uint64_t ward__pstat_exec_sig(const struct ward__pstat *s);

#endif
