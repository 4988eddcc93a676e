/* Signal sources: real signals, blocked first as the loop requires. */
#include <signal.h>
#include <unistd.h>

#include <ward/loop.h>

#include "test.h"

struct got {
        int calls;
        uint32_t signo;
        int32_t last_int;
};

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        struct got *g = arg;
        (void)s;
        g->calls++;
        g->signo = si->ssi_signo;
        g->last_int = si->ssi_int;
}

static void block(int signo)
{
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, signo);
        ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &mask, NULL), 0);
}

TEST(signal_delivery)
{
        block(SIGUSR1);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct got g = {0};
        ward_source *s;
        ASSERT_OK(ward_loop_add_signal(loop, SIGUSR1, on_signal, &g, &s));
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_SYS(raise(SIGUSR1));
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 1);
        ASSERT_EQ(g.calls, 1);
        ASSERT_EQ(g.signo, SIGUSR1);

        ASSERT_ERRNO(ward_loop_add_signal(loop, SIGUSR1, on_signal, &g, NULL), EEXIST);
        /* Once freed, the signal can be added again. */
        ward_source_free(s);
        ASSERT_OK(ward_loop_add_signal(loop, SIGUSR1, on_signal, &g, NULL));
        ward_loop_free(loop);
}

TEST(signal_reads_all_pending)
{
        /* Real-time signals queue, so three sends are three siginfos. */
        int signo = SIGRTMIN;
        block(signo);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct got g = {0};
        ASSERT_OK(ward_loop_add_signal(loop, signo, on_signal, &g, NULL));
        for (int i = 1; i <= 3; i++) {
                ASSERT_SYS(sigqueue(getpid(), signo, (union sigval){.sival_int = i}));
        }
        ASSERT_EQ(ward_loop_run_once(loop, UINT64_MAX), 3);
        ASSERT_EQ(g.calls, 3);
        ASSERT_EQ(g.signo, signo);
        ASSERT_EQ(g.last_int, 3);
        ward_loop_free(loop);
}

TEST(signal_errors)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        struct got g = {0};
        ASSERT_ERRNO(ward_loop_add_signal(loop, 0, on_signal, &g, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_signal(loop, SIGKILL, on_signal, &g, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_signal(loop, _NSIG, on_signal, &g, NULL), EINVAL);
        ASSERT_ERRNO(ward_loop_add_signal(loop, SIGUSR2, NULL, &g, NULL), EINVAL);
        ward_loop_free(loop);
}

TEST_MAIN()
