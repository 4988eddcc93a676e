/* tests/ipc/ipc-util.h: what the IPC tests share.
 *
 * Children: tu_fork() makes a child that dies with the test (PR_SET_PDEATHSIG)
 * and is killed and reaped at exit if a test fails before reaping it.
 * Servers: tu_server_start() forks a child that serves an address on its own
 * ward_loop until SIGTERM (handled through ward_loop_add_signal), then frees
 * everything and exits 0, or 1 when a check inside it failed.
 * Everything is static inline so that each test uses only what it needs.
 */
#ifndef WARD_TESTS_IPC_UTIL_H
#define WARD_TESTS_IPC_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/ipc.h>
#include <ward/loop.h>

#include "test.h"

#define TU_MS 1000000ull
#define TU_SEC 1000000000ull
#define TU_MAX_CHILDREN 64

static pid_t tu_children[TU_MAX_CHILDREN];
static int tu_nchildren;
static pid_t tu_owner;

/* Runs at exit (a failed assert exits): no child outlives its test. */
static inline void tu_kill_all(void)
{
        if (getpid() != tu_owner) {
                return;
        }
        for (int i = 0; i < tu_nchildren; i++) {
                kill(tu_children[i], SIGKILL);
                waitpid(tu_children[i], NULL, 0);
        }
        tu_nchildren = 0;
}

static inline void tu_forget(pid_t pid)
{
        for (int i = 0; i < tu_nchildren; i++) {
                if (tu_children[i] == pid) {
                        tu_children[i] = tu_children[--tu_nchildren];
                        return;
                }
        }
}

static inline pid_t tu_fork(void)
{
        if (tu_owner == 0) {
                atexit(tu_kill_all);
        }
        tu_owner = getpid();
        ASSERT_TRUE(tu_nchildren < TU_MAX_CHILDREN);
        pid_t parent = getpid();
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                tu_owner = getpid();
                tu_nchildren = 0;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent) {
                        _exit(1);
                }
                return 0;
        }
        tu_children[tu_nchildren++] = pid;
        return pid;
}

static inline uint64_t tu_ms_since(uint64_t t0)
{
        return (ward_now_ns() - t0) / TU_MS;
}

static inline void tu_sleep_ms(unsigned ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
}

/* tu_wait: reap pid within timeout_ms; a child that does not exit in time is
 * killed and the test fails. Returns the wait status. */
static inline int tu_wait(pid_t pid, unsigned timeout_ms)
{
        uint64_t t0 = ward_now_ns();
        int status;
        for (;;) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                ASSERT_SYS(r);
                if (r == pid) {
                        tu_forget(pid);
                        return status;
                }
                if (tu_ms_since(t0) > timeout_ms) {
                        TEST_FAIL("child %d did not exit within %u ms", (int)pid, timeout_ms);
                }
                tu_sleep_ms(1);
        }
}

/* tu_try_reap: 1 and *status if pid has exited, 0 if it still runs. */
static inline int tu_try_reap(pid_t pid, int *status)
{
        pid_t r = waitpid(pid, status, WNOHANG);
        ASSERT_SYS(r);
        if (r == pid) {
                tu_forget(pid);
                return 1;
        }
        return 0;
}

static inline void tu_check_exit0(pid_t pid, int status)
{
        if (WIFSIGNALED(status)) {
                TEST_FAIL("child %d killed by signal %d", (int)pid, WTERMSIG(status));
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                TEST_FAIL("child %d exited with status %d", (int)pid, WEXITSTATUS(status));
        }
}

static inline void tu_expect_exit0(pid_t pid, unsigned timeout_ms)
{
        tu_check_exit0(pid, tu_wait(pid, timeout_ms));
}

static inline int tu_kill(pid_t pid)
{
        kill(pid, SIGKILL);
        int status;
        ASSERT_SYS(waitpid(pid, &status, 0));
        tu_forget(pid);
        return status;
}

static inline void tu_pipe(int fds[2])
{
        ASSERT_SYS(pipe2(fds, O_CLOEXEC));
}

