/* Lifecycle rules: recursion, freeing from callbacks, NULL safety, and freeing
 * a loop with every kind of source still attached. */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

struct reentry {
        ward_loop *loop;
        int runs;
};

static void try_recursion(void *arg)
{
        struct reentry *r = arg;
        r->runs++;
        ASSERT_ERRNO(ward_loop_run_once(r->loop, 0), EBUSY);
        ASSERT_ERRNO(ward_loop_run(r->loop), EBUSY);
        /* Freeing the loop from its own callback is refused: the loop comes back. */
        ASSERT_TRUE(ward_loop_free(r->loop) == r->loop);
}

TEST(run_once_recursion_is_ebusy)
{
        struct reentry r = {0};
        ASSERT_OK(ward_loop_new(&r.loop));
        ASSERT_OK(ward_loop_add_defer(r.loop, try_recursion, &r, NULL));
        ASSERT_EQ(ward_loop_run_once(r.loop, 0), 1);
        ASSERT_OK(ward_loop_post(r.loop, try_recursion, &r));
        ASSERT_EQ(ward_loop_run_once(r.loop, UINT64_MAX), 1);
        ASSERT_EQ(r.runs, 2);
        /* Not running any more: usable again. */
        ASSERT_EQ(ward_loop_run_once(r.loop, 0), 0);
        ward_loop_free(r.loop);
}

TEST(null_safety)
{
        ASSERT_TRUE(ward_loop_free(NULL) == NULL);
        ASSERT_TRUE(ward_source_free(NULL) == NULL);
        ASSERT_TRUE(ward_source_get_loop(NULL) == NULL);
        ASSERT_ERRNO(ward_loop_new(NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_run_once(NULL, 0), EINVAL);
        ASSERT_ERRNO(ward_loop_run(NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_get_fd(NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_wake(NULL), EINVAL);
        ward_loop_stop(NULL);
}

TEST(get_fd_is_cloexec_epoll)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int fd = ward_loop_get_fd(loop);
        ASSERT_OK(fd);
        int flags = fcntl(fd, F_GETFD);
        ASSERT_SYS(flags);
        ASSERT_TRUE(flags & FD_CLOEXEC);
        ward_loop_free(loop);
}

static void on_io(ward_source *s, int fd, uint32_t events, void *arg)
{
        (void)s;
        (void)fd;
        (void)events;
        (void)arg;
        TEST_FAIL("callback of a freed loop ran");
}

static void on_tick(ward_source *s, uint64_t n, void *arg)
{
        on_io(s, 0, 0, arg);
        (void)n;
}

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        on_io(s, 0, 0, arg);
        (void)si;
}

static void on_child(ward_source *s, const siginfo_t *si, void *arg)
{
        on_io(s, 0, 0, arg);
        (void)si;
}

static void on_defer(void *arg)
{
        on_io(NULL, 0, 0, arg);
}

static int on_poll(ward_source *s, void *arg)
{
        on_io(s, 0, 0, arg);
        return WARD_POLL_IDLE;
}

TEST(free_with_every_source_attached)
{
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &mask, NULL), 0);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int p[2];
        ASSERT_SYS(pipe2(p, O_CLOEXEC | O_NONBLOCK));
        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                _exit(0);
        }
        ASSERT_OK(ward_loop_add_io(loop, p[0], EPOLLIN, on_io, NULL, NULL));
        ASSERT_OK(ward_loop_add_timer(loop, 1, 1000, on_tick, NULL, NULL));
        ASSERT_OK(ward_loop_add_signal(loop, SIGUSR1, on_signal, NULL, NULL));
        ASSERT_OK(ward_loop_add_child(loop, pid, on_child, NULL, NULL));
        ASSERT_OK(ward_loop_add_defer(loop, on_defer, NULL, NULL));
        ASSERT_OK(ward_loop_add_poll(loop, on_poll, NULL, NULL));
        ASSERT_OK(ward_loop_post(loop, on_defer, NULL));
        /* No callback runs, and LeakSanitizer sees nothing left behind. */
        ASSERT_TRUE(ward_loop_free(loop) == NULL);
        /* The child was not reaped by the loop: still ours to wait for. */
        ASSERT_EQ(waitpid(pid, NULL, 0), pid);
        close(p[0]);
        close(p[1]);
}

TEST_MAIN()
