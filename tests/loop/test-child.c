/* Child sources: real fork()ed children, reaped through a pidfd. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

struct exit_seen {
        int calls;
        pid_t pid;
        int code;
        int status;
};

static void on_exit_seen(ward_source *s, const siginfo_t *si, void *arg)
{
        struct exit_seen *e = arg;
        (void)s;
        e->calls++;
        e->pid = si->si_pid;
        e->code = si->si_code;
        e->status = si->si_status;
}

static pid_t spawn_exit(int code)
{
        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                _exit(code);
        }
        return pid;
}

TEST(child_exit_status)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        pid_t pid = spawn_exit(7);
        struct exit_seen e = {0};
        ward_source *s;
        ASSERT_OK(ward_loop_add_child(loop, pid, on_exit_seen, &e, &s));
        while (e.calls == 0) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        ASSERT_EQ(e.calls, 1);
        ASSERT_EQ(e.pid, pid);
        ASSERT_EQ(e.code, CLD_EXITED);
        ASSERT_EQ(e.status, 7);
        /* Reaped by the loop: nothing left to wait for. */
        ASSERT_EQ(waitpid(pid, NULL, WNOHANG), -1);
        ASSERT_EQ(errno, ECHILD);
        /* Attached but silent from now on. */
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_EQ(e.calls, 1);
        ward_source_free(s);
        ward_loop_free(loop);
}

TEST(child_killed)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                for (;;) {
                        pause();
                }
        }
        struct exit_seen e = {0};
        ASSERT_OK(ward_loop_add_child(loop, pid, on_exit_seen, &e, NULL));
        ASSERT_SYS(kill(pid, SIGKILL));
        while (e.calls == 0) {
                ASSERT_OK(ward_loop_run_once(loop, UINT64_MAX));
        }
        ASSERT_EQ(e.code, CLD_KILLED);
        ASSERT_EQ(e.status, SIGKILL);
        ward_loop_free(loop);
}

TEST(child_errors)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct exit_seen e = {0};
        ASSERT_ERRNO(ward_loop_add_child(loop, 0, on_exit_seen, &e, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_child(loop, getpid(), NULL, &e, NULL), EINVAL);
        /* Our parent exists but is not our child. */
        ASSERT_ERRNO(ward_loop_add_child(loop, getppid(), on_exit_seen, &e, NULL), EINVAL);
        /* A reaped child's pid no longer names a process. */
        pid_t pid = spawn_exit(0);
        ASSERT_EQ(waitpid(pid, NULL, 0), pid);
        ASSERT_ERRNO(ward_loop_add_child(loop, pid, on_exit_seen, &e, NULL), ESRCH);
        ward_loop_free(loop);
}

TEST_MAIN()
