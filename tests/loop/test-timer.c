/* Timer sources on real timerfds. Counts only: no assertion on how long
 * anything took. */
#include <ward/loop.h>

#include "test.h"

struct tick {
        int calls;
        uint64_t expirations;
        int free_after; /* free the source from its own callback after this many calls */
};

static void on_tick(ward_source *s, uint64_t expirations, void *arg)
{
        struct tick *t = arg;
        ASSERT_TRUE(expirations >= 1);
        t->calls++;
        t->expirations += expirations;
        if (t->free_after && t->calls == t->free_after) {
                ward_source_free(s);
        }
}

TEST(timer_one_shot)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct tick t = {0};
        ward_source *s;
        ASSERT_OK(ward_loop_add_timer(loop, 1000000, 0, on_tick, &t, &s));
        while (t.calls == 0) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        ASSERT_EQ(t.calls, 1);
        ASSERT_EQ(t.expirations, 1);
        /* A one-shot stays attached but disarmed: it never fires again. */
        ASSERT_EQ(ward_loop_run_once(loop, 5000000), 0);
        ASSERT_EQ(t.calls, 1);

        /* Re-arm it (first_ns == 0 and a period: as soon as possible). */
        ASSERT_OK(ward_source_set_timer(s, 0, 1000000));
        while (t.calls < 3) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        /* Both zero disarms. */
        ASSERT_OK(ward_source_set_timer(s, 0, 0));
        ASSERT_EQ(ward_loop_run_once(loop, 5000000), 0);
        ASSERT_EQ(t.calls, 3);
        ward_loop_free(loop);
}

TEST(timer_zero_fires_at_once)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct tick t = {0};
        ASSERT_OK(ward_loop_add_timer(loop, 0, 0, on_tick, &t, NULL));
        while (t.calls == 0) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        ASSERT_EQ(t.calls, 1);
        ward_loop_free(loop);
}

TEST(timer_periodic_counts_expirations)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct tick t = {0};
        ASSERT_OK(ward_loop_add_timer(loop, 500000, 500000, on_tick, &t, NULL));
        while (t.expirations < 5) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        ASSERT_TRUE(t.calls >= 1);
        ASSERT_TRUE((uint64_t)t.calls <= t.expirations);
        ward_loop_free(loop);
}

TEST(timer_free_self_in_callback)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct tick t = {.free_after = 2};
        ASSERT_OK(ward_loop_add_timer(loop, 100000, 100000, on_tick, &t, NULL));
        while (t.calls < 2) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        ASSERT_EQ(ward_loop_run_once(loop, 2000000), 0);
        ASSERT_EQ(t.calls, 2);
        ward_loop_free(loop);
}

static void never_called(void *arg)
{
        (void)arg;
        TEST_FAIL("cancelled defer ran");
}

TEST(timer_errors)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_ERRNO(ward_loop_add_timer(loop, 1, 0, NULL, NULL, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_timer(NULL, 1, 0, on_tick, NULL, NULL), EINVAL);
        ASSERT_ERRNO(ward_source_set_timer(NULL, 1, 0), EINVAL);
        /* set_timer on a source that is not a timer. */
        ward_source *d;
        ASSERT_OK(ward_loop_add_defer(loop, never_called, NULL, &d));
        ASSERT_ERRNO(ward_source_set_timer(d, 1, 0), EINVAL);
        ward_source_free(d);
        ward_loop_free(loop);
}

TEST_MAIN()
