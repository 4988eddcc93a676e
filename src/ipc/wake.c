/* futex and socket doorbells. */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/futex.h"
#include "ipc/layout.h"
#include "ipc/wake.h"

void ward__wake_if_sleeping(_Atomic uint32_t *sleep, _Atomic uint32_t *futex_word, int wake_fd)
{
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(sleep, memory_order_relaxed) == WARD__IPC_AWAKE) {
                return;
        }
        uint32_t how = atomic_exchange(sleep, WARD__IPC_AWAKE);
        if (how == WARD__IPC_SLEEP_FUTEX) {
                atomic_fetch_add(futex_word, 1);
                ward__futex(futex_word, FUTEX_WAKE, 1, NULL);
        } else if (how == WARD__IPC_SLEEP_LOOP && wake_fd >= 0) {
                static const char wake = WARD__WAKE_BYTE;
                /* EAGAIN (peer's buffer full) means it has wake-ups queued already */
                ssize_t n = send(wake_fd, &wake, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                (void)n;
        }
}

int ward__futex_wait(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns)
{
        struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u),
                              .tv_nsec = (long)(timeout_ns % 1000000000u)};
        if (ward__futex(word, FUTEX_WAIT, val, &ts) == 0) {
                return 0;
        }
        if (errno == EAGAIN) {
                return 0;
        }
        return -errno;
}
