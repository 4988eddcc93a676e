/* The restart policy on its own (guardian-policy.c): the back-off doubles
 * from min to max, resets after a stable run; the burst limit counts the
 * restarts within a sliding window; no and on-failure stop where they say. */
#include "inspect/guard/guardian-internal.h"
#include "test.h"

#define MS 1000000ull
#define S 1000000000ull

static void policy(struct ward__restart_policy *p, enum ward_guardian_restart restart)
{
        struct ward_guardian_options o = {.size = sizeof(o),
                                          .restart = restart,
                                          .backoff_min_ns = 100 * MS,
                                          .backoff_max_ns = 1 * S,
                                          .burst = 3,
                                          .burst_window_ns = 10 * S,
                                          .stable_ns = 60 * S};
        ASSERT_EQ(ward__policy_init(p, &o), 0);
}

TEST(backoff_doubles_to_cap_and_resets)
{
        struct ward__restart_policy p;
        policy(&p, WARD_GUARDIAN_RESTART_ON_FAILURE);
        uint64_t d, now = 0; /* restarts 100 s apart: the 10 s burst window never fills */
        uint64_t want[] = {100 * MS, 200 * MS, 400 * MS, 800 * MS, 1 * S, 1 * S};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                now += 100 * S;
                ASSERT_EQ(ward__policy_next(&p, 1, 1 * S, now, &d), WARD__POLICY_RESTART);
                ASSERT_EQ(d, want[i]);
        }
        now += 100 * S;
        ASSERT_EQ(ward__policy_next(&p, 1, 60 * S, now, &d), WARD__POLICY_RESTART); /* stable */
        ASSERT_EQ(d, 100 * MS);
        ward__policy_free(&p);
}

TEST(burst_window_slides)
{
        struct ward__restart_policy p;
        policy(&p, WARD_GUARDIAN_RESTART_ALWAYS);
        uint64_t d;
        ASSERT_EQ(ward__policy_next(&p, 0, 0, 1 * S, &d), WARD__POLICY_RESTART);
        ASSERT_EQ(ward__policy_next(&p, 0, 0, 2 * S, &d), WARD__POLICY_RESTART);
        ASSERT_EQ(ward__policy_next(&p, 0, 0, 3 * S, &d), WARD__POLICY_RESTART);
        ASSERT_EQ(ward__policy_next(&p, 0, 0, 4 * S, &d), WARD__POLICY_BURST); /* 4th in 10 s */
        /* 11.5 s: the restart at 1 s left the window */
        ASSERT_EQ(ward__policy_next(&p, 0, 0, 11 * S + 500 * MS, &d), WARD__POLICY_RESTART);
        ward__policy_free(&p);
}

TEST(no_and_on_failure_stop)
{
        struct ward__restart_policy p;
        uint64_t d;
        policy(&p, WARD_GUARDIAN_RESTART_NO);
        ASSERT_EQ(ward__policy_next(&p, 1, 0, 1 * S, &d), WARD__POLICY_DONE);
        ward__policy_free(&p);
        policy(&p, WARD_GUARDIAN_RESTART_ON_FAILURE);
        ASSERT_EQ(ward__policy_next(&p, 0, 0, 1 * S, &d), WARD__POLICY_DONE);
        ASSERT_EQ(ward__policy_next(&p, 1, 0, 1 * S, &d), WARD__POLICY_RESTART);
        ward__policy_free(&p);
        struct ward_guardian_options bad = {.size = sizeof(bad), .burst = 0};
        ASSERT_EQ(ward__policy_init(&p, &bad), -EINVAL);
}

TEST_MAIN()
