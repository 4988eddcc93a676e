/* The worker's side of the guardian (ward/guard.h, libward-crash.so), with
 * this test as the guardian: a real SOCK_SEQPACKET pair, a real worker
 * process (tests/guard/guard-worker.c; its threads come from pthread_create),
 * real crashes. For each crash: HELLO carries the kernel's credentials and
 * the worker's start time; after READY the worker crashes, CRASH names the
 * thread and the signal; the ucontext it points at is read with
 * process_vm_readv and given to ward_core_write, and gdb finds the crashing
 * function in the core; after ACK the worker dies by the same signal.
 * Then: two threads at once (one CRASH), the guardian gone before the crash
 * and no READY (the fallback note, the same signal), the embedded guardian
 * role without libward-inspect, and the preload on an unmodified program.
 * Skips (77) without gdb, or where ptrace is not permitted. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <ward/core.h>

#include "core/guard-wire.h"
#include "core/procstat.h"

#include "test.h"

/* set: spawn leaves the worker our core limit (raised to the hard one) and
 * runs it in this directory, else no core limit */
static const char *core_dir;

struct worker {
        pid_t pid;
        int sock; /* the guardian's end; -1 without */
        int in;   /* its stdin: a byte makes it crash */
        int out;  /* its stdout */
        int err;  /* its stderr */
};

/* spawn: prog HOW with the worker's end of a fresh pair as WARD_GUARD_FD
 * (with_fd), extra environment entries env (NULL-terminated, may be NULL) */
static struct worker spawn(const char *prog, const char *how, int with_fd, const char *const *env)
{
        int sv[2], in[2], out[2], err[2];
        struct worker w = {.sock = -1};
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        int on = 1;
        ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
        ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
        ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
        ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
        w.pid = fork();
        ASSERT_TRUE(w.pid >= 0);
        if (w.pid == 0) {
                struct rlimit core = {0, 0};
                if (core_dir) {
                        getrlimit(RLIMIT_CORE, &core);
                        core.rlim_cur = core.rlim_max;
                        if (chdir(core_dir) < 0) {
                                _exit(126);
                        }
                }
                setrlimit(RLIMIT_CORE, &core); /* the system's core is not this test's */
                dup2(in[0], 0);
                dup2(out[1], 1);
                dup2(err[1], 2);
                if (with_fd) {
                        dup2(sv[1], 10);
                        setenv("WARD_GUARD_FD", "10", 1);
                }
                for (int i = 0; env && env[i]; i++) {
                        putenv((char *)env[i]);
                }
                execl(prog, prog, how, (char *)NULL);
                _exit(127);
        }
        close(sv[1]);
        close(in[0]);
        close(out[1]);
        close(err[1]);
        w.sock = sv[0];
        w.in = in[1];
        w.out = out[0];
        w.err = err[0];
        return w;
}

/* read_line: one line of fd into buf */
static void read_line(int fd, char *buf, size_t size)
{
        size_t n = 0;
        while (n + 1 < size) {
                ssize_t r = read(fd, buf + n, 1);
                ASSERT_EQ(r, 1);
                if (buf[n++] == '\n') {
                        break;
                }
        }
        buf[n] = '\0';
}

/* read_all: what fd says until EOF */
static void read_all(int fd, char *buf, size_t size)
{
        size_t n = 0;
        ssize_t r;
        while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0) {
                n += (size_t)r;
        }
        buf[n] = '\0';
}

/* recv_record: the next record on the guardian's end, checked; its
 * credentials in *cred when cred */
static struct ward__guard_msg recv_record(int fd, struct ucred *cred)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ASSERT_EQ(poll(&p, 1, 60000), 1);
        char buf[sizeof(struct ward__guard_msg) + 8];
        union {
                char b[CMSG_SPACE(sizeof(struct ucred))];
                struct cmsghdr align;
        } c;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b, .msg_controllen = sizeof(c.b)};
        ssize_t n = recvmsg(fd, &mh, 0);
        ASSERT_TRUE(n > 0);
        struct ward__guard_msg m;
        ASSERT_EQ(ward__guard_msg_check(buf, (size_t)n, &m), 0);
        if (cred) {
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                ASSERT_TRUE(cm != NULL);
                ASSERT_EQ(cm->cmsg_type, SCM_CREDENTIALS);
                memcpy(cred, CMSG_DATA(cm), sizeof(*cred));
        }
        return m;
}

