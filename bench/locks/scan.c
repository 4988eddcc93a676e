/* scan100: see scan.h. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/target.h"
#include "scan.h"

#define THREADS 100 /* with the main thread */
#define BLOCKED 50
#define HELD 5 /* mutexes the main thread holds; the blocked threads wait on them */

const char *const scanner_names[S_COUNT] = {"ward-locks-scan", "ward-locks-stacks", "eu-stack",
                                            "eu-stack-s"};

extern char **environ;

static pthread_mutex_t held[HELD];

static void *blocked_main(void *arg)
{
        pthread_mutex_lock(&held[(uintptr_t)arg % HELD]);
        return NULL;
}

static void *sleeper_main(void *arg)
{
        (void)arg;
        for (;;) {
                pause();
        }
        return NULL;
}

void scan_target_main(void)
{
        pthread_t t;
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0); /* eu-stack attaches */
        for (int i = 0; i < HELD; i++) {
                pthread_mutex_init(&held[i], NULL);
                pthread_mutex_lock(&held[i]);
        }
        for (uintptr_t i = 0; i < THREADS - 1; i++) {
                if (pthread_create(&t, NULL, i < BLOCKED ? blocked_main : sleeper_main,
                                   (void *)i) != 0) {
                        _exit(1);
                }
        }
        struct timespec settle = {0, 300 * 1000 * 1000}; /* the waiters reach futex() */
        nanosleep(&settle, NULL);
        if (write(1, "ready\n", 6) != 6) {
                _exit(1);
        }
        for (;;) {
                pause();
        }
}

double scan_time(enum scanner s, const char *bindir, pid_t pid)
{
        char ward[4096], pidstr[16];
        snprintf(ward, sizeof(ward), "%s/ward", bindir);
        snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
        char *argv[S_COUNT][6] = {
            {ward, "locks", "--no-stacks", pidstr, NULL},
            {ward, "locks", pidstr, NULL},
            {"eu-stack", "-p", pidstr, NULL},
            {"eu-stack", "-s", "-p", pidstr, NULL},
        };
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t child;
        int status;
        double t0 = bench_now_ms();
        int r = posix_spawnp(&child, argv[s][0], &fa, NULL, argv[s], environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0 || waitpid(child, &status, 0) != child) {
                return -1;
        }
        double ms = bench_now_ms() - t0;
        /* ward locks: 0 (no deadlock here); eu-stack: 0 */
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}
