/* The worker the guardian tests start: it speaks the guardian's wire itself
 * (HELLO with SCM_CREDENTIALS, READY, STARTED, BEAT, CRASH with its
 * ucontext, ACK), with a small crash handler of its own, so the guardian is
 * tested without libward's worker side.
 *   guardian-worker crash       handshake, STARTED, SIGSEGV in crash_here
 *   guardian-worker exit N      handshake, STARTED, exit(N)
 *   guardian-worker hang        heartbeat 300 ms: a thread beats until two
 *                               others deadlock (lock order) and sleep, then stops
 *   guardian-worker shm-crash   traces (ward trace) and holds a ward_mutex,
 *                               then crashes
 *   guardian-worker term N      handshake, STARTED, waits; SIGTERM: exit(N)
 *   guardian-worker stubborn    handshake, STARTED, ignores SIGTERM, waits
 *   guardian-worker listen      prints WARD_LISTEN_FD's socket type and
 *                               WARD_LISTEN_ADDRESS to stdout, exit 0
 *   guardian-worker plain N     no handshake at all: exit(N) at once
 *   guardian-worker liar        a HELLO with a start time not its own: no
 *                               READY must come (exit 98 when the guardian
 *                               hangs up, 97 if it answered)
 *   guardian-worker bad-tid     handshake, then a CRASH naming thread 1 (not
 *                               its own): the ACK must still come, exit 0
 * COUNT_FILE in the environment: a line appended per start (the tests count
 * restarts with it); CRASH_UNTIL=N: the Nth start and later exit 0 instead of
 * crashing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <ward/lock.h>
#include <ward/trace.h>

#include "core/guard-wire.h"
#include "core/procstat.h"

static int guard_fd = -1;
static int term_code;

static void send_msg(struct ward__guard_msg *m, int creds)
{
        union {
                char b[CMSG_SPACE(sizeof(struct ucred))];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (creds) {
                struct ucred cr = {.pid = getpid(), .uid = geteuid(), .gid = getegid()};
                mh.msg_control = ctl.b;
                mh.msg_controllen = sizeof(ctl.b);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_CREDENTIALS;
                c->cmsg_len = CMSG_LEN(sizeof(cr));
                memcpy(CMSG_DATA(c), &cr, sizeof(cr));
        }
        (void)!sendmsg(guard_fd, &mh, MSG_NOSIGNAL);
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_CRASH, getpid());
        m.tid = (int32_t)syscall(SYS_gettid);
        m.signo = sig;
        m.code = si->si_code;
        m.addr = (uint64_t)(uintptr_t)si->si_addr;
        m.siginfo_addr = (uint64_t)(uintptr_t)si;
        m.ucontext_addr = (uint64_t)(uintptr_t)uc;
        send_msg(&m, 0);
        struct ward__guard_msg ack;
        (void)!recv(guard_fd, &ack, sizeof(ack), 0); /* SO_RCVTIMEO bounds it */
        signal(sig, SIG_DFL);                        /* return: the fault again, by default */
}

static void liar(void)
{
        guard_fd = atoi(getenv(WARD__GUARD_ENV_FD));
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_HELLO, getpid());
        ward__proc_stat(0, NULL, &m.start);
        m.start += 12345;
        send_msg(&m, 1);
        struct ward__guard_msg ready;
        exit(recv(guard_fd, &ready, sizeof(ready), 0) > 0 ? 97 : 98);
}

static void bad_tid(void)
{
        ucontext_t uc;
        memset(&uc, 0, sizeof(uc));
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_CRASH, getpid());
        m.tid = 1;
        m.signo = SIGSEGV;
        m.ucontext_addr = (uint64_t)(uintptr_t)&uc;
        send_msg(&m, 0);
        struct ward__guard_msg ack;
        exit(recv(guard_fd, &ack, sizeof(ack), 0) == sizeof(ack) && ack.type == WARD__GUARD_ACK
                 ? 0
                 : 96);
}

static void handshake(uint64_t heartbeat_ns)
{
        const char *s = getenv(WARD__GUARD_ENV_FD);
        if (!s) {
                fprintf(stderr, "guardian-worker: no %s\n", WARD__GUARD_ENV_FD);
                exit(99);
        }
        guard_fd = atoi(s);
        fcntl(guard_fd, F_SETFD, FD_CLOEXEC);
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_HELLO, getpid());
        ward__proc_stat(0, NULL, &m.start);
        m.value = heartbeat_ns;
        send_msg(&m, 1);
        struct ward__guard_msg ready;
        if (recv(guard_fd, &ready, sizeof(ready), 0) != sizeof(ready) ||
            ready.type != WARD__GUARD_READY) {
                fprintf(stderr, "guardian-worker: no READY\n");
                exit(98);
        }
        struct timeval tv = {.tv_sec = 10};
        setsockopt(guard_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        static char altstack[64 * 1024];
        stack_t st = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
        sigaltstack(&st, NULL);
        struct sigaction sa = {.sa_sigaction = on_crash, .sa_flags = SA_SIGINFO | SA_ONSTACK};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGABRT, &sa, NULL);
        struct ward__guard_msg started = ward__guard_msg_make(WARD__GUARD_STARTED, getpid());
        send_msg(&started, 0);
}

