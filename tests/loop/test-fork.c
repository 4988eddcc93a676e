/* A loop used in a forked child: every entry refuses with -ECHILD (or does
 * nothing), and the parent's loop is untouched by whatever the child did. */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

static void on_readable(ward_source *s, int fd, uint32_t events, void *arg)
{
        char b;
        (void)s;
        (void)events;
        ASSERT_EQ(read(fd, &b, 1), 1);
        (*(int *)arg)++;
}

static void on_tick(ward_source *s, uint64_t n, void *arg)
{
        (void)s;
        (void)n;
        (void)arg;
}

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)s;
        (void)si;
        (void)arg;
}

static void on_child(ward_source *s, const siginfo_t *si, void *arg)
{
        (void)s;
        (void)si;
        (void)arg;
}

static void on_defer(void *arg)
{
        (void)arg;
}

static int on_poll(ward_source *s, void *arg)
{
        (void)s;
        (void)arg;
        return WARD_POLL_IDLE;
}

/* child_checks: runs in the child; returns the number of the first check that
 * failed, 0 when all passed. Uses no test.h asserts: they would exit(1) and run
 * the parent's atexit handlers in the child. */
static int child_checks(ward_loop *loop, ward_source *io, ward_source *timer, int fd)
{
        int step = 0;
#define CHECK(e)                                                                                   \
        do {                                                                                       \
                step++;                                                                            \
                if (!(e)) {                                                                        \
                        return step;                                                               \
                }                                                                                  \
        } while (0)
        CHECK(ward_loop_run_once(loop, 0) == -ECHILD);
        CHECK(ward_loop_run(loop) == -ECHILD);
        CHECK(ward_loop_get_fd(loop) == -ECHILD);
        CHECK(ward_loop_wake(loop) == -ECHILD);
        CHECK(ward_loop_post(loop, on_defer, NULL) == -ECHILD);
        CHECK(ward_loop_add_io(loop, fd, EPOLLOUT, on_readable, NULL, NULL) == -ECHILD);
        CHECK(ward_source_set_io_events(io, EPOLLOUT) == -ECHILD);
        CHECK(ward_loop_add_timer(loop, 1, 0, on_tick, NULL, NULL) == -ECHILD);
        CHECK(ward_source_set_timer(timer, 1, 0) == -ECHILD);
        CHECK(ward_loop_add_signal(loop, SIGUSR2, on_signal, NULL, NULL) == -ECHILD);
        CHECK(ward_loop_add_child(loop, getppid(), on_child, NULL, NULL) == -ECHILD);
        CHECK(ward_loop_add_defer(loop, on_defer, NULL, NULL) == -ECHILD);
        CHECK(ward_loop_add_poll(loop, on_poll, NULL, NULL) == -ECHILD);
        /* These do nothing: in particular they must not touch the epoll set the
         * child shares with the parent. */
        ward_loop_stop(loop);
        CHECK(ward_source_free(io) == NULL);
        CHECK(ward_loop_free(loop) == NULL);
#undef CHECK
        return 0;
}

TEST(fork_child_gets_echild)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        int p[2];
        ASSERT_SYS(pipe2(p, O_CLOEXEC | O_NONBLOCK));
        int calls = 0;
        ward_source *io, *timer;
        ASSERT_OK(ward_loop_add_io(loop, p[0], EPOLLIN, on_readable, &calls, &io));
        ASSERT_OK(ward_loop_add_timer(loop, 3600ull * 1000000000, 0, on_tick, NULL, &timer));

        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                _exit(child_checks(loop, io, timer, p[1]));
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);

        /* The child's free did not remove the parent's registrations, and its
         * stop did not stop us. */
        ASSERT_EQ(write(p[1], "x", 1), 1);
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(calls, 1);
        ward_loop_free(loop);
        close(p[0]);
        close(p[1]);
}

TEST_MAIN()