/* tu_read_full: read exactly len bytes within timeout_ms. Returns len, 0 on
 * EOF before len bytes, or -ETIMEDOUT. */
static inline ssize_t tu_read_full(int fd, void *buf, size_t len, unsigned timeout_ms)
{
        uint64_t t0 = ward_now_ns();
        size_t got = 0;
        while (got < len) {
                uint64_t spent = tu_ms_since(t0);
                if (spent >= timeout_ms) {
                        return -ETIMEDOUT;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, (int)(timeout_ms - spent));
                if (r < 0 && errno == EINTR) {
                        continue;
                }
                ASSERT_SYS(r);
                if (r == 0) {
                        continue;
                }
                ssize_t n = read(fd, (char *)buf + got, len - got);
                if (n < 0 && errno == EINTR) {
                        continue;
                }
                ASSERT_SYS(n);
                if (n == 0) {
                        return 0;
                }
                got += (size_t)n;
        }
        return (ssize_t)len;
}

static inline void tu_write_full(int fd, const void *buf, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = write(fd, (const char *)buf + done, len - done);
                if (n < 0 && errno == EINTR) {
                        continue;
                }
                ASSERT_SYS(n);
                done += (size_t)n;
        }
}

/* tu_addr: a unique abstract address for this test process. */
static inline void tu_addr(char *buf, size_t size, const char *name)
{
        int n = snprintf(buf, size, "@ward-test-%d-%s", (int)getpid(), name);
        ASSERT_TRUE(n > 0 && (size_t)n < size);
}

static inline struct ward_ipc_options tu_opts(enum ward_ipc_wait wait)
{
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.wait = wait;
        return o;
}

/* tu_connect_attached: a new loop and a default connection to addr attached
 * to it, for tests that take replies and pushes through a loop. */
static inline void tu_connect_attached(const char *addr, ward_loop **ret_loop,
                                       ward_ipc_conn **ret_conn)
{
        ASSERT_OK(ward_loop_new(ret_loop));
        ASSERT_OK(ward_ipc_connect(addr, NULL, ret_conn));
        ASSERT_OK(ward_ipc_conn_attach(*ret_conn, *ret_loop));
}

/* tu_readable: is fd readable right now? */
static inline int tu_readable(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        return poll(&p, 1, 0) == 1;
}

static inline const char *tu_wait_name(unsigned wait)
{
        switch (wait) {
        case WARD_IPC_WAIT_BLOCK:
                return "BLOCK";
        case WARD_IPC_WAIT_SPIN_THEN_BLOCK:
                return "SPIN_THEN_BLOCK";
        case WARD_IPC_WAIT_SPIN:
                return "SPIN";
        default:
                return "?";
        }
}

/* A deterministic byte pattern, different for each length and seed. */
static inline uint8_t tu_pattern(size_t i, size_t len, unsigned seed)
{
        return (uint8_t)((i * 131u) ^ (i >> 8) ^ (len * 7u) ^ (seed * 29u));
}

static inline void tu_fill(uint8_t *p, size_t len, unsigned seed)
{
        for (size_t i = 0; i < len; i++) {
                p[i] = tu_pattern(i, len, seed);
        }
}

/* tu_check_pattern: -1 if p holds the pattern plus add, else the first bad index. */
static inline long tu_check_pattern(const uint8_t *p, size_t len, unsigned seed, uint8_t add)
{
        for (size_t i = 0; i < len; i++) {
                if (p[i] != (uint8_t)(tu_pattern(i, len, seed) + add)) {
                        return (long)i;
                }
        }
        return -1;
}

static inline uint64_t tu_rand(uint64_t *state)
{
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        return x;
}

static inline void tu_scribble(void *p, size_t len, uint64_t seed)
{
        uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
        uint8_t *b = p;
        for (size_t i = 0; i < len; i += 8) {
                uint64_t v = tu_rand(&st);
                memcpy(b + i, &v, len - i < 8 ? len - i : 8);
        }
}

