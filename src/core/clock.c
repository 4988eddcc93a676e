/* ward_now_ns: the one clock every ward timeout and deadline is measured on. */
#include <time.h>

#include <ward/loop.h>

uint64_t ward_now_ns(void)
{
        struct timespec ts;
        /* CLOCK_MONOTONIC cannot fail with a valid pointer; it is a vDSO call. */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
