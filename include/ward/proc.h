/* ward/proc.h (libward-inspect): what a process is, read from /proc the way
 * ps, top and psutil do, plus what only ward can tell: whether it is a ward
 * process (trace buffers, a lock registry, a guardian).
 *
 * Everything comes from /proc and is read through one directory handle of
 * the process, so a pid reused meanwhile is never mixed in; a process that
 * ends while it is read gives -ESRCH, never a half-filled answer.
 *
 * Link with libward-inspect (pkg-config ward-inspect, CMake ward::inspect). */
#ifndef WARD_PROC_H
#define WARD_PROC_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

/* What ward_proc_info reads: the basics always (one read of
 * /proc/PID/stat), the rest when asked. */
enum ward_proc_what {
        WARD_PROC_BASIC = 0,           /* stat: state, parents, times, nice, threads, memory */
        WARD_PROC_EXE = 1u << 0,       /* exe: the executable's path */
        WARD_PROC_CMDLINE = 1u << 1,   /* cmdline */
        WARD_PROC_THREADS = 1u << 2,   /* thread ids, names and states */
        WARD_PROC_CHILDREN = 1u << 3,  /* child pids */
        WARD_PROC_MEMORY = 1u << 4,    /* PSS and private memory: smaps_rollup, costs more */
        WARD_PROC_FDS = 1u << 5,       /* open file descriptors */
        WARD_PROC_CGROUP = 1u << 6,    /* cgroup v2 path */
        WARD_PROC_IDS = 1u << 7,       /* uid, gid (status) */
        WARD_PROC_WARD = 1u << 8,      /* ward's own files: trace buffers, lock registry */
        WARD_PROC_ALL = (1u << 9) - 1, /* everything */
};

/* What ward knows of a process (WARD_PROC_WARD). */
enum ward_proc_ward_flags {
        WARD_PROC_TRACES = 1u << 0,  /* /dev/shm/ward-trace.<pid>, its own (start time checked) */
        WARD_PROC_LOCKS = 1u << 1,   /* /dev/shm/ward-locks.<pid>: a lock registry */
        WARD_PROC_GUARDED = 1u << 2, /* /dev/shm/ward-guard.<pid>: run under ward's guardian */
};

struct ward_proc_task {
        int tid;
        char name[64];
        char state;
};

struct ward_proc_info {
        int pid, ppid, pgid, sid;
        char comm[64];
        char state;           /* R, S, D, Z, T, ... */
        uint64_t user_ns;     /* CPU time in user mode */
        uint64_t system_ns;   /* CPU time in the kernel */
        uint64_t start_ns;    /* when it started: CLOCK_REALTIME, ns since the epoch */
        uint64_t start_ticks; /* the same in clock ticks since boot (/proc's identity) */
        long nice, priority;  /* as ps shows them (priority: the kernel's, 20 = nice 0) */
        long nthreads;
        uint64_t rss;         /* resident bytes */
        uint64_t vm_size;     /* virtual bytes */
        uint64_t pss;         /* WARD_PROC_MEMORY: proportional set size, bytes */
        uint64_t private_mem; /* WARD_PROC_MEMORY: private clean + dirty, bytes */
        uint64_t swap;        /* WARD_PROC_MEMORY: swapped out, bytes */
        int uid, gid;         /* WARD_PROC_IDS: real ids; -1 without */
        int nfds;             /* WARD_PROC_FDS: -1 without (or not ours to read) */
        unsigned ward;        /* WARD_PROC_WARD: ward_proc_ward_flags */
        char *exe;            /* WARD_PROC_EXE: NULL without (a kernel thread, or not ours) */
        char *cmdline;        /* WARD_PROC_CMDLINE: arguments joined by spaces, NULL without */
        char *cgroup;         /* WARD_PROC_CGROUP: "/user.slice/...", NULL without */
        struct ward_proc_task *threads; /* WARD_PROC_THREADS */
        size_t nthread_list;
        int *children; /* WARD_PROC_CHILDREN */
        size_t nchildren;
        unsigned what; /* what was read */
};

/* ward_proc_info: read what (ward_proc_what flags) of process pid into
 * *ret, which is the caller's to release with ward_proc_info_free (also
 * after an error). Fields the kernel does not let us read (another user's
 * exe or fds) are left empty rather than failing the call. Errors: -ESRCH
 * (no such process, or it ended while being read), -EINVAL, -ENOMEM,
 * -EBADMSG (a /proc file did not parse). Any thread. */
WARD_API int ward_proc_info(int pid, unsigned what, struct ward_proc_info *ret);

/* ward_proc_info_free: release what ward_proc_info allocated in *info. */
WARD_API void ward_proc_info_free(struct ward_proc_info *info);

/* Called by ward_proc_scan for each process; info is valid during the call
 * only. Return nonzero to stop the scan. */
typedef int ward_proc_scan_fn(void *arg, const struct ward_proc_info *info);

/* ward_proc_scan: every process of the system, as ward_proc_info would
 * read what (a process that ends during the scan is left out), to fn, in
 * /proc's order. The basics (and WARD_PROC_WARD) cost one read of the stat
 * file per process, which is what `ward ps` and psutil's process_iter pay at
 * the least. Returns the number of processes given to fn, or -EINVAL,
 * -ENOMEM, -errno of /proc. Any thread. */
WARD_API long ward_proc_scan(unsigned what, ward_proc_scan_fn *fn, void *arg);

/* ward_proc_list: every process's pid, in increasing order, from /proc.
 * *ret is the caller's (free()). Returns the count or -errno. */
WARD_API long ward_proc_list(int **ret);

WARD_END_DECLS

#endif
