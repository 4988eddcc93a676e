/* ward/shm.h (libward-inspect): the shared-memory files ward processes leave
 * in /dev/shm, and sweeping those of processes that are gone.
 *
 * A ward process owns at most these files, each named after its pid:
 *   ward-trace.PID  its trace buffers (ward/trace.h; the header holds the
 *                   owner's pid and start time)
 *   ward-locks.PID  its lock registry (ward/lock.h; the same two fields)
 *   ward-guard.PID  the guardian's mark on its worker PID (judged by change time)
 * A process that exits normally removes its own (docs/proc.md, "Cleaning
 * up"); one that is killed leaves them behind.
 *
 * A pid is reused, so a file is its owner's only while the process that has
 * the pid now is the one that made it: the start time in the header (field
 * 22 of /proc/PID/stat) must match, or, for a file without one, the file
 * must not be older than the process. A file that is stale by that rule but
 * still mapped by a running process (a reader, or an owner in another pid
 * namespace sharing /dev/shm) is kept too; one whose owner runs but no
 * longer maps it (it replaced its program with exec) is stale. Symbolic links, other kinds of
 * files, names that are not exactly ward's and (unless asked) other users'
 * files are never looked at.
 *
 * Link with libward-inspect (pkg-config ward-inspect, CMake ward::inspect). */
#ifndef WARD_SHM_H
#define WARD_SHM_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

/* What a file is. */
enum ward_shm_kind {
        WARD_SHM_TRACE = 1, /* ward-trace.PID */
        WARD_SHM_LOCKS = 2, /* ward-locks.PID */
        WARD_SHM_GUARD = 3, /* ward-guard.PID */
};

/* Whose it is. Only the WARD_SHM_STALE_* states may be removed. */
enum ward_shm_state {
        WARD_SHM_LIVE = 0,         /* its owner runs (or is a zombie not yet reaped) */
        WARD_SHM_IN_USE = 1,       /* stale by its owner, but a running process maps it */
        WARD_SHM_STALE_GONE = 2,   /* no process has its pid */
        WARD_SHM_STALE_REUSED = 3, /* the pid is another process's (start times differ) */
        WARD_SHM_STALE_OLDER = 4,  /* no start time in it, and older than the pid's process */
        WARD_SHM_STALE_EXEC = 5,   /* its owner runs, but exec'd another program and no
                                      longer maps it (a fork child's registry, then exec) */
};

/* ward_shm_options flags */
enum {
        WARD_SHM_ALL_USERS = 1u << 0, /* every user's files, not only the caller's */
};

struct ward_shm_options {
        uint32_t size;   /* sizeof(struct ward_shm_options) */
        uint32_t flags;  /* WARD_SHM_* above */
        const char *dir; /* NULL: /dev/shm */
        const int *pids; /* only the files of these pids; NULL: every pid */
        size_t n_pids;
};

/* One ward file. */
struct ward_shm_file {
        char name[32];        /* "ward-trace.4242", in the directory */
        int kind;             /* ward_shm_kind */
        int pid;              /* from the name */
        int state;            /* ward_shm_state */
        int user;             /* WARD_SHM_IN_USE: a process that maps it; else 0 */
        uint32_t uid;         /* the file's owner */
        uint64_t owner_start; /* the owner's start time from the header (clock
                                 ticks since boot), 0 when the file has none */
        uint64_t pid_start;   /* the start time of the process that has the pid
                                 now, 0 when there is none */
        uint64_t bytes;       /* memory it holds (allocated blocks): what removing frees */
        uint64_t length;      /* its length (the files are sparse: often far more) */
        uint64_t dev, ino;    /* its identity, checked again before removing */
        int64_t ctime_ns;     /* its change time, CLOCK_REALTIME */
        char why[96];         /* the state in words: "no process 4242", ... */
};

/* ward_shm_list: every ward file of dir (the caller's, or everyone's with
 * WARD_SHM_ALL_USERS), judged as above, sorted by name, into *ret (the
 * caller's: ward_shm_list_free) and *n. opts may be NULL (the defaults).
 * Reads /proc once per file's pid, and every readable /proc/PID/maps once
 * when some file is stale. Errors: -EINVAL (bad options), -ENOMEM, -errno of
 * opening dir (-ENOENT). Any thread. */
WARD_API int ward_shm_list(const struct ward_shm_options *opts, struct ward_shm_file **ret,
                           size_t *n);

/* ward_shm_list_free: release what ward_shm_list gave (NULL is fine). */
WARD_API void ward_shm_list_free(struct ward_shm_file *files);

/* ward_shm_remove: remove file f (from ward_shm_list with the same opts)
 * if it is still what it was and still stale: the name is looked up again
 * (the same file, not a link), its owner judged again, then unlinked.
 * Returns 0, -EBUSY (no longer stale: the pid's process made it, or f was
 * not stale), -ESTALE (another file has the name now), -ENOENT (already
 * gone), -EPERM/-EACCES (not the caller's to remove), -EINVAL, or -errno.
 * What is left between the last check and the unlink is a window of
 * microseconds in which a new process with the same pid would have to
 * create its file. Any thread. */
WARD_API int ward_shm_remove(const struct ward_shm_options *opts, const struct ward_shm_file *f);

/* ward_shm_kind_name: "trace", "locks", "guard", or "?" */
WARD_API const char *ward_shm_kind_name(int kind);

/* ward_shm_is_stale: whether state is one of the WARD_SHM_STALE_* */
WARD_API int ward_shm_is_stale(int state);

WARD_END_DECLS

#endif
