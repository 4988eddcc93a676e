/* Embedding: a loop's epoll fd watched by a second loop (nested epoll). */
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

struct inner_state {
        ward_loop *inner;
        int io_calls;
        int post_runs;
        int defer_runs;
        int inner_dispatched;
};

static void on_inner_readable(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct inner_state *st = arg;
        char b;
        (void)s;
        (void)events;
        ASSERT_EQ(read(fd, &b, 1), 1);
        st->io_calls++;
}

/* The outer loop's io callback for the inner loop's fd: exactly what the header
 * tells embedders to do. */
static void on_inner_fd(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct inner_state *st = arg;
        (void)s;
        (void)fd;
        ASSERT_TRUE(events & EPOLLIN);
        int n = ward_loop_run_once(st->inner, 0);
        ASSERT_OK(n);
        st->inner_dispatched += n;
}

static void on_post(void *arg)
{
        ((struct inner_state *)arg)->post_runs++;
}

static void on_defer(void *arg)
{
        ((struct inner_state *)arg)->defer_runs++;
}

TEST(embed_nested_epoll)
{
        ward_loop *outer, *inner;
        ASSERT_OK(ward_loop_new(&outer));
        ASSERT_OK(ward_loop_new(&inner));
        struct inner_state st = {.inner = inner};
        int fd = ward_loop_get_fd(inner);
        ASSERT_OK(fd);
        ASSERT_OK(ward_loop_add_io(outer, fd, EPOLLIN, on_inner_fd, &st, NULL));

        int p[2];
        ASSERT_SYS(pipe2(p, O_CLOEXEC | O_NONBLOCK));
        ASSERT_OK(ward_loop_add_io(inner, p[0], EPOLLIN, on_inner_readable, &st, NULL));

        /* Nothing ready in the inner loop: the outer one has nothing either. */
        ASSERT_EQ(ward_loop_run_once(outer, 0), 0);

        ASSERT_EQ(write(p[1], "x", 1), 1);
        ASSERT_EQ(ward_loop_run_once(outer, UINT64_MAX), 1);
        ASSERT_EQ(st.io_calls, 1);
        ASSERT_EQ(st.inner_dispatched, 1);

        /* Posts and defers to the inner loop make its fd readable too. */
        ASSERT_OK(ward_loop_post(inner, on_post, &st));
        ASSERT_EQ(ward_loop_run_once(outer, UINT64_MAX), 1);
        ASSERT_EQ(st.post_runs, 1);
        ASSERT_OK(ward_loop_add_defer(inner, on_defer, &st, NULL));
        ASSERT_EQ(ward_loop_run_once(outer, UINT64_MAX), 1);
        ASSERT_EQ(st.defer_runs, 1);
        ASSERT_EQ(st.inner_dispatched, 3);

        /* Drained: the inner fd is quiet again. */
        ASSERT_EQ(ward_loop_run_once(outer, 0), 0);

        ward_loop_free(outer);
        ward_loop_free(inner);
        close(p[0]);
        close(p[1]);
}

TEST_MAIN()
