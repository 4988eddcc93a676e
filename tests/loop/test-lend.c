/* Lending a sleeping loop to another thread (ward_loop_try_acquire): the
 * borrower acts for the owner, the owner dispatches nothing meanwhile, work
 * keeps its order, and what the borrower leaves behind wakes the owner. The
 * main thread owns and runs each loop; a second thread borrows it. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

static void sleep_ms(int ms)
{
        nanosleep(&(struct timespec){.tv_nsec = ms * 1000000L}, NULL);
}

/* acquire: take loop as soon as its owner sleeps (fails the test after 10 s). */
static void acquire(ward_loop *loop)
{
        for (int i = 0; i < 100000; i++) {
                if (ward_loop_try_acquire(loop) == 0) {
                        return;
                }
                nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
        }
        TEST_FAIL("the loop was never lent while its owner slept");
}

/* run_with: a new loop, set up by setup (when not NULL), run on this thread
 * while fn borrows it from another, then freed. */
static void run_with(void (*setup)(ward_loop *), void *(*fn)(void *))
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        if (setup) {
                setup(loop);
        }
        pthread_t tid;
        ASSERT_EQ(pthread_create(&tid, NULL, fn, loop), 0);
        ASSERT_OK(ward_loop_run(loop));
        ASSERT_EQ(pthread_join(tid, NULL), 0);
        ward_loop_free(loop);
}

TEST(a_loop_nobody_runs_is_not_lent)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        /* Its owner may be setting it up: lending it now would race with that. */
        ASSERT_EQ(ward_loop_try_acquire(loop), -EBUSY);
        ASSERT_EQ(ward_loop_try_acquire(NULL), -EINVAL);
        ward_loop_release(loop); /* not held: nothing happens */
        ward_loop_free(loop);
}

struct stepper {
        ward_loop *loop;
        atomic_int done;
        int lent; /* times the borrower got the loop */
};

static void *try_while_stepped(void *arg)
{
        struct stepper *st = arg;
        while (!atomic_load(&st->done)) {
                if (ward_loop_try_acquire(st->loop) == 0) {
                        st->lent++;
                        ward_loop_release(st->loop);
                }
                nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
        }
        return NULL;
}

static void on_step(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s;
        *(int *)arg += (int)expirations;
}

TEST(a_loop_stepped_with_run_once_is_not_lent)
{
        /* Its caller may wait for a condition a borrower would change without
         * waking it: only ward_loop_run lends. */
        struct stepper st = {0};
        ASSERT_OK(ward_loop_new(&st.loop));
        int steps = 0;
        ASSERT_OK(ward_loop_add_timer(st.loop, 2000000, 2000000, on_step, &steps, NULL));
        pthread_t tid;
        ASSERT_EQ(pthread_create(&tid, NULL, try_while_stepped, &st), 0);
        while (steps < 20) { /* about 40 ms asleep in epoll_wait */
                ASSERT_TRUE(ward_loop_run_once(st.loop, UINT64_MAX) >= 0);
        }
        atomic_store(&st.done, 1);
        ASSERT_EQ(pthread_join(tid, NULL), 0);
        ASSERT_EQ(st.lent, 0);
        ward_loop_free(st.loop);
}

static int ticks; /* under the loop: the owner's callbacks or the borrower */

static void on_tick(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s, (void)expirations, (void)arg;
        ticks++;
}

static void *hold_while_timer_fires(void *arg)
{
        ward_loop *loop = arg;
        acquire(loop);
        ASSERT_EQ(ward_loop_try_acquire(loop), -EBUSY); /* held already */
        ASSERT_EQ(ward_loop_run_once(loop, 0), -EBUSY); /* only the owner runs it */
        int before = ticks;
        sleep_ms(30); /* the 1 ms timer fires; its callback must wait for us */
        ASSERT_EQ(ticks, before);
        ward_loop_release(loop);
        for (int i = 0; i < 10000; i++) {
                acquire(loop);
                int now = ticks;
                ward_loop_release(loop);
                if (now > before) {
                        ward_loop_stop(loop);
                        return NULL;
                }
                sleep_ms(1);
        }
        TEST_FAIL("the owner never ran the timer after the loop came back");
        return NULL;
}

static void add_a_1ms_timer(ward_loop *loop)
{
        ASSERT_OK(ward_loop_add_timer(loop, 1000000, 1000000, on_tick, NULL, NULL));
}

