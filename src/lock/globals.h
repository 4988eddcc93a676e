/* The global (static) pthread mutexes and rwlocks of another process, found
 * by size in the symbol tables of the files it maps: what `ward locks -a`
 * checks for held-but-uncontended locks. */
#ifndef WARD_LOCK_GLOBALS_H
#define WARD_LOCK_GLOBALS_H

#include <stddef.h>
#include <stdint.h>

struct ward__lock_global {
        uint64_t addr;  /* in the process */
        int rwlock;     /* 0: pthread_mutex_t (40 bytes), 1: pthread_rwlock_t (56 bytes) */
        char name[128]; /* "file!symbol" */
};

/* ward__lock_globals: every data object of pid's mapped ELF files whose size
 * is that of a pthread mutex or rwlock (candidates: the caller reads them to
 * tell real, held locks). *ret is the caller's (free). Returns 0 or -errno. */
int ward__lock_globals(int pid, struct ward__lock_global **ret, size_t *n);

#endif
