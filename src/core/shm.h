/* Sealed memfd shared memory: the only kind of memory ward shares between processes. */
#ifndef WARD_CORE_SHM_H
#define WARD_CORE_SHM_H

#include <stddef.h>

/* ward__memfd_new: a memfd of size bytes (zero-filled), sealed against shrinking,
 * growing and further sealing, so the peer it is passed to can map it without
 * risking SIGBUS. Returns the fd (O_CLOEXEC) or -errno. */
int ward__memfd_new(const char *name, size_t size);

/* ward__memfd_check: is fd a memfd of exactly size bytes that can neither shrink
 * nor grow, and that we may write? Use on a memfd received from another process before mapping it.
 * Returns 0 or -EPROTO. */
int ward__memfd_check(int fd, size_t size);

/* ward__shm_map: map size bytes of fd shared, read-write. Returns 0 and *ret, or -errno. */
int ward__shm_map(int fd, size_t size, void **ret);

#endif
