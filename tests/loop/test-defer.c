/* Deferred callbacks: once, next iteration, cancellable. */
#include <ward/loop.h>

#include "test.h"

struct deferred {
        ward_loop *loop;
        int runs;
        int readd; /* how many more times to add itself again */
};

static void on_defer(void *arg)
{
        struct deferred *d = arg;
        d->runs++;
        if (d->readd > 0) {
                d->readd--;
                ASSERT_OK(ward_loop_add_defer(d->loop, on_defer, d, NULL));
        }
}

TEST(defer_runs_once)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct deferred d = {.loop = loop};
        ASSERT_OK(ward_loop_add_defer(loop, on_defer, &d, NULL));
        /* A pending defer keeps the loop from blocking, even "forever". */
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(d.runs, 1);
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_EQ(d.runs, 1);
        ward_loop_free(loop);
}

TEST(defer_added_by_defer_waits_an_iteration)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct deferred d = {.loop = loop, .readd = 2};
        ASSERT_OK(ward_loop_add_defer(loop, on_defer, &d, NULL));
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(d.runs, 3);
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ward_loop_free(loop);
}

static void never_called(void *arg)
{
        (void)arg;
        TEST_FAIL("a cancelled defer ran");
}

struct canceller {
        ward_source *victim;
        int runs;
};

static void cancel_other(void *arg)
{
        struct canceller *c = arg;
        c->runs++;
        c->victim = ward_source_free(c->victim);
}

TEST(defer_cancel)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_source *s;
        ASSERT_OK(ward_loop_add_defer(loop, never_called, NULL, &s));
        ward_source_free(s);
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);

        /* Cancelled by an earlier defer of the same iteration. */
        struct canceller c = {0};
        ASSERT_OK(ward_loop_add_defer(loop, cancel_other, &c, NULL));
        ASSERT_OK(ward_loop_add_defer(loop, never_called, NULL, &c.victim));
        ASSERT_EQ(ward_loop_run_once(loop, 0), 1);
        ASSERT_EQ(c.runs, 1);

        /* Still pending at free time: freed, not called. */
        ASSERT_OK(ward_loop_add_defer(loop, never_called, NULL, NULL));
        ASSERT_ERRNO(ward_loop_add_defer(loop, NULL, NULL, NULL), EINVAL);
        ward_loop_free(loop);
}

TEST_MAIN()