static inline int tu_count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        ASSERT_TRUE(d != NULL);
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] != '.') {
                        n++;
                }
        }
        closedir(d);
        return n - 1; /* the directory's own fd */
}

static inline long tu_rss_bytes(void)
{
        FILE *f = fopen("/proc/self/statm", "re");
        ASSERT_TRUE(f != NULL);
        long size = 0, rss = 0;
        ASSERT_EQ(fscanf(f, "%ld %ld", &size, &rss), 2);
        fclose(f);
        return rss * sysconf(_SC_PAGESIZE);
}

/* ---- a server in a child process ---- */

struct tu_server {
        const char *addr;
        const struct ward_ipc_options *opts; /* NULL: defaults */
        ward_ipc_msg_fn on_msg;
        void *arg;
        /* optional, run in the child once the server exists / once its loop
         * has stopped, before everything is freed */
        void (*setup)(ward_loop *loop, ward_ipc_server *srv, void *arg);
        void (*teardown)(void *arg);
};

/* The child's loop and server, for handlers that need them. */
static ward_loop *tu_child_loop;
static ward_ipc_server *tu_child_srv;
static int tu_child_failed;

static inline void tu_on_sigterm(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si;
        (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

static inline void tu_block_signal(int signo)
{
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, signo);
        ASSERT_SYS(sigprocmask(SIG_BLOCK, &ss, NULL));
}

static inline void tu_server_child(const struct tu_server *cfg, int ready_fd)
{
        tu_block_signal(SIGTERM);
        ASSERT_OK(ward_loop_new(&tu_child_loop));
        ASSERT_OK(ward_ipc_server_new(tu_child_loop, cfg->addr, cfg->opts, cfg->on_msg, cfg->arg,
                                      &tu_child_srv));
        ASSERT_OK(ward_loop_add_signal(tu_child_loop, SIGTERM, tu_on_sigterm, NULL, NULL));
        if (cfg->setup) {
                cfg->setup(tu_child_loop, tu_child_srv, cfg->arg);
        }
        tu_write_full(ready_fd, "r", 1);
        close(ready_fd);
        int r = ward_loop_run(tu_child_loop);
        if (r < 0) {
                fprintf(stderr, "server child: ward_loop_run: %s\n", ward_strerror(r));
        }
        if (cfg->teardown) {
                cfg->teardown(cfg->arg);
        }
        tu_child_srv = ward_ipc_server_free(tu_child_srv);
        tu_child_loop = ward_loop_free(tu_child_loop);
        exit(r < 0 || tu_child_failed ? 1 : 0);
}

/* tu_server_start: fork a server child; returns once it listens. */
static inline pid_t tu_server_start(const struct tu_server *cfg)
{
        int p[2];
        tu_pipe(p);
        pid_t pid = tu_fork();
        if (pid == 0) {
                close(p[0]);
                tu_server_child(cfg, p[1]);
        }
        close(p[1]);
        char b;
        ssize_t n = tu_read_full(p[0], &b, 1, 5000);
        close(p[0]);
        if (n != 1) {
                TEST_FAIL("server child for %s did not start", cfg->addr);
        }
        return pid;
}

/* tu_server_stop: SIGTERM, and the child must exit 0 within 5 s. */
static inline void tu_server_stop(pid_t pid)
{
        ASSERT_SYS(kill(pid, SIGTERM));
        tu_expect_exit0(pid, 5000);
}

/* A check inside a server child: report and remember, the child exits 1. */
#define TU_CHILD_CHECK(e)                                                                          \
        do {                                                                                       \
                if (!(e)) {                                                                        \
                        fprintf(stderr, "%s:%d: server child: %s is false\n", __FILE__, __LINE__,  \
                                #e);                                                               \
                        tu_child_failed = 1;                                                       \
                }                                                                                  \
        } while (0)

/* ---- an in-process server driven by ward_loop_run_once ---- */

/* tu_drive_child: run loop until child pid exits (within timeout_ms); returns
 * its wait status. */
static inline int tu_drive_child(ward_loop *loop, pid_t pid, unsigned timeout_ms)
{
        uint64_t t0 = ward_now_ns();
        int status;
        while (!tu_try_reap(pid, &status)) {
                if (tu_ms_since(t0) > timeout_ms) {
                        TEST_FAIL("child %d did not finish within %u ms", (int)pid, timeout_ms);
                }
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS));
        }
        return status;
}