TEST(the_owner_dispatches_nothing_while_the_loop_is_lent)
{
        run_with(add_a_1ms_timer, hold_while_timer_fires);
}

static atomic_int polled;

static int on_poll(ward_source *s, void *arg)
{
        atomic_store(&polled, 1);
        ward_loop_stop(arg);
        ward_source_free(s);
        return WARD_POLL_IDLE;
}

static void *add_a_poll_source(void *arg)
{
        ward_loop *loop = arg;
        acquire(loop);
        ASSERT_OK(ward_loop_add_poll(loop, on_poll, loop, NULL));
        ward_loop_release(loop); /* must wake the owner: it sleeps with no timeout */
        return NULL;
}

TEST(a_poll_source_the_borrower_adds_is_called)
{
        /* No sources: unless something wakes it, the owner sleeps forever. */
        run_with(NULL, add_a_poll_source);
        ASSERT_EQ(atomic_load(&polled), 1);
}

static int defer_ran; /* under the loop */

static void on_defer(void *arg)
{
        (void)arg;
        defer_ran = 1;
}

static void *defer_then_borrow_again(void *arg)
{
        ward_loop *loop = arg;
        for (int i = 0; i < 200; i++) {
                acquire(loop);
                defer_ran = 0;
                ASSERT_OK(ward_loop_add_defer(loop, on_defer, NULL, NULL));
                ward_loop_release(loop);
                /* The defer is due before anything handed over after it. */
                if (ward_loop_try_acquire(loop) == 0) {
                        ASSERT_EQ(defer_ran, 1);
                        ward_loop_release(loop);
                }
        }
        ward_loop_stop(loop);
        return NULL;
}

TEST(a_defer_the_borrower_adds_runs_before_the_next_borrower)
{
        run_with(NULL, defer_then_borrow_again);
}

#define ORDERED 20000

static int next_seq; /* under the loop */

static void in_order(void *arg)
{
        ASSERT_EQ((int)(intptr_t)arg, next_seq);
        next_seq++;
}

/* post_or_run: posts the even items; tries to run each odd one itself right
 * after, while the owner may still be asleep with the post queued. */
static void *post_or_run(void *arg)
{
        ward_loop *loop = arg;
        for (int i = 0; i < ORDERED; i++) {
                if (i % 500 == 0) {
                        sleep_ms(1); /* let the owner fall asleep now and then */
                }
                if (i % 2 == 1 && ward_loop_try_acquire(loop) == 0) {
                        in_order((void *)(intptr_t)i);
                        ward_loop_release(loop);
                } else {
                        ASSERT_OK(ward_loop_post(loop, in_order, (void *)(intptr_t)i));
                }
        }
        acquire(loop); /* every post ran before the loop could be lent */
        ASSERT_EQ(next_seq, ORDERED);
        ward_loop_release(loop);
        ward_loop_stop(loop);
        return NULL;
}

TEST(posts_and_borrowed_runs_keep_their_order)
{
        run_with(NULL, post_or_run);
        ASSERT_EQ(next_seq, ORDERED);
}

static int pipe_fds[2];
static int io_calls; /* under the loop */
static ward_source *io;

static void on_readable(ward_source *s, int fd, uint32_t events, void *arg)
{
        (void)s, (void)fd, (void)events, (void)arg;
        io_calls++;
}

static void *free_a_source_the_owner_woke_for(void *arg)
{
        ward_loop *loop = arg;
        acquire(loop);
        ASSERT_SYS(write(pipe_fds[1], "x", 1));
        sleep_ms(20); /* the owner wakes with io in its batch and waits for us */
        io = ward_source_free(io);
        ASSERT_SYS(close(pipe_fds[0]));
        ASSERT_SYS(close(pipe_fds[1]));
        ward_loop_release(loop);
        acquire(loop); /* the owner went through its batch and slept again */
        ASSERT_EQ(io_calls, 0);
        ward_loop_release(loop);
        ward_loop_stop(loop);
        return NULL;
}

static void watch_a_pipe(ward_loop *loop)
{
        ASSERT_SYS(pipe(pipe_fds));
        ASSERT_OK(ward_loop_add_io(loop, pipe_fds[0], EPOLLIN, on_readable, NULL, &io));
}

TEST(a_source_freed_by_the_borrower_is_not_called)
{
        /* Under ASan this also checks the owner's batch does not touch freed memory. */
        run_with(watch_a_pipe, free_a_source_the_owner_woke_for);
        ASSERT_EQ(io_calls, 0);
}

TEST_MAIN()
