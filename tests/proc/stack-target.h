/* tests/proc/stack-target.h: the process the stack tests look at. A forked
 * child with three threads: the main thread answers pings on a pipe
 * (answer_loop), "blocker" sits in read(2) (blocked_in_read), "spinner"
 * counts in user space without a system call (spin_in_user). The counter and
 * the thread ids are in shared memory, so the test sees the child run. */
#ifndef WARD_TESTS_STACK_TARGET_H
#define WARD_TESTS_STACK_TARGET_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

struct target {
        pid_t pid;
        int ping, pong; /* write a byte to ping, read it back from pong */
        struct target_shared {
                _Atomic unsigned long spins;
                _Atomic int main_tid, blocker_tid, spinner_tid;
        } * shared;
};

static int target_block_fd;
static struct target_shared *target_shared;
/* the line of the read() call in blocked_in_read, five lines down */
enum { TARGET_READ_LINE = __LINE__ + 5 };
__attribute__((noinline, noipa)) static void blocked_in_read(void)
{
        char c;
        for (;;) {
                ssize_t n = read(target_block_fd, &c, 1);
                if (n == 0) {
                        _exit(0);
                }
        }
}

__attribute__((noinline, noipa)) static void spin_in_user(void)
{
        for (;;) {
                atomic_fetch_add_explicit(&target_shared->spins, 1, memory_order_relaxed);
        }
}

__attribute__((noinline, noipa)) static void answer_loop(int ping, int pong)
{
        char c;
        for (;;) {
                ssize_t n = read(ping, &c, 1);
                if (n == 0) {
                        _exit(0);
                }
                if (n == 1 && write(pong, &c, 1) != 1) {
                        _exit(1);
                }
        }
}

static void *blocker_main(void *arg)
{
        (void)arg;
        prctl(PR_SET_NAME, "blocker");
        atomic_store(&target_shared->blocker_tid, (int)syscall(SYS_gettid));
        blocked_in_read();
        return NULL;
}

static void *spinner_main(void *arg)
{
        (void)arg;
        prctl(PR_SET_NAME, "spinner");
        atomic_store(&target_shared->spinner_tid, (int)syscall(SYS_gettid));
        spin_in_user();
        return NULL;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* thread_syscall: the system call number thread tid of pid sits in, -1 if
 * none (running), -2 if unreadable */
static long thread_syscall(pid_t pid, int tid)
{
        char path[96], buf[256] = "";
        snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, tid);
        FILE *f = fopen(path, "re");
        if (!f) {
                return -2;
        }
        char *ok = fgets(buf, sizeof(buf), f);
        fclose(f);
        return ok && buf[0] != 'r' ? atol(buf) : -1;
}

/* thread_state: the /proc state letter of thread tid of pid */
__attribute__((unused)) static char thread_state(pid_t pid, int tid)
{
        char path[96], buf[512] = "";
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, tid);
        FILE *f = fopen(path, "re");
        if (!f) {
                return '?';
        }
        char *ok = fgets(buf, sizeof(buf), f);
        fclose(f);
        char *p = ok ? strrchr(buf, ')') : NULL;
        return p && p[1] ? p[2] : '?';
}

/* target_start: fork the target; returns once its blocker is in read(2)
 * and its spinner has counted */
static struct target target_start(void)
{
        struct target t;
        int block[2], ping[2], pong[2];
        t.shared = mmap(NULL, sizeof(*t.shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                        -1, 0);
        ASSERT_TRUE(t.shared != MAP_FAILED);
        memset(t.shared, 0, sizeof(*t.shared));
        ASSERT_SYS(pipe(block));
        ASSERT_SYS(pipe(ping));
        ASSERT_SYS(pipe(pong));
        t.pid = fork();
        ASSERT_SYS(t.pid);
        if (t.pid == 0) {
                pthread_t th;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0); /* eu-stack, ward stack */
                close(block[1]);
                close(ping[1]);
                close(pong[0]);
                target_block_fd = block[0];
                target_shared = t.shared;
                atomic_store(&t.shared->main_tid, (int)getpid());
                if (pthread_create(&th, NULL, blocker_main, NULL) != 0 ||
                    pthread_create(&th, NULL, spinner_main, NULL) != 0) {
                        _exit(1);
                }
                answer_loop(ping[0], pong[1]);
                _exit(0);
        }
        close(block[0]);
        close(ping[0]);
        close(pong[1]);
        t.ping = ping[1];
        t.pong = pong[0];
        for (int i = 0; i < 1000; i++) {
                int b = atomic_load(&t.shared->blocker_tid);
                if (b && atomic_load(&t.shared->spins) > 0 && thread_syscall(t.pid, b) == 0 &&
                    thread_syscall(t.pid, t.pid) == 0) {
                        return t;
                }
                sleep_ms(10);
        }
        TEST_FAIL("the target did not get ready");
}

/* target_answers: the main thread still answers a ping */
static int target_answers(const struct target *t)
{
        char c = 'p', r = 0;
        return write(t->ping, &c, 1) == 1 && read(t->pong, &r, 1) == 1 && r == 'p';
}

/* target_counts: the spinner still counts (waits up to ~10 s for it) */
__attribute__((unused)) static int target_counts(const struct target *t)
{
        unsigned long before = atomic_load(&t->shared->spins);
        for (int i = 0; i < 1000; i++) {
                if (atomic_load(&t->shared->spins) != before) {
                        return 1;
                }
                sleep_ms(10);
        }
        return 0;
}

static void target_stop(struct target *t)
{
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
        close(t->ping);
        close(t->pong);
        munmap(t->shared, sizeof(*t->shared));
}

#endif