/* tu_drive_ms: run loop for ms milliseconds. */
static inline void tu_drive_ms(ward_loop *loop, unsigned ms)
{
        uint64_t t0 = ward_now_ns();
        while (tu_ms_since(t0) < ms) {
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS));
        }
}

/* ---- a well-behaved client ---- */

/* An echo handler: replies with each byte + 1 and status = length. */
static inline void tu_echo_plus1(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        if (id == 0) {
                return;
        }
        size_t len = ward_ipc_msg_len(m);
        const uint8_t *in = ward_ipc_msg_data(m);
        uint8_t *out = malloc(len ? len : 1);
        if (!out) {
                return;
        }
        for (size_t i = 0; i < len; i++) {
                out[i] = (uint8_t)(in[i] + 1);
        }
        int r = ward_ipc_reply(c, id, (int32_t)len, out, len);
        (void)r;
        free(out);
}

/* An in-process server driven by the test with ward_loop_run_once: it counts
 * one-way messages and closed connections, and answers requests with
 * tu_echo_plus1. For tests that play a hostile client against it. */
struct tu_inproc {
        char addr[108];
        ward_loop *loop;
        ward_ipc_server *srv;
        int oneway_seen;
        int closed_events;
        int last_closed_error;
};

static inline void tu_inproc_on_msg(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        struct tu_inproc *s = arg;
        if (ward_ipc_msg_call_id(m) == 0) {
                s->oneway_seen++;
                return;
        }
        tu_echo_plus1(c, m, NULL);
}

static inline void tu_inproc_on_conn(ward_ipc_conn *c, int event, int error, void *arg)
{
        struct tu_inproc *s = arg;
        (void)c;
        if (event == WARD_IPC_CLOSED) {
                s->closed_events++;
                s->last_closed_error = error;
        }
}

static inline void tu_inproc_open(struct tu_inproc *s, const char *tag,
                                  const struct ward_ipc_options *o)
{
        memset(s, 0, sizeof(*s));
        tu_addr(s->addr, sizeof(s->addr), tag);
        ASSERT_OK(ward_loop_new(&s->loop));
        ASSERT_OK(ward_ipc_server_new(s->loop, s->addr, o, tu_inproc_on_msg, s, &s->srv));
        ASSERT_OK(ward_ipc_server_set_conn_handler(s->srv, tu_inproc_on_conn, s));
}

static inline void tu_inproc_close(struct tu_inproc *s)
{
        ward_ipc_server_free(s->srv);
        ward_loop_free(s->loop);
}

/* tu_client_calls: n calls of len bytes against a tu_echo_plus1 server;
 * every reply checked. */
static inline void tu_client_calls(ward_ipc_conn *c, int n, size_t len)
{
        uint8_t *buf = malloc(len ? len : 1);
        ASSERT_TRUE(buf != NULL);
        for (int i = 0; i < n; i++) {
                tu_fill(buf, len, (unsigned)i);
                const ward_ipc_msg *rep;
                ASSERT_OK(ward_ipc_call(c, buf, len, 5 * TU_SEC, &rep));
                ASSERT_EQ(ward_ipc_msg_status(rep), len);
                ASSERT_EQ(ward_ipc_msg_len(rep), len);
                ASSERT_EQ(tu_check_pattern(ward_ipc_msg_data(rep), len, (unsigned)i, 1), -1);
                ward_ipc_msg_release(c, rep);
        }
        free(buf);
}

/* tu_good_client: fork a child that connects to addr, makes n checked calls
 * against a tu_echo_plus1 server and exits 0. */
static inline pid_t tu_good_client(const char *addr, int n)
{
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
                tu_client_calls(c, n, 100);
                ward_ipc_conn_close(c);
                exit(0);
        }
        return pid;
}

#endif