static void beat(uint64_t seq)
{
        struct ward__guard_msg m = ward__guard_msg_make(WARD__GUARD_BEAT, getpid());
        m.value = seq;
        send_msg(&m, 0);
}

__attribute__((noinline)) static void crash_here(void)
{
        volatile int *p = (volatile int *)16;
        *p = 1;
}

static ward_mutex a = WARD_MUTEX_INIT("guardian-a");
static ward_mutex b = WARD_MUTEX_INIT("guardian-b");
static pthread_barrier_t both;

static void *take_b_then_a(void *arg)
{
        (void)arg;
        ward_mutex_lock(&b);
        pthread_barrier_wait(&both);
        ward_mutex_lock(&a);
        return NULL;
}

static atomic_int deadlocking;
static int beater_tid;

/* others_sleep: is every thread but the beater asleep (S)? */
static int others_sleep(void)
{
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;
        int all = 1;
        while (d && (e = readdir(d)) != NULL) {
                int tid = atoi(e->d_name);
                char path[64], buf[512];
                if (tid <= 0 || tid == beater_tid) {
                        continue;
                }
                snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
                FILE *f = fopen(path, "r");
                char *rp = f && fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
                all &= rp && rp[1] == ' ' && rp[2] == 'S';
                if (f) {
                        fclose(f);
                }
        }
        if (d) {
                closedir(d);
        }
        return all;
}

/* beater: beats every 100 ms until the deadlock is in place, then stops */
static void *beater(void *arg)
{
        (void)arg;
        beater_tid = (int)syscall(SYS_gettid);
        for (uint64_t i = 0;; i++) {
                beat(i);
                usleep(100 * 1000);
                if (atomic_load(&deadlocking) && others_sleep()) {
                        return NULL;
                }
        }
}

static void hang(void)
{
        pthread_t t, bt;
        pthread_create(&bt, NULL, beater, NULL);
        usleep(300 * 1000);
        pthread_barrier_init(&both, NULL, 2);
        ward_mutex_lock(&a);
        pthread_create(&t, NULL, take_b_then_a, NULL);
        pthread_barrier_wait(&both);
        atomic_store(&deadlocking, 1);
        ward_mutex_lock(&b); /* the deadlock */
}

static void shm_crash(void)
{
        struct ward_trace_options o = {.size = sizeof(o), .dir = getenv("TRACE_DIR")};
        if (ward_trace_start(&o) < 0) {
                exit(97);
        }
        WARD_TRACE(WARD_TRACE_INFO, "guardian-worker about to crash");
        ward_mutex_lock(&a);
        crash_here();
}

static void on_term(int sig)
{
        (void)sig;
        _exit(term_code);
}

/* count_start: a line appended to COUNT_FILE; how many starts so far */
static int count_start(void)
{
        const char *f = getenv("COUNT_FILE");
        int fd = f ? open(f, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
        if (fd < 0) {
                return 1;
        }
        char line[32], c;
        int n = snprintf(line, sizeof(line), "%d\n", (int)getpid()), lines = 0;
        (void)!write(fd, line, (size_t)n);
        lseek(fd, 0, SEEK_SET);
        while (read(fd, &c, 1) == 1) {
                lines += c == '\n';
        }
        close(fd);
        return lines;
}

static void listen_info(void)
{
        const char *fd = getenv("WARD_LISTEN_FD"), *addr = getenv("WARD_LISTEN_ADDRESS");
        int type = 0, acc = 0;
        socklen_t len = sizeof(type);
        if (fd && getsockopt(atoi(fd), SOL_SOCKET, SO_TYPE, &type, &len) == 0) {
                len = sizeof(acc);
                getsockopt(atoi(fd), SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
        }
        printf("%s %d %d %s\n", type == SOCK_SEQPACKET ? "seqpacket" : "none", acc,
               getenv(WARD__GUARD_ENV_FD) != NULL, addr ? addr : "-");
}

int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "";
        int n = argc > 2 ? atoi(argv[2]) : 0;
        int starts = count_start();
        const char *until = getenv("CRASH_UNTIL");
        if (strcmp(mode, "term") == 0) {
                term_code = n;
                signal(SIGTERM, on_term);
        }
        if (strcmp(mode, "stubborn") == 0) {
                signal(SIGTERM, SIG_IGN);
        }
        if (strcmp(mode, "plain") == 0) {
                return n;
        }
        if (strcmp(mode, "liar") == 0) {
                liar();
        }
        if (strcmp(mode, "listen") == 0) {
                listen_info();
                return 0;
        }
        handshake(strcmp(mode, "hang") == 0 ? 300 * 1000000ull : 0);
        if (strcmp(mode, "crash") == 0) {
                if (until && starts >= atoi(until)) {
                        return 0;
                }
                crash_here();
        } else if (strcmp(mode, "exit") == 0) {
                return n;
        } else if (strcmp(mode, "bad-tid") == 0) {
                bad_tid();
        } else if (strcmp(mode, "hang") == 0) {
                hang();
        } else if (strcmp(mode, "shm-crash") == 0) {
                shm_crash();
        } else if (strcmp(mode, "term") == 0 || strcmp(mode, "stubborn") == 0) {
                for (;;) {
                        pause();
                }
        }
        fprintf(stderr, "guardian-worker: unknown mode '%s'\n", mode);
        return 2;
}
