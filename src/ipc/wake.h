/* Wake-ups between the two sides of a ring without a syscall when the other
 * side is awake. The sleeper announces itself in shared memory, re-checks, and
 * only then sleeps; the waker makes a syscall only if it sees the announcement.
 * Both use sequentially consistent order for the announce/check pair, so a
 * wake-up can never fall between the sleeper's check and its sleep. */
#ifndef WARD_IPC_WAKE_H
#define WARD_IPC_WAKE_H

#include <stdatomic.h>
#include <stdint.h>

/* ward__wake_if_sleeping: after publishing, wake the other side if it announced
 * sleep in *sleep: futex word *futex for WARD__IPC_SLEEP_FUTEX, one byte on the
 * doorbell socket for WARD__IPC_SLEEP_LOOP. The byte is sent with MSG_DONTWAIT, a
 * per-call flag the peer cannot take away (an eventfd shared with the peer
 * could be switched to blocking and filled by it, hanging us).
 * Thread class: owner-thread. */
void ward__wake_if_sleeping(_Atomic uint32_t *sleep, _Atomic uint32_t *futex, int wake_fd);

#define WARD__WAKE_BYTE 'W'

/* ward__futex_wait: sleep while *word == val, at most timeout_ns. Returns 0 when
 * woken or the value differs, -ETIMEDOUT, or -EINTR. Shared (not private) futex:
 * the word lives in memory mapped by two processes. */
int ward__futex_wait(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns);

/* ward__cpu_relax: tell the CPU we are spinning. */
static inline void ward__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
}

#endif
