/* The futex system call, which glibc does not wrap: the waits and wake-ups of
 * ward's own threads (private futexes) and of the processes sharing an IPC
 * ring (shared ones). */
#ifndef WARD_CORE_FUTEX_H
#define WARD_CORE_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ward__futex: futex(2) on word with op (FUTEX_WAIT, FUTEX_WAKE, their
 * _PRIVATE forms), val, and a relative timeout ts (NULL: none). Returns the
 * system call's result, -1 with errno set on failure.
 * Thread class: any-thread, async-signal-safe. */
static inline long ward__futex(_Atomic uint32_t *word, int op, uint32_t val,
                               const struct timespec *ts)
{
        return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

#endif
