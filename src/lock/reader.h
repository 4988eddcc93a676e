/* Reading another process's lock registry (layout.h) from outside: the
 * `ward locks` side. The file is the other process's to write at any time,
 * so everything is checked and each entry copied under its seqlock. */
#ifndef WARD_LOCK_READER_H
#define WARD_LOCK_READER_H

#include <stddef.h>
#include <stdint.h>

#include "lock/layout.h"

struct ward__lockreg_view {
        int pid;
        uint64_t start_time;
        uint32_t untracked;      /* locks the full registry could not record */
        uint32_t order_checking; /* as the header says */
        uint32_t inversions;     /* reported by the process (maybe more than kept) */
        size_t n_inv;            /* kept in inv[] */
        struct ward__lockreg_inversion inv[WARD__LOCKREG_INVERSIONS];
        struct ward__lockreg_entry *entries; /* consistent copies of live entries */
        size_t n;
        size_t busy; /* entries that changed under every copy attempt (skipped) */
};

/* ward__lockreg_parse: read a registry from map (size bytes), which the
 * owner may be writing. Every string in the result is NUL-terminated.
 * Returns 0, -EPROTO (not a registry: bad magic, version, sizes), -ENOMEM.
 * *v is the caller's (ward__lockreg_view_free) on success. */
int ward__lockreg_parse(const void *map, size_t size, struct ward__lockreg_view *v);

/* ward__lockreg_read: the registry of live process pid, from
 * /dev/shm/ward-locks.<pid>, with each lock's owner, recursion and readers
 * read from the lock itself (process_vm_readv). Returns 0; -ENOENT (the process has none);
 * -ESTALE (a file left by an earlier process with that pid: its start time
 * differs); -EPROTO (damaged); -EACCES; -ENOMEM. The file shrinking under the
 * read (SIGBUS) gives -EPROTO. Single-threaded callers only (it installs a
 * SIGBUS handler for the read). */
int ward__lockreg_read(int pid, struct ward__lockreg_view *v);

void ward__lockreg_view_free(struct ward__lockreg_view *v);

#endif
