/* The process tests/guard/test-core.c captures: four threads, each in a
 * named function (the names the test looks for in gdb's and eu-stack's
 * backtraces of the core), a 64 MiB heap (the core must not hold it), a few
 * trace events and a held ward_mutex (the report must show them).
 *   core-target hang    the crasher thread spins in spin_here
 *   core-target crash   it crashes (SIGSEGV) in crash_here once a byte
 *                       arrives on stdin
 *   core-target churn   hang, and a thread that starts short-lived threads
 *                       without end (threads appear and exit during a capture)
 *   core-target exit-main hang, and the main thread leaves with pthread_exit
 *                       (a zombie thread group leader)
 *   core-target handler the same, with a SIGSEGV handler that writes its
 *                       ucontext_t and siginfo_t to stdout and waits in
 *                       pause() (what a guarded process hands its guardian)
 * It prints the crasher's tid once every thread is in place. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

#include <ward/lock.h>
#include <ward/trace.h>

static ward_mutex state_lock = WARD_MUTEX_INIT("guard-state");
static atomic_int in_place;
static atomic_int crasher_tid;
static int never[2]; /* a pipe nobody writes */
static int crash_mode;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
        (void)sig;
        (void)!write(1, uc, sizeof(ucontext_t));
        (void)!write(1, si, sizeof(*si));
        for (;;) {
                pause();
        }
}

__attribute__((noinline)) static void blocked_in_read(void)
{
        char c;
        atomic_fetch_add(&in_place, 1);
        (void)!read(never[0], &c, 1);
}

static void *blocker(void *arg)
{
        (void)arg;
        prctl(PR_SET_NAME, "blocker");
        blocked_in_read();
        return NULL;
}

__attribute__((noinline)) static void holding_lock(void)
{
        char c;
        ward_mutex_lock(&state_lock);
        WARD_TRACE(WARD_TRACE_INFO, "guard event: holding %s", "guard-state");
        atomic_fetch_add(&in_place, 1);
        (void)!read(never[0], &c, 1);
        ward_mutex_unlock(&state_lock);
}

static void *locker(void *arg)
{
        (void)arg;
        prctl(PR_SET_NAME, "locker");
        holding_lock();
        return NULL;
}

__attribute__((noinline)) static void crash_here(volatile int *where)
{
        *where = 42; /* SIGSEGV: where is 0x10 (not NULL: UBSan would stop first) */
}

__attribute__((noinline)) static void spin_here(void)
{
        volatile unsigned long n = 0;
        atomic_fetch_add(&in_place, 1);
        for (;;) {
                if ((++n & 0xfffff) == 0) {
                        sched_yield();
                }
        }
}

static void *crasher(void *arg)
{
        (void)arg;
        prctl(PR_SET_NAME, "crasher");
        atomic_store(&crasher_tid, (int)gettid());
        if (!crash_mode) {
                spin_here();
        }
        char c;
        atomic_fetch_add(&in_place, 1);
        if (read(0, &c, 1) == 1) {
                crash_here((volatile int *)(uintptr_t)16);
        }
        return NULL;
}

__attribute__((noinline)) static void main_waits(pthread_t t)
{
        pthread_join(t, NULL);
}

static void *short_lived(void *arg)
{
        return arg;
}

static void *churner(void *arg)
{
        (void)arg;
        prctl(PR_SET_NAME, "churner");
        for (;;) {
                pthread_t t;
                if (pthread_create(&t, NULL, short_lived, NULL) == 0) {
                        pthread_join(t, NULL);
                }
        }
        return NULL;
}

int main(int argc, char **argv)
{
        int churn = argc > 1 && strcmp(argv[1], "churn") == 0;
        int exit_main = argc > 1 && strcmp(argv[1], "exit-main") == 0;
        crash_mode = argc > 1 && strcmp(argv[1], "hang") != 0 && !churn && !exit_main;
        if (argc > 1 && strcmp(argv[1], "handler") == 0) {
                struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
                sigaction(SIGSEGV, &sa, NULL);
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        struct ward_trace_options o = {.size = sizeof(o),
                                       .dir = "/tmp",
                                       .name = "ward-test-core",
                                       .flush_interval_ns = 3600000000000ull};
        if (ward_trace_start(&o) < 0 || pipe(never) < 0) {
                return 1;
        }
        for (int i = 0; i < 5; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "guard event %d", i);
        }
        size_t heap = 64u << 20;
        char *big = malloc(heap);
        if (!big) {
                return 1;
        }
        memset(big, 0x5a, heap);
        pthread_t t[3];
        pthread_create(&t[0], NULL, blocker, NULL);
        pthread_create(&t[1], NULL, locker, NULL);
        pthread_create(&t[2], NULL, crasher, NULL);
        while (atomic_load(&in_place) < 3) {
                usleep(1000);
        }
        if (churn) {
                pthread_t c;
                pthread_create(&c, NULL, churner, NULL);
        }
        printf("%d\n", atomic_load(&crasher_tid));
        fflush(stdout);
        if (exit_main) {
                pthread_exit(NULL);
        }
        main_waits(t[0]);
        free(big);
        return 0;
}