static void send_record(int fd, enum ward__guard_type t, uint64_t value)
{
        struct ward__guard_msg m = ward__guard_msg_make(t, getpid());
        m.value = value;
        ASSERT_EQ(send(fd, &m, sizeof(m), MSG_NOSIGNAL), (ssize_t)sizeof(m));
}

/* handshake: HELLO checked against the worker, READY sent */
static void handshake(struct worker *w)
{
        struct ucred cred;
        struct ward__guard_msg m = recv_record(w->sock, &cred);
        ASSERT_EQ(m.type, WARD__GUARD_HELLO);
        ASSERT_EQ(cred.pid, w->pid);
        ASSERT_EQ(cred.uid, getuid());
        ASSERT_EQ(m.pid, w->pid);
        uint64_t start = 0;
        ASSERT_EQ(ward__proc_stat(w->pid, NULL, &start), 0);
        ASSERT_EQ(m.start, start);
        send_record(w->sock, WARD__GUARD_READY, 0);
}

static int wait_status(pid_t pid)
{
        int st = 0;
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        return st;
}

static void finish(struct worker *w)
{
        if (w->sock >= 0) {
                close(w->sock);
        }
        close(w->in);
        close(w->out);
        close(w->err);
}

static void need_gdb(void)
{
        if (system("command -v gdb >/dev/null 2>&1") != 0) {
                SKIP("gdb is not installed");
        }
}

/* gdb_names: gdb's backtraces of core name fn */
static void gdb_names(const char *prog, const char *core, const char *fn)
{
        char cmd[8400], out[1 << 16];
        snprintf(cmd, sizeof(cmd), "gdb -nx -batch -ex 'thread apply all bt 40' '%s' '%s' 2>&1",
                 prog, core);
        FILE *p = popen(cmd, "r");
        ASSERT_TRUE(p != NULL);
        size_t n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        pclose(p);
        if (!strstr(out, fn)) {
                fprintf(stderr, "%s", out);
                TEST_FAIL("gdb's backtraces of %s do not name %s", core, fn);
        }
}

/* capture: what a guardian does with a CRASH: the ucontext from the
 * worker's memory, a core, gdb reads fn in it */
static void capture(const struct worker *w, const struct ward__guard_msg *m, const char *prog,
                    const char *fn)
{
        ucontext_t uc;
        siginfo_t si;
        struct iovec local[2] = {{&uc, sizeof(uc)}, {&si, sizeof(si)}};
        struct iovec remote[2] = {{(void *)(uintptr_t)m->ucontext_addr, sizeof(uc)},
                                  {(void *)(uintptr_t)m->siginfo_addr, sizeof(si)}};
        ssize_t n = process_vm_readv(w->pid, local, 2, remote, 2, 0);
        if (n < 0 && errno == EPERM) {
                SKIP("process_vm_readv is not permitted here");
        }
        ASSERT_EQ(n, (ssize_t)(sizeof(uc) + sizeof(si)));
        ASSERT_EQ(si.si_signo, m->signo);
        ASSERT_EQ(si.si_code, m->code);
        char dir[] = "/tmp/ward-guard-XXXXXX", err[256], cmd[200];
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct ward_core_options o = {.size = sizeof(o),
                                      .crash_tid = m->tid,
                                      .signo = m->signo,
                                      .code = m->code,
                                      .addr = m->addr,
                                      .crash_ucontext = &uc,
                                      .dir = dir};
        struct ward_core_result res;
        int r = ward_core_write(w->pid, &o, &res, err, sizeof(err));
        if (r == -EPERM) {
                SKIP("ptrace is not permitted here: %s", err);
        }
        if (r < 0) {
                TEST_FAIL("ward_core_write: %s: %s", ward_strerror(r), err);
        }
        gdb_names(prog, res.core, fn);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

/* crash_now: tell the started worker w to crash; the CRASH record its
 * handler sends */
static struct ward__guard_msg crash_now(struct worker *w)
{
        ASSERT_EQ(write(w->in, "!", 1), 1);
        struct ward__guard_msg m = recv_record(w->sock, NULL);
        ASSERT_EQ(m.type, WARD__GUARD_CRASH);
        return m;
}

/* ack_and_reap: acknowledge w's crash with value; w dies by signo; its
 * wait status */
static int ack_and_reap(struct worker *w, uint64_t value, int signo)
{
        send_record(w->sock, WARD__GUARD_ACK, value);
        int st = wait_status(w->pid);
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), signo);
        return st;
}

