/* `ward stack` of a process with many threads: on a terminal (stderr a pty)
 * it says "thread K of N" on one line it overwrites, and clears it at the
 * end; piped, it says nothing of the kind. The process is a child of this
 * test with THREADS threads waiting in pause(2). */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-run.h"
#include "test.h"

#define THREADS 12 /* and the main thread: 13 */

static void *wait_forever(void *arg)
{
        (void)arg;
        for (;;) {
                pause();
        }
        return NULL;
}

/* start_target: a child of THREADS + 1 threads; returns once they all run */
static pid_t start_target(void)
{
        int ready[2];
        ASSERT_EQ(pipe(ready), 0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                close(ready[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with a test that failed */
                for (int i = 0; i < THREADS; i++) {
                        pthread_t t;
                        if (pthread_create(&t, NULL, wait_forever, NULL) != 0) {
                                _exit(1);
                        }
                }
                if (write(ready[1], "r", 1) != 1) {
                        _exit(1);
                }
                wait_forever(NULL);
        }
        close(ready[1]);
        char c;
        ASSERT_EQ(read(ready[0], &c, 1), 1);
        close(ready[0]);
        return pid;
}

/* stack_on_pty: `ward stack PID` with stderr a terminal; what the terminal
 * got, into out; the exit status */
static int stack_on_pty(pid_t target, char *out, size_t size)
{
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) {
                SKIP("no pseudo-terminal here (posix_openpt: %s)", strerror(errno));
        }
        ASSERT_EQ(grantpt(master), 0);
        ASSERT_EQ(unlockpt(master), 0);
        char pid_text[16], slave_name[128];
        ASSERT_EQ(ptsname_r(master, slave_name, sizeof(slave_name)), 0);
        snprintf(pid_text, sizeof(pid_text), "%d", (int)target);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int slave = open(slave_name, O_RDWR | O_NOCTTY);
                int null = open("/dev/null", O_WRONLY);
                if (slave < 0 || null < 0 || dup2(slave, 2) < 0 || dup2(null, 1) < 0) {
                        _exit(99);
                }
                char *argv[] = {"ward", "stack", pid_text, NULL};
                execv(WARD_BIN_DIR "/ward", argv);
                _exit(127);
        }
        size_t n = 0;
        ssize_t r;
        /* until the last writer (ward) is gone: EIO on Linux */
        while (n + 1 < size && (r = read(master, out + n, size - 1 - n)) > 0) {
                n += (size_t)r;
        }
        out[n] = '\0';
        close(master);
        int st;
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(progress_on_a_terminal)
{
        static char out[1 << 16];
        char want[64];
        pid_t target = start_target();
        ASSERT_EQ(stack_on_pty(target, out, sizeof(out)), 0);
        /* N: the threads in /proc (a sanitizer's runtime may add its own) */
        const char *first = strstr(out, "\rward stack: thread 1 of ");
        ASSERT_TRUE(first != NULL);
        int n = atoi(first + strlen("\rward stack: thread 1 of "));
        ASSERT_TRUE(n >= THREADS + 1);
        snprintf(want, sizeof(want), "\rward stack: thread %d of %d", n, n);
        ASSERT_TRUE(strstr(out, want) != NULL);
        ASSERT_TRUE(strchr(out, '\n') == NULL);       /* one line, overwritten */
        ASSERT_TRUE(strstr(out, "\r\033[K") != NULL); /* and cleared at the end */
        kill(target, SIGKILL);
        waitpid(target, NULL, 0);
}

TEST(quiet_when_piped)
{
        static char out[1 << 17];
        char pid_text[16];
        pid_t target = start_target();
        snprintf(pid_text, sizeof(pid_text), "%d", (int)target);
        const char *args[] = {"stack", pid_text, NULL};
        ASSERT_EQ(test_run_ward(args, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "wait_forever") != NULL);
        ASSERT_TRUE(strstr(out, "ward stack: thread") == NULL);
        ASSERT_TRUE(strchr(out, '\r') == NULL);
        kill(target, SIGKILL);
        waitpid(target, NULL, 0);
}

TEST_MAIN()
