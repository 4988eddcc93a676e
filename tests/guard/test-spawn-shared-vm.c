/* The vfork-style spawn the guardian restarts its workers with
 * (ward__proc_spawn with shared_vm, src/inspect/proc/spawn-internal.h): a
 * failed exec is reported and leaves no process, kept fds reach the
 * program, our signal handlers do not, our memory is untouched, and it
 * holds from a process with a large heap and from threads spawning at once.
 * (A TSan build starts the child as a copy: the same checks hold.) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/spawn.h>

#include "inspect/proc/spawn-internal.h"

#include "test.h"

static struct ward_proc_status run_sh(const char *script, const int *keep, size_t n_keep)
{
        char *argv[] = {"sh", "-c", (char *)script, NULL};
        struct ward_proc_spawn_options o = {.size = sizeof(o),
                                            .path = "/bin/sh",
                                            .argv = argv,
                                            .keep_fds = keep,
                                            .n_keep_fds = n_keep};
        ward_proc *p = NULL;
        ASSERT_OK(ward__proc_spawn(&o, 1, &p));
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, &st));
        ward_proc_free(p);
        return st;
}

TEST(exec_failure_leaves_no_process)
{
        char *argv[] = {"no-such-program", NULL};
        struct ward_proc_spawn_options o = {
            .size = sizeof(o), .path = "/nonexistent/no-such-program", .argv = argv};
        ward_proc *p = (ward_proc *)&o;
        errno = 0;
        ASSERT_EQ(ward__proc_spawn(&o, 1, &p), -ENOENT);
        ASSERT_TRUE(p == NULL);
        ASSERT_EQ(waitpid(-1, NULL, WNOHANG), -1); /* no child left behind */
        ASSERT_EQ(errno, ECHILD);
}

TEST(exit_status_and_kept_fd)
{
        int pfd[2];
        ASSERT_SYS(pipe2(pfd, O_CLOEXEC));
        char script[64];
        snprintf(script, sizeof(script), "echo kept >&%d; exit 3", pfd[1]);
        struct ward_proc_status st = run_sh(script, &pfd[1], 1);
        ASSERT_EQ(st.how, WARD_PROC_EXITED);
        ASSERT_EQ(st.code, 3);
        close(pfd[1]);
        char buf[16] = "";
        ASSERT_EQ(read(pfd[0], buf, sizeof(buf) - 1), 5);
        ASSERT_STREQ(buf, "kept\n");
        close(pfd[0]);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
        (void)sig;
        got_usr1 = 1;
}

TEST(handlers_are_reset_and_memory_kept)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_usr1;
        ASSERT_SYS(sigaction(SIGUSR1, &sa, NULL));
        static char canary[64] = "the parent's memory";
        struct ward_proc_status st = run_sh("kill -USR1 $$; exit 0", NULL, 0);
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED); /* the default action, not our handler */
        ASSERT_EQ(st.code, SIGUSR1);
        ASSERT_EQ(got_usr1, 0);
        ASSERT_STREQ(canary, "the parent's memory");
        signal(SIGUSR1, SIG_DFL);
}

TEST(from_a_large_heap)
{
        size_t size = 64u << 20;
        char *heap = malloc(size);
        ASSERT_TRUE(heap != NULL);
        memset(heap, 0x5a, size);
        for (int i = 0; i < 5; i++) {
                struct ward_proc_status st = run_sh("exit 7", NULL, 0);
                ASSERT_EQ(st.how, WARD_PROC_EXITED);
                ASSERT_EQ(st.code, 7);
        }
        ASSERT_EQ(heap[size - 1], 0x5a);
        free(heap);
}

static void *spawner(void *arg)
{
        (void)arg;
        for (int i = 0; i < 10; i++) {
                struct ward_proc_status st = run_sh("exit 0", NULL, 0);
                ASSERT_EQ(st.how, WARD_PROC_EXITED);
                ASSERT_EQ(st.code, 0);
        }
        return NULL;
}

/* Four threads spawning at once. Under TSan (which copies the memory
 * instead of sharing it) this once hung in a child that entered TSan's
 * interceptors before exec; the child now makes only raw system calls. */
TEST(threads_at_once)
{
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
                ASSERT_EQ(pthread_create(&t[i], NULL, spawner, NULL), 0);
        }
        for (int i = 0; i < 4; i++) {
                ASSERT_EQ(pthread_join(t[i], NULL), 0);
        }
}

TEST_MAIN()
