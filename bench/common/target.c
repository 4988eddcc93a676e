/* Starting a benchmark's target process, and the wall clock it is timed by. */
#include "target.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pid_t bench_target_start(const char *self_exe)
{
        int p[2];
        char buf[8];
        if (pipe(p) < 0) {
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                execl(self_exe, self_exe, "--target", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        ssize_t n = pid > 0 ? read(p[0], buf, 6) : -1;
        close(p[0]);
        if (n != 6) {
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                }
                return -1;
        }
        return pid;
}

double bench_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
