/* The crash handler: async-signal-safe, on the alternate stack. The first
 * crashing thread reports; any other waits until the process dies. With a
 * guardian: CRASH with where the siginfo and ucontext are, then wait for
 * ACK. Without (or when it is gone): the note. Then the default action,
 * and the signal again, so the process ends by it; when the ACK says the
 * guardian wrote a core, the process is made non-dumpable first, so the
 * kernel writes (or pipes to core_pattern's helper) no second one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "guard/guard.h"
#include <ward/time.h>

struct ward__guard ward__guard = {.fd = -1, .fallback_fd = 2};

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static int gettid_(void)
{
        return (int)syscall(SYS_gettid);
}

/* fault_address: si_addr where the signal has one */
static uint64_t fault_address(int signo, const siginfo_t *si)
{
        if (si->si_code <= 0) { /* sent by a process (kill, tgkill, abort) */
                return 0;
        }
        switch (signo) {
        case SIGSEGV:
        case SIGBUS:
        case SIGFPE:
        case SIGILL:
        case SIGTRAP:
        case SIGSYS:
                return (uint64_t)(uintptr_t)si->si_addr;
        default:
                return 0;
        }
}

/* await_ack: 0 ACK (its value in *value), -ETIMEDOUT, -EPIPE (the guardian
 * is gone); records other than ACK are passed over */
static int await_ack(int fd, uint64_t timeout_ns, uint64_t *value)
{
        uint64_t deadline = ward_now_ns() + timeout_ns;
        for (;;) {
                int r = ward__guard_wait_readable(fd, deadline);
                if (r == -ETIMEDOUT) {
                        return r;
                }
                if (r < 0) {
                        return -EPIPE;
                }
                char buf[sizeof(struct ward__guard_msg) + 1];
                ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                        return -EPIPE;
                }
                struct ward__guard_msg m;
                if (got > 0 && ward__guard_msg_check(buf, (size_t)got, &m) == 0 &&
                    m.type == WARD__GUARD_ACK) {
                        *value = m.value;
                        return 0;
                }
        }
}

/* report: tell the guardian; NULL when it acknowledged (*ack its value),
 * else the note's reason */
static const char *report(int tid, int signo, siginfo_t *si, void *uc, uint64_t *ack)
{
        int fd = ward__guard.fd;
        if (__atomic_load_n(&ward__guard.state, __ATOMIC_ACQUIRE) != WARD_GUARD_ON || fd < 0) {
                return ward__guard.why[0] ? ward__guard.why : "no guardian";
        }
        if (getpid() != ward__guard.pid) {
                return "a child forked from the guarded process is not guarded";
        }
        if (!ward__guard_file_same(fd, &ward__guard.fd_file)) {
                return "the program closed the guardian's socket";
        }
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        if (ward__guard.guardian_pid > 0) {
                prctl(PR_SET_PTRACER, (unsigned long)ward__guard.guardian_pid, 0, 0, 0);
        }
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_CRASH, getpid());
        m.tid = tid;
        m.signo = signo;
        m.code = si->si_code;
        m.addr = fault_address(signo, si);
        m.siginfo_addr = (uint64_t)(uintptr_t)si;
        m.ucontext_addr = (uint64_t)(uintptr_t)uc;
        int sent = ward__guard_send_within(fd, &m, ward__guard.ack_timeout_ns);
        if (sent == -ETIMEDOUT) {
                return "the guardian's socket had no room for the crash report in time";
        }
        if (sent < 0) {
                return "the guardian is gone (its socket refused the crash report)";
        }
        int r = await_ack(fd, ward__guard.ack_timeout_ns, ack);
        if (r == -ETIMEDOUT) {
                return "the guardian did not acknowledge the crash in time";
        }
        if (r < 0) {
                return "the guardian went away before it acknowledged the crash";
        }
        return NULL;
}

/* die: the default action, then the signal again, sent to this thread: it
 * arrives when the handler returns and unblocks it, before the faulting
 * instruction would run again, so the registers the kernel's core shows are
 * the fault's. (A fault that would not come back by itself, a trap, a
 * seccomp SIGSYS or a signal sent by another process all end the same way.) */
static void die(int tid, int signo)
{
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(signo, &dfl, NULL);
        syscall(SYS_tgkill, getpid(), tid, signo);
}

/* wait_for_the_reporter: another thread reports this crash; the process
 * ends with it. Should it not (its fault did not end the process), this
 * thread ends it with its own signal once the reporter has had all its time. */
static void wait_for_the_reporter(int tid, int signo)
{
        uint64_t left_ms =
            (ward__guard.send_timeout_ns + ward__guard.ack_timeout_ns) / 1000000 + 5000;
        while (left_ms > 0) {
                struct timespec ms100 = {0, 100000000};
                nanosleep(&ms100, NULL); /* async-signal-safe */
                left_ms = left_ms > 100 ? left_ms - 100 : 0;
        }
        die(tid, signo);
}

static void on_crash(int signo, siginfo_t *si, void *uc)
{
        int saved = errno;
        int tid = gettid_();
        int first = 0;
        if (!__atomic_compare_exchange_n(&ward__guard.crashing, &first, tid, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
                if (first != tid) {
                        wait_for_the_reporter(tid, signo);
                        errno = saved;
                        return;
                }
                die(tid, signo); /* this thread again: no second report */
                errno = saved;
                return;
        }
        uint64_t ack = 0;
        const char *reason = report(tid, signo, si, uc, &ack);
        if (reason) {
                ward__guard_note_write(signo, si->si_code, fault_address(signo, si), tid, reason);
        } else if (ack & WARD__GUARD_ACK_CORE) {
                /* the guardian has the core: none from the kernel (no time
                 * spent writing or piping one before the process is gone) */
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
        die(tid, signo);
        errno = saved;
}

static int fallback_fd_open(const struct ward_guard_options *o)
{
        if (o->fallback_fd > 0) {
                return o->fallback_fd;
        }
        int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
        return fd >= 0 ? fd : 2;
}

int ward__guard_handlers_install(const struct ward_guard_options *o)
{
        ward__guard_note_prepare();
        ward__guard.fallback_fd = fallback_fd_open(o);
        ward__guard_file_note(ward__guard.fallback_fd, &ward__guard.fallback_file);
        ward__guard.ack_timeout_ns = o->ack_timeout_ns;
        ward__guard.send_timeout_ns = o->handshake_timeout_ns;
        int r = ward_guard_thread_init();
        if (r < 0) {
                return r;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_crash;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        /* nothing else runs on a crashed thread while it waits for the
         * guardian: an application's SIGTERM or SIGALRM handler would run on a
         * damaged process, exit with another status or jump out of ours */
        sigfillset(&sa.sa_mask);
        for (size_t i = 0; i < N_FATAL; i++) {
                if (sigaction(fatal_signals[i], &sa, NULL) < 0) {
                        return -errno;
                }
        }
        return 0;
}
