/* The worker tests/guard/test-worker.c plays the guardian for: it calls
 * ward_guard_start (built as guard-plain-worker with -DWARD_PLAIN_WORKER it
 * does not: the program libward-crash.so is preloaded into), prints one line
 *   guard STATE WHY
 * and then, once a byte arrives on stdin, crashes the way argv[1] says, in
 * the function of that name:
 *   segv bus fpe ill abort overflow     in the main thread
 *   trap sys                            int3; a system call seccomp traps
 *   thread-segv thread-overflow ...     in a second thread
 *   two                                 two threads fault at the same moment
 *   exit                                exit(0)
 *   beat                                ward_guard_ready, three heartbeats, exit(0)
 *   fork-segv                           a forked child crashes; exit(0) after it
 *   closed-fds                          every fd from 3 on becomes a pipe of its own
 *                                       (a daemon's set-up); a heartbeat must not
 *                                       reach the pipe; then a segv
 * Environment: GUARD_HANDSHAKE_MS (default 5000), GUARD_ACK_MS. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WARD_PLAIN_WORKER
#include <ward/guard.h>
#endif

static volatile int zero;
static atomic_int both_ready;

__attribute__((noinline)) static void crash_segv(void)
{
        *(volatile int *)(uintptr_t)(16 + zero) = 1;
}

__attribute__((noinline)) static void crash_bus(void)
{
        char name[] = "/tmp/guard-worker-XXXXXX";
        int fd = mkstemp(name);
        unlink(name);
        volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0); /* empty file */
        (void)p[zero];
}

__attribute__((noinline)) static void crash_fpe(void)
{
        volatile int a = 1;
        a = a / zero;
}

__attribute__((noinline)) static void crash_ill(void)
{
        __builtin_trap();
}

__attribute__((noinline)) static void crash_abort(void)
{
        abort();
}

__attribute__((noinline)) static void crash_trap(void)
{
        __asm__ volatile("int3");
}

/* crash_sys: getppid, which a seccomp filter of this thread answers with
 * SIGSYS (SECCOMP_RET_TRAP) */
__attribute__((noinline)) static void crash_sys(void)
{
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
        syscall(SYS_getppid);
}

__attribute__((noinline)) static int crash_overflow(int depth)
{
        volatile char pad[1024];
        pad[zero] = (char)depth;
        if (depth < 0) { /* never: the stack ends first */
                return 0;
        }
        return crash_overflow(depth + 1) + pad[zero];
}

__attribute__((noinline)) static void crash_two(void)
{
        atomic_fetch_add(&both_ready, 1);
        while (atomic_load(&both_ready) < 2) {
        }
        *(volatile int *)(uintptr_t)(32 + zero) = 1;
}

static void crash(const char *how)
{
        if (strcmp(how, "segv") == 0) {
                crash_segv();
        } else if (strcmp(how, "bus") == 0) {
                crash_bus();
        } else if (strcmp(how, "fpe") == 0) {
                crash_fpe();
        } else if (strcmp(how, "ill") == 0) {
                crash_ill();
        } else if (strcmp(how, "abort") == 0) {
                crash_abort();
        } else if (strcmp(how, "trap") == 0) {
                crash_trap();
        } else if (strcmp(how, "sys") == 0) {
                crash_sys();
        } else if (strcmp(how, "overflow") == 0) {
                crash_overflow(0);
        } else if (strcmp(how, "two") == 0) {
                crash_two();
        }
}

static void *in_thread(void *how)
{
#ifndef WARD_PLAIN_WORKER
        ward_guard_thread_init(); /* its own alternate stack: an overflow is caught */
#endif
        crash(how);
        return NULL;
}

int main(int argc, char **argv)
{
#ifndef WARD_PLAIN_WORKER
        const char *hs = getenv("GUARD_HANDSHAKE_MS"), *ack = getenv("GUARD_ACK_MS");
        struct ward_guard_options o = {.size = sizeof(o)};
        o.handshake_timeout_ns = hs ? strtoull(hs, NULL, 10) * 1000000ull : 0;
        o.ack_timeout_ns = ack ? strtoull(ack, NULL, 10) * 1000000ull : 0;
        int g = ward_guard_start(&argc, &argv, &o);
        char why[256];
        int state = ward_guard_status(why, sizeof(why));
        printf("guard %d %d %s\n", g, state, why);
#else
        printf("guard plain\n");
#endif
        fflush(stdout);
        if (argc < 2) {
                return 2;
        }
        const char *how = argv[1];
        char c;
        if (read(0, &c, 1) != 1) {
                return 4;
        }
        if (strcmp(how, "exit") == 0) {
                return 0;
        }
        if (strcmp(how, "fork-segv") == 0) {
                pid_t child = fork();
                if (child == 0) {
                        crash_segv();
                        _exit(3);
                }
                int st = 0;
                waitpid(child, &st, 0);
                return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : 6;
        }
#ifndef WARD_PLAIN_WORKER
        if (strcmp(how, "closed-fds") == 0) {
                int p[2];
                if (pipe2(p, O_NONBLOCK) < 0) {
                        return 8;
                }
                for (int fd = 3; fd < 64; fd++) {
                        if (fd != p[0] && fd != p[1]) {
                                dup2(p[1], fd);
                        }
                }
                int r = ward_guard_heartbeat();
                char b[128];
                if (r != -ENOTCONN || read(p[0], b, sizeof(b)) > 0) {
                        return 7; /* ward wrote into a file of the program's */
                }
                crash_segv();
        }
        if (strcmp(how, "beat") == 0) {
                int r = ward_guard_ready();
                for (int i = 0; i < 3 && r == 0; i++) {
                        r = ward_guard_heartbeat();
                }
                return r == 0 ? 0 : 5;
        }
#endif
        if (strcmp(how, "two") == 0) {
                pthread_t t;
                pthread_create(&t, NULL, in_thread, (void *)"two");
                crash_two();
        } else if (strncmp(how, "thread-", 7) == 0) {
                pthread_t t;
                pthread_create(&t, NULL, in_thread, (void *)(how + 7));
                pthread_join(t, NULL);
        } else {
                crash(how);
        }
        return 3; /* not crashed */
}
