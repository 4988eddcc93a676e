/* The `ward ps` rows of `ward bench proc`: N sleeping processes are started,
 * then `ward ps`, procps' `ps -e -o pid,ppid,rss,time,comm` and a python3
 * psutil loop reading the same fields are timed over them, interleaved in
 * each run. Commands are timed whole (start-up included, as a user waits for
 * them); the psutil loop is timed inside python, without its start-up. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ps.h"

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ps_bench_start_sleepers(pid_t *pids, int n)
{
        pid_t parent = getpid();
        for (int i = 0; i < n; i++) {
                pids[i] = fork();
                if (pids[i] < 0) {
                        ps_bench_stop_sleepers(pids, i);
                        return -errno;
                }
                if (pids[i] == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != parent) {
                                _exit(0);
                        }
                        for (;;) {
                                pause();
                        }
                }
        }
        return 0;
}

void ps_bench_stop_sleepers(pid_t *pids, int n)
{
        for (int i = 0; i < n; i++) {
                kill(pids[i], SIGKILL);
        }
        for (int i = 0; i < n; i++) {
                waitpid(pids[i], NULL, 0);
        }
}

/* run_ms: argv run to completion with stdout on /dev/null; its wall time in
 * ms, or the time python printed when capture is set; -1 on failure. */
static double run_ms(char *const argv[], int capture)
{
        int out[2];
        if (pipe(out) < 0) {
                return -1;
        }
        uint64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(capture ? out[1] : null, 1);
                dup2(null, 2);
                execv(argv[0], argv);
                _exit(127);
        }
        close(out[1]);
        char buf[64] = "";
        ssize_t n = read(out[0], buf, sizeof(buf) - 1);
        close(out[0]);
        int st;
        waitpid(pid, &st, 0);
        uint64_t t1 = now_ns();
        if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                return -1;
        }
        buf[n > 0 ? n : 0] = '\0';
        return capture ? atof(buf) : (double)(t1 - t0) / 1e6;
}

static const char psutil_loop[] =
    "import time,psutil\n"
    "t=time.monotonic()\n"
    "for p in psutil.process_iter(['pid','ppid','memory_info','cpu_times','name']):\n"
    "    p.info\n"
    "print((time.monotonic()-t)*1000)\n";

int ps_bench_run(const char *ward, double ms[PS_ROWS])
{
        char *wardv[] = {(char *)ward, "ps", NULL};
        char *psv[] = {"/usr/bin/ps", "-e", "-o", "pid,ppid,rss,time,comm", NULL};
        char *pyv[] = {"/usr/bin/python3", "-c", (char *)psutil_loop, NULL};
        ms[PS_WARD] = run_ms(wardv, 0);
        ms[PS_PROCPS] = access(psv[0], X_OK) == 0 ? run_ms(psv, 0) : -1;
        ms[PS_PSUTIL] = run_ms(pyv, 1);
        return ms[PS_WARD] < 0 ? -1 : 0;
}