/* guarded_crash: prog HOW under this guardian: the crash by signo in fn,
 * captured, acknowledged, and the worker dead by signo */
static void guarded_crash(const char *prog, const char *how, int signo, const char *fn,
                          int in_thread)
{
        need_gdb();
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL, NULL};
        char preload[4200];
        const char *const *e = env;
        if (strcmp(prog, WARD_GUARD_PLAIN_WORKER) == 0) {
                snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", WARD_CRASH_LIBRARY);
                env[1] = preload;
        }
        struct worker w = spawn(prog, how, 1, e);
        char line[512];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        if (strcmp(prog, WARD_GUARD_WORKER) == 0) {
                ASSERT_TRUE(strncmp(line, "guard 0 1 ", 10) == 0); /* guarded */
        }
        struct ward__guard_msg m = crash_now(&w);
        ASSERT_EQ(m.pid, w.pid);
        ASSERT_EQ(m.signo, signo);
        if (in_thread) {
                ASSERT_NE(m.tid, w.pid);
        } else {
                ASSERT_EQ(m.tid, w.pid);
        }
        capture(&w, &m, prog, fn);
        ack_and_reap(&w, 0, signo);
        finish(&w);
}

TEST(segv_main)
{
        guarded_crash(WARD_GUARD_WORKER, "segv", SIGSEGV, "crash_segv", 0);
}

TEST(bus_main)
{
        guarded_crash(WARD_GUARD_WORKER, "bus", SIGBUS, "crash_bus", 0);
}

TEST(fpe_main)
{
        guarded_crash(WARD_GUARD_WORKER, "fpe", SIGFPE, "crash_fpe", 0);
}

TEST(ill_main)
{
        guarded_crash(WARD_GUARD_WORKER, "ill", SIGILL, "crash_ill", 0);
}

TEST(abort_main)
{
        guarded_crash(WARD_GUARD_WORKER, "abort", SIGABRT, "crash_abort", 0);
}

TEST(trap_main) /* re-sent: returning would run on after the int3 */
{
        guarded_crash(WARD_GUARD_WORKER, "trap", SIGTRAP, "crash_trap", 0);
}

TEST(seccomp_sys_main) /* re-sent: returning would run on after the system call */
{
        guarded_crash(WARD_GUARD_WORKER, "sys", SIGSYS, "crash_sys", 0);
}

TEST(overflow_main)
{
        guarded_crash(WARD_GUARD_WORKER, "overflow", SIGSEGV, "crash_overflow", 0);
}

TEST(segv_thread)
{
        guarded_crash(WARD_GUARD_WORKER, "thread-segv", SIGSEGV, "crash_segv", 1);
}

TEST(bus_thread)
{
        guarded_crash(WARD_GUARD_WORKER, "thread-bus", SIGBUS, "crash_bus", 1);
}

TEST(fpe_thread)
{
        guarded_crash(WARD_GUARD_WORKER, "thread-fpe", SIGFPE, "crash_fpe", 1);
}

TEST(ill_thread)
{
        guarded_crash(WARD_GUARD_WORKER, "thread-ill", SIGILL, "crash_ill", 1);
}

TEST(abort_thread)
{
        guarded_crash(WARD_GUARD_WORKER, "thread-abort", SIGABRT, "crash_abort", 1);
}

TEST(overflow_thread)
{
        guarded_crash(WARD_GUARD_WORKER, "thread-overflow", SIGSEGV, "crash_overflow", 1);
}

/* acked_status: prog segv under this guardian, acknowledged with value
 * (no capture here); its wait status */
static int acked_status(uint64_t value)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "segv", 1, env);
        char line[512];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        crash_now(&w);
        int st = ack_and_reap(&w, value, SIGSEGV);
        finish(&w);
        return st;
}

/* An ACK saying the guardian wrote the core: the kernel writes none after
 * it, where it would after a plain ACK (the same limit, a file pattern;
 * where it would not, only the first half means something: said on stderr). */
