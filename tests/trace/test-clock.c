/* The clock module (core/clock.h): the trace clock's rate, measured the way
 * the tracer calibrates its files and the inspector reads a dead process's
 * buffers, turns trace clock readings into ward_now_ns time. */
#include <time.h>

#include <ward/time.h>
#include <ward/trace.h>

#include "core/clock.h"
#include "test.h"

#define MS 1000000u

static void sleep_ns(uint64_t ns)
{
        struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
        while (nanosleep(&ts, &ts) != 0) {
        }
}

TEST(rate_converts)
{
        uint64_t t0, n0, t1, n1;
        ward__clock_pair(&t0, &n0);
        uint64_t hz = ward__clock_tsc_hz(t0, n0, 20 * MS);
        if (WARD__TRACE_TSC) {
                ASSERT_TRUE(ward_now_ns() - n0 >= 20 * MS); /* it measured that long */
        } else {
                ASSERT_EQ(hz, 1000000000u); /* the trace clock is ward_now_ns */
        }
        sleep_ns(30 * MS);
        ward__clock_pair(&t1, &n1);
        /* 50 ms after the first reading; the rate is good to a few ppm, so
         * even a busy machine stays far inside a millisecond */
        double predicted = (double)n0 + (double)(t1 - t0) * 1e9 / (double)hz;
        double off = predicted - (double)n1;
        ASSERT_TRUE(off < 1e6 && off > -1e6);
}

TEST(real_time)
{
        uint64_t real = ward__clock_real_ns();
        uint64_t now = (uint64_t)time(NULL) * 1000000000u;
        ASSERT_TRUE(real + 2000000000u > now && real < now + 2000000000u);
}

TEST(no_span)
{
        uint64_t t0, n0;
        ward__clock_pair(&t0, &n0);
        ASSERT_TRUE(ward__clock_tsc_hz(t0, n0, 0) > 0);
}

TEST_MAIN()
