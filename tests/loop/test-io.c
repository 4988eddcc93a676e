/* io sources on real pipes: readiness, changing the mask, and freeing sources
 * from inside callbacks (the source's own, and another one in the same batch). */
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

struct pipe_cb {
        int calls;
        int fd;
        uint32_t events;
        char byte;
};

static void make_pipe(int p[2])
{
        ASSERT_SYS(pipe2(p, O_CLOEXEC | O_NONBLOCK));
}

static void on_readable(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct pipe_cb *c = arg;
        (void)s;
        c->calls++;
        c->fd = fd;
        c->events = events;
        ASSERT_EQ(read(fd, &c->byte, 1), 1);
}

TEST(io_readiness)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int p[2];
        make_pipe(p);
        struct pipe_cb c = {0};
        ward_source *s;
        ASSERT_OK(ward_loop_add_io(loop, p[0], EPOLLIN, on_readable, &c, &s));
        ASSERT_TRUE(ward_source_get_loop(s) == loop);

        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_EQ(c.calls, 0);

        ASSERT_EQ(write(p[1], "x", 1), 1);
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(c.calls, 1);
        ASSERT_EQ(c.fd, p[0]);
        ASSERT_TRUE(c.events & EPOLLIN);
        ASSERT_EQ(c.byte, 'x');

        /* Read back to empty: nothing more fires. */
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_EQ(c.calls, 1);

        ward_source_free(s);
        ward_loop_free(loop);
        close(p[0]);
        close(p[1]);
}

static void on_writable(ward_source *s, int fd, uint32_t events, void *arg)
{
        int *calls = arg;
        (void)s;
        (void)fd;
        ASSERT_TRUE(events & EPOLLOUT);
        (*calls)++;
}

TEST(io_set_events_and_errors)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int p[2];
        make_pipe(p);
        int calls = 0;
        ward_source *s;
        /* An empty pipe's write end is writable at once; with no events, nothing. */
        ASSERT_OK(ward_loop_add_io(loop, p[1], 0, on_writable, &calls, &s));
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_OK(ward_source_set_io_events(s, EPOLLOUT));
        ASSERT_EQ(ward_loop_run_once(loop, 0), 1);
        ASSERT_EQ(calls, 1);

        ASSERT_ERRNO(ward_loop_add_io(loop, p[1], EPOLLOUT, on_writable, &calls, NULL), EEXIST);
        ASSERT_ERRNO(ward_loop_add_io(loop, -1, EPOLLIN, on_writable, &calls, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_io(loop, p[0], EPOLLIN, NULL, NULL, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_io(NULL, p[0], EPOLLIN, on_writable, NULL, NULL), EINVAL);

        /* After a free the same fd can be watched again. */
        ward_source_free(s);
        ASSERT_OK(ward_loop_add_io(loop, p[1], EPOLLOUT, on_writable, &calls, NULL));
        ASSERT_EQ(ward_loop_run_once(loop, 0), 1);
        ASSERT_EQ(calls, 2);

        ward_loop_free(loop);
        close(p[0]);
        close(p[1]);
}

static void free_self(ward_source *s, int fd, uint32_t events, void *arg)
{
        int *calls = arg;
        char b;
        (void)events;
        (*calls)++;
        ASSERT_EQ(read(fd, &b, 1), 1);
        ASSERT_TRUE(ward_source_free(s) == NULL);
        /* Twice is harmless: the source is already dead. */
        ward_source_free(s);
        /* The caller may close the fd at once: the loop no longer watches it. */
        close(fd);
}

TEST(io_free_self_in_callback)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int p[2];
        make_pipe(p);
        int calls = 0;
        ASSERT_OK(ward_loop_add_io(loop, p[0], EPOLLIN, free_self, &calls, NULL));
        ASSERT_EQ(write(p[1], "ab", 2), 2);
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(calls, 1);
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_EQ(calls, 1);
        ward_loop_free(loop);
        close(p[1]);
}

struct pair {
        ward_source *src[2];
        int calls[2];
};

static void free_other(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct pair *pr = arg;
        (void)fd;
        (void)events;
        int me = s == pr->src[1];
        pr->calls[me]++;
        ward_source_free(pr->src[!me]);
        pr->src[!me] = NULL;
}

TEST(io_free_other_pending_in_batch)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int a[2], b[2];
        make_pipe(a);
        make_pipe(b);
        struct pair pr = {0};
        ASSERT_OK(ward_loop_add_io(loop, a[0], EPOLLIN, free_other, &pr, &pr.src[0]));
        ASSERT_OK(ward_loop_add_io(loop, b[0], EPOLLIN, free_other, &pr, &pr.src[1]));
        ASSERT_EQ(write(a[1], "x", 1), 1);
        ASSERT_EQ(write(b[1], "x", 1), 1);
        /* Both pipes are ready before the wait, so one epoll_wait returns both. */
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        /* Whichever ran first freed the other, whose event was in the same batch:
         * it must not have run (under ASan it would also be a use after free). */
        ASSERT_EQ(pr.calls[0] + pr.calls[1], 1);
        int survivor = pr.calls[1];
        ASSERT_TRUE(pr.src[survivor] != NULL && pr.src[!survivor] == NULL);
        /* The survivor's pipe is still full; the freed one's never fires again. */
        ASSERT_EQ(ward_loop_run_once(loop, 0), 1);
        ASSERT_EQ(pr.calls[survivor], 2);
        ASSERT_EQ(pr.calls[!survivor], 0);
        ward_loop_free(loop);
        close(a[0]);
        close(a[1]);
        close(b[0]);
        close(b[1]);
}

TEST(loop_free_with_sources_attached)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int p[2];
        make_pipe(p);
        int calls = 0;
        ASSERT_OK(ward_loop_add_io(loop, p[0], EPOLLIN, free_self, &calls, NULL));
        ASSERT_OK(ward_loop_add_io(loop, p[1], EPOLLOUT, on_writable, &calls, NULL));
        /* Freed without ever running; LeakSanitizer checks nothing is left. */
        ASSERT_TRUE(ward_loop_free(loop) == NULL);
        ASSERT_EQ(calls, 0);
        /* The loop does not own io fds: they are still open. */
        ASSERT_EQ(write(p[1], "x", 1), 1);
        close(p[0]);
        close(p[1]);
}

TEST_MAIN()