TEST(ack_with_core_leaves_the_kernel_none)
{
        char pattern[256] = "", dir[] = "/tmp/ward-guard-core-XXXXXX", cmd[128];
        FILE *f = fopen("/proc/sys/kernel/core_pattern", "r");
        if (f) {
                (void)!fgets(pattern, sizeof(pattern), f);
                fclose(f);
        }
        if (pattern[0] == '|' || pattern[0] == '\0') { /* not SKIP: the other tests run on */
                fprintf(stderr, "core_pattern pipes cores to a program: not this test's to feed\n");
                return;
        }
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        core_dir = dir;
        int plain = acked_status(0);
        int with_core = acked_status(WARD__GUARD_ACK_CORE);
        core_dir = NULL;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
        ASSERT_TRUE(!WCOREDUMP(with_core));
        if (!WCOREDUMP(plain)) {
                fprintf(stderr,
                        "the kernel writes no core here (RLIMIT_CORE's hard limit, "
                        "core_pattern %s): nothing to compare with\n",
                        pattern);
        }
}

/* two threads fault at once: one CRASH, then the end of the socket */
TEST(two_threads_one_report)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "two", 1, env);
        char line[512];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        ASSERT_EQ(crash_now(&w).signo, SIGSEGV);
        ack_and_reap(&w, 0, SIGSEGV);
        char buf[sizeof(struct ward__guard_msg)];
        ASSERT_EQ(recv(w.sock, buf, sizeof(buf), MSG_DONTWAIT), 0); /* EOF, no second CRASH */
        finish(&w);
}

/* the guardian's end closed after READY: the note on stderr, the signal */
TEST(guardian_gone_fallback_note)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "segv", 1, env);
        char line[512], err[4096];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        close(w.sock);
        w.sock = -1;
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        read_all(w.err, err, sizeof(err));
        fprintf(stderr, "worker said: %s", err);
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), SIGSEGV);
        char want[64];
        snprintf(want, sizeof(want), "ward: process %d (", (int)w.pid);
        ASSERT_TRUE(strstr(err, want) != NULL);
        ASSERT_TRUE(strstr(err, "crashed: signal 11 (SIGSEGV) code 1 addr 0x10 thread") != NULL);
        ASSERT_TRUE(strstr(err, "the guardian is gone") != NULL);
        finish(&w);
}

/* no READY within the handshake timeout: fallback (1), said why; a crash
 * then writes the note and ends by its signal */
TEST(no_ready_fallback)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", "GUARD_HANDSHAKE_MS=200", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "abort", 1, env);
        char line[512], err[4096];
        struct ward__guard_msg m = recv_record(w.sock, NULL);
        ASSERT_EQ(m.type, WARD__GUARD_HELLO);
        read_line(w.out, line, sizeof(line));
        ASSERT_TRUE(strstr(line, "guard 1 2 no READY from the guardian within 200 ms") == line);
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        read_all(w.err, err, sizeof(err));
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), SIGABRT);
        ASSERT_TRUE(strstr(err, "crashed: signal 6 (SIGABRT)") != NULL);
        ASSERT_TRUE(strstr(err, "no READY from the guardian") != NULL);
        finish(&w);
}

/* started plainly, the program executes itself as its guardian (same pid);
 * without libward-inspect the guardian runs it as a worker in fallback mode */
TEST(embedded_without_inspect_library_falls_back)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0",
                             "WARD_INSPECT_LIBRARY=/nonexistent/libward-inspect.so.0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "exit", 0, env);
        char line[512];
        read_line(w.out, line, sizeof(line));
        fprintf(stderr, "worker said: %s", line);
        ASSERT_TRUE(strstr(line, "guard 1 2 the guardian could not load "
                                 "/nonexistent/libward-inspect.so.0") == line);
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        finish(&w);
}

/* a child of a guardian that got no socket does not become a guardian
 * itself (no chain of guardians): fallback */
TEST(child_of_guardian_without_socket_falls_back)
{
        char marker[64];
        snprintf(marker, sizeof(marker), "WARD_GUARD_GUARDIAN=%d", (int)getpid());
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", marker, NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "exit", 0, env);
        char line[512];
        read_line(w.out, line, sizeof(line));
        ASSERT_TRUE(strstr(line, "guard 1 2 started by a guardian without WARD_GUARD_FD") == line);
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        finish(&w);
}

