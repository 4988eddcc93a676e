/* Cross-thread entry points: posts, wake and stop from other threads. These are
 * the tests the TSan build exists for. */
#include <pthread.h>
#include <time.h>

#include <ward/loop.h>

#include "test.h"

#define THREADS 4
#define POSTS 1000

struct item {
        int thread;
        int seq;
        int runs;
};

struct post_test {
        ward_loop *loop;
        struct item items[THREADS][POSTS];
        int next_seq[THREADS]; /* owner thread only */
        int total;             /* owner thread only */
};

/* File scope: too big for the stack, and on_post needs it. */
static struct post_test t;

static void on_post(void *arg)
{
        struct item *it = arg;
        /* Runs on the owner thread: plain counters are enough. */
        it->runs++;
        ASSERT_EQ(it->seq, t.next_seq[it->thread]);
        t.next_seq[it->thread]++;
        t.total++;
}

static void *post_thread(void *arg)
{
        struct item *items = arg;
        for (int i = 0; i < POSTS; i++) {
                ASSERT_OK(ward_loop_post(t.loop, on_post, &items[i]));
        }
        return NULL;
}

TEST(post_from_threads_in_order)
{
        ASSERT_OK(ward_loop_new(&t.loop));
        for (int th = 0; th < THREADS; th++) {
                for (int i = 0; i < POSTS; i++) {
                        t.items[th][i] = (struct item){.thread = th, .seq = i};
                }
        }
        pthread_t tid[THREADS];
        for (int th = 0; th < THREADS; th++) {
                ASSERT_EQ(pthread_create(&tid[th], NULL, post_thread, t.items[th]), 0);
        }
        while (t.total < THREADS * POSTS) {
                ASSERT_OK(ward_loop_run_once(t.loop, UINT64_MAX));
        }
        for (int th = 0; th < THREADS; th++) {
                ASSERT_EQ(pthread_join(tid[th], NULL), 0);
        }
        /* Nothing left over: every post ran exactly once. */
        ASSERT_EQ(ward_loop_run_once(t.loop, 0), 0);
        for (int th = 0; th < THREADS; th++) {
                for (int i = 0; i < POSTS; i++) {
                        ASSERT_EQ(t.items[th][i].runs, 1);
                }
        }
        ward_loop_free(t.loop);
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
        nanosleep(&ts, NULL);
}

static void *wake_thread(void *arg)
{
        /* Give the loop a chance to block first; correctness does not depend on it. */
        sleep_ms(20);
        ASSERT_EQ(ward_loop_wake(arg), 0);
        return NULL;
}

TEST(wake_unblocks_run_once)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        pthread_t tid;
        ASSERT_EQ(pthread_create(&tid, NULL, wake_thread, loop), 0);
        /* Would block forever (ctest timeout) without the wake. */
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 0);
        ASSERT_EQ(pthread_join(tid, NULL), 0);
        ward_loop_free(loop);
}

static void *stop_thread(void *arg)
{
        sleep_ms(20);
        ward_loop_stop(arg);
        return NULL;
}

TEST(stop_from_another_thread)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        pthread_t tid;
        ASSERT_EQ(pthread_create(&tid, NULL, stop_thread, loop), 0);
        ASSERT_EQ(ward_loop_run(loop), 0);
        ASSERT_EQ(pthread_join(tid, NULL), 0);
        ward_loop_free(loop);
}

static void stop_from_post(void *arg)
{
        ward_loop_stop(arg);
}

TEST(stop_from_callback_and_rerun)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_loop_post(loop, stop_from_post, loop));
        ASSERT_EQ(ward_loop_run(loop), 0);
        /* The stop was consumed: the loop runs again until the next stop. */
        ASSERT_OK(ward_loop_post(loop, stop_from_post, loop));
        ASSERT_EQ(ward_loop_run(loop), 0);
        ward_loop_free(loop);
}

static void never_called(void *arg)
{
        (void)arg;
        TEST_FAIL("a post queued at free time ran");
}

TEST(post_dropped_at_free)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_loop_post(loop, never_called, NULL));
        ASSERT_OK(ward_loop_post(loop, never_called, NULL));
        ASSERT_ERRNO(ward_loop_post(loop, NULL, NULL), EINVAL);
        ward_loop_free(loop);
}

TEST_MAIN()
