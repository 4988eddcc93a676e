/* Poll sources and spin mode: the loop keeps calling busy poll sources instead
 * of blocking, yet still notices fd events, posts, defers and stop. */
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

struct poller {
        ward_loop *loop;
        int calls;
        int busy_for;  /* return BUSY for this many calls, then IDLE */
        int act_at;    /* on this call, do the action below */
        int write_fd;  /* ... write a byte here */
        int add_defer; /* ... add a defer */
        int stop;      /* ... call ward_loop_stop */
        int free_self; /* ... free the poll source itself */
};

static void on_defer(void *arg)
{
        (*(int *)arg)++;
}

static int defer_runs;

static int poll_fn(ward_source *s, void *arg)
{
        struct poller *p = arg;
        p->calls++;
        if (p->calls == p->act_at) {
                if (p->write_fd >= 0) {
                        ASSERT_EQ(write(p->write_fd, "x", 1), 1);
                }
                if (p->add_defer) {
                        ASSERT_OK(ward_loop_add_defer(p->loop, on_defer, &defer_runs, NULL));
                }
                if (p->stop) {
                        ward_loop_stop(p->loop);
                }
                if (p->free_self) {
                        ward_source_free(s);
                }
        }
        return p->calls <= p->busy_for ? WARD_POLL_BUSY : WARD_POLL_IDLE;
}

static void on_readable(ward_source *s, int fd, uint32_t events, void *arg)
{
        char b;
        (void)s;
        (void)events;
        ASSERT_EQ(read(fd, &b, 1), 1);
        (*(int *)arg)++;
}

struct rig {
        ward_loop *loop;
        int p[2];
        int io_calls;
};

static void rig_up(struct rig *r)
{
        ASSERT_OK(ward_loop_new(&r->loop));
        ASSERT_SYS(pipe2(r->p, O_CLOEXEC | O_NONBLOCK));
        r->io_calls = 0;
        ASSERT_OK(ward_loop_add_io(r->loop, r->p[0], EPOLLIN, on_readable, &r->io_calls, NULL));
}

static void rig_down(struct rig *r)
{
        ward_loop_free(r->loop);
        close(r->p[0]);
        close(r->p[1]);
}

TEST(poll_busy_then_idle)
{
        struct rig r;
        rig_up(&r);
        /* BUSY 100 times, then IDLE after arming the fd (the pipe) that wakes
         * the loop, as the contract asks. */
        struct poller p = {.loop = r.loop, .busy_for = 100, .act_at = 101, .write_fd = r.p[1]};
        ASSERT_OK(ward_loop_add_poll(r.loop, poll_fn, &p, NULL));
        ASSERT_EQ(ward_loop_run_once(r.loop, UINT64_MAX), 1);
        ASSERT_EQ(p.calls, 101);
        ASSERT_EQ(r.io_calls, 1);
        /* Idle now: called once per iteration, then the loop may block. */
        ASSERT_EQ(ward_loop_run_once(r.loop, 0), 0);
        ASSERT_EQ(p.calls, 102);
        rig_down(&r);
}

TEST(poll_spinning_still_sees_fds)
{
        struct rig r;
        rig_up(&r);
        /* Busy forever; the pipe is written while spinning and must be picked up
         * by the loop's periodic look at its epoll fd. */
        struct poller p = {.loop = r.loop, .busy_for = 1 << 30, .act_at = 10, .write_fd = r.p[1]};
        ASSERT_OK(ward_loop_add_poll(r.loop, poll_fn, &p, NULL));
        ASSERT_EQ(ward_loop_run_once(r.loop, UINT64_MAX), 1);
        ASSERT_EQ(r.io_calls, 1);
        ASSERT_TRUE(p.calls >= 10);
        rig_down(&r);
}

TEST(poll_spinning_returns_for_defer_and_stop)
{
        struct rig r;
        rig_up(&r);
        struct poller p = {
            .loop = r.loop, .busy_for = 1 << 30, .act_at = 5, .write_fd = -1, .add_defer = 1};
        ASSERT_OK(ward_loop_add_poll(r.loop, poll_fn, &p, NULL));
        defer_runs = 0;
        ASSERT_EQ(ward_loop_run_once(r.loop, UINT64_MAX), 1);
        ASSERT_EQ(defer_runs, 1);

        /* ward_loop_run returns when a poll fn calls stop while spinning. */
        p.act_at = p.calls + 5;
        p.add_defer = 0;
        p.stop = 1;
        ASSERT_EQ(ward_loop_run(r.loop), 0);
        ASSERT_TRUE(p.calls >= p.act_at);
        rig_down(&r);
}

TEST(poll_spinning_honours_timeout)
{
        struct rig r;
        rig_up(&r);
        struct poller p = {.loop = r.loop, .busy_for = 1 << 30, .write_fd = -1};
        ASSERT_OK(ward_loop_add_poll(r.loop, poll_fn, &p, NULL));
        /* Busy forever and nothing else happens: only the timeout ends it. */
        ASSERT_EQ(ward_loop_run_once(r.loop, 1000000), 0);
        ASSERT_TRUE(p.calls > 1);
        /* timeout 0: one round of poll calls, no spinning. */
        int before = p.calls;
        ASSERT_EQ(ward_loop_run_once(r.loop, 0), 0);
        ASSERT_EQ(p.calls, before + 1);
        rig_down(&r);
}

TEST(poll_free_self_while_spinning)
{
        struct rig r;
        rig_up(&r);
        /* Frees itself mid-spin and wakes the loop through the pipe; the loop
         * must stop calling it (ASan: no use after free) and block normally. */
        struct poller p = {
            .loop = r.loop, .busy_for = 1 << 30, .act_at = 500, .write_fd = r.p[1], .free_self = 1};
        ASSERT_OK(ward_loop_add_poll(r.loop, poll_fn, &p, NULL));
        while (r.io_calls == 0) {
                ASSERT_OK(ward_loop_run_once(r.loop, UINT64_MAX));
        }
        ASSERT_EQ(p.calls, 500);
        ASSERT_EQ(ward_loop_run_once(r.loop, 0), 0);
        ASSERT_EQ(p.calls, 500);
        ASSERT_ERRNO(ward_loop_add_poll(r.loop, NULL, NULL, NULL), EINVAL);
        rig_down(&r);
}

TEST_MAIN()