/* a child the worker forks is not the guarded process: its crash gives no
 * CRASH record, only the note; the worker goes on */
TEST(forked_child_crash_is_not_reported)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "fork-segv", 1, env);
        char line[512], err[4096];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        read_all(w.err, err, sizeof(err));
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        ASSERT_TRUE(strstr(err, "a child forked from the guarded process is not guarded") != NULL);
        char buf[sizeof(struct ward__guard_msg)];
        ASSERT_EQ(recv(w.sock, buf, sizeof(buf), MSG_DONTWAIT), 0); /* EOF, no CRASH */
        finish(&w);
}

/* run_exit_with: the worker in "exit" mode with env; its first line in line */
static void run_exit_with(const char *const *env, char *line, size_t size)
{
        struct worker w = spawn(WARD_GUARD_WORKER, "exit", 0, env);
        read_line(w.out, line, size);
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        finish(&w);
}

/* WARD_GUARD_FD that is not a number, or not a SOCK_SEQPACKET socket:
 * fallback, said why */
TEST(bad_guard_fd_falls_back)
{
        char line[512];
        const char *garbage[] = {"ASAN_OPTIONS=detect_leaks=0", "WARD_GUARD_FD=7x", NULL};
        run_exit_with(garbage, line, sizeof(line));
        ASSERT_TRUE(strstr(line, "guard 1 2 WARD_GUARD_FD=7x is not a descriptor") == line);
        const char *pipe_fd[] = {"ASAN_OPTIONS=detect_leaks=0", "WARD_GUARD_FD=0", NULL};
        run_exit_with(pipe_fd, line, sizeof(line));
        ASSERT_TRUE(strstr(line, "guard 1 2 WARD_GUARD_FD=0 is not the guardian's socket") == line);
}

/* ward_guard_ready and ward_guard_heartbeat: STARTED, then BEATs 1, 2, 3 */
TEST(ready_and_heartbeats)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "beat", 1, env);
        char line[512];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        ASSERT_EQ(write(w.in, "!", 1), 1);
        ASSERT_EQ(recv_record(w.sock, NULL).type, WARD__GUARD_STARTED);
        for (uint64_t i = 1; i <= 3; i++) {
                struct ward__guard_msg m = recv_record(w.sock, NULL);
                ASSERT_EQ(m.type, WARD__GUARD_BEAT);
                ASSERT_EQ(m.value, i);
        }
        int st = wait_status(w.pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        finish(&w);
}

/* a guardian that answers HELLO with something that is not a record:
 * fallback, and the reason says so */
TEST(bad_answer_fallback)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "exit", 1, env);
        char line[512];
        ASSERT_EQ(recv_record(w.sock, NULL).type, WARD__GUARD_HELLO);
        ASSERT_EQ(send(w.sock, "READY", 5, 0), 5);
        read_line(w.out, line, sizeof(line));
        ASSERT_TRUE(strstr(line, "guard 1 2 the guardian's answer to HELLO is not READY") == line);
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        finish(&w);
}

/* libward-crash.so in an unmodified program: the handshake, and a crash in
 * a thread the program started (its alternate stack comes from the
 * interposed pthread_create: a stack overflow is reported) */
/* a program that closes its descriptors after ward_guard_start and opens
 * files of its own at those numbers: ward writes neither heartbeats nor the
 * crash report into them; the crash note goes to stderr, saying why */
TEST(program_closes_its_fds)
{
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
        struct worker w = spawn(WARD_GUARD_WORKER, "closed-fds", 1, env);
        char line[512];
        handshake(&w);
        read_line(w.out, line, sizeof(line));
        ASSERT_EQ(write(w.in, "!", 1), 1);
        int st = wait_status(w.pid);
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), SIGSEGV);
        read_all(w.err, line, sizeof(line));
        ASSERT_TRUE(strstr(line, "the program closed the guardian's socket") != NULL);
        finish(&w);
}

TEST(preload_segv_main)
{
        guarded_crash(WARD_GUARD_PLAIN_WORKER, "segv", SIGSEGV, "crash_segv", 0);
}

TEST(preload_overflow_thread)
{
        guarded_crash(WARD_GUARD_PLAIN_WORKER, "thread-overflow", SIGSEGV, "crash_overflow", 1);
}

TEST_MAIN()
