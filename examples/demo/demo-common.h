/* What the processes of ward-demo agree on: the environment that configures
 * the services, the frame request of the zero-copy path, and a median. */
#ifndef WARD_DEMO_COMMON_H
#define WARD_DEMO_COMMON_H

#include <stdint.h>
#include <stdlib.h>

/* set by ward-demo for `ward serve`'s services (through `ward run`) */
#define DEMO_ENV_HAL "WARD_DEMO_HAL"                 /* the HAL's RPC address */
#define DEMO_ENV_CRASH_AFTER "WARD_DEMO_CRASH_AFTER" /* Sensors.Read crashes at that call */
#define DEMO_ENV_CRASH_MARK "WARD_DEMO_CRASH_MARK"   /* ... once: this file says it did */

#define DEMO_SENSORS 4
#define DEMO_SECOND 1000000000ull

/* The zero-copy path: the app asks demo-hal for a camera frame with this
 * request; the reply is a buffer of the connection's shared pool that the HAL
 * filled in place and the app reads in place. */
#define DEMO_FRAME_MAGIC 0x454d4152465744ull /* "DWFRAME" */
struct demo_frame_req {
        uint64_t magic;
        uint64_t seq;
        uint32_t bytes; /* the frame's size, header included */
        uint32_t pad;
};

/* the frame's first bytes; the rest is (seq & 0xff) repeated */
struct demo_frame_hdr {
        uint64_t magic;
        uint64_t seq;
        uint64_t exposure;
};

static inline int demo_cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* demo_median: the median of v[0..n-1] (sorts v); 0 when n is 0 */
static inline uint64_t demo_median(uint64_t *v, size_t n)
{
        if (n == 0) {
                return 0;
        }
        qsort(v, n, sizeof(*v), demo_cmp_u64);
        return v[n / 2];
}

#endif
