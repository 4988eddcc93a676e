/* 1000 connect / call / close cycles against one server: no descriptor, no
 * connection and no memory is left behind on either side. The server runs in a
 * child and reports its own connection count, descriptor count and RSS over a
 * pipe when asked. */
#include <sys/epoll.h>
#include <sys/resource.h>

#include "ipc-util.h"

#define CYCLES 1000
#define WARMUP 100
#define RSS_SLACK (8l << 20)

/* Under ASan freed memory sits in the quarantine (256 MiB by default), so RSS
 * grows with every free: the RSS bound is checked in normal builds only, and
 * LeakSanitizer looks for leaks in ASan builds. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

struct report {
        int count;
        int fds;
        long rss;
};

static int cmd_fd = -1, report_fd = -1;

/* ---- server (child) ---- */

static void on_cmd(ward_source *s, int fd, uint32_t events, void *arg)
{
        (void)arg, (void)events;
        char b;
        ssize_t n = read(fd, &b, 1);
        if (n <= 0) {
                ward_source_free(s); /* the test is gone */
                return;
        }
        struct report r = {.count = ward_ipc_server_count(tu_child_srv),
                           .fds = tu_count_fds(),
                           .rss = tu_rss_bytes()};
        tu_write_full(report_fd, &r, sizeof(r));
}

static void setup(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)srv, (void)arg;
        ASSERT_OK(ward_loop_add_io(loop, cmd_fd, EPOLLIN, on_cmd, NULL, NULL));
}

/* ---- client ---- */

static struct report ask(int to, int from)
{
        struct report r;
        tu_write_full(to, "r", 1);
        ASSERT_EQ(tu_read_full(from, &r, sizeof(r), 5000), sizeof(r));
        return r;
}

/* ask_settled: the server closes a connection when it sees the socket go, which
 * may be a moment after our close returns: ask until it has caught up. */
static struct report ask_settled(int to, int from, int want_fds)
{
        uint64_t t0 = ward_now_ns();
        struct report r;
        do {
                r = ask(to, from);
                if (r.count == 0 && (want_fds < 0 || r.fds == want_fds)) {
                        break;
                }
                tu_sleep_ms(10);
        } while (tu_ms_since(t0) < 3000);
        return r;
}

static void one_cycle(const char *addr, int i)
{
        ward_ipc_conn *c;
        int r = ward_ipc_connect(addr, NULL, &c);
        if (r < 0) {
                TEST_FAIL("cycle %d: connect: %s", i, ward_strerror(r));
        }
        tu_client_calls(c, 1, 64);
        ward_ipc_conn_close(c);
}

TEST(thousand_cycles)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "cycles");
        int cmd[2], rep[2];
        tu_pipe(cmd);
        tu_pipe(rep);
        cmd_fd = cmd[0];
        report_fd = rep[1];
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1, .setup = setup};
        pid_t srv = tu_server_start(&cfg);
        close(cmd[0]);
        close(rep[1]);

        struct report s0 = ask(cmd[1], rep[0]);
        ASSERT_EQ(s0.count, 0);
        int fds0 = tu_count_fds();
        long rss_warm = 0;
        struct report s_warm = {0};
        uint64_t t0 = ward_now_ns();
        for (int i = 1; i <= CYCLES; i++) {
                one_cycle(addr, i);
                if (i == WARMUP) {
                        rss_warm = tu_rss_bytes();
                        s_warm = ask_settled(cmd[1], rep[0], -1);
                }
        }
        long rss_end = tu_rss_bytes();
        int fds_end = tu_count_fds();
        struct report s_end = ask_settled(cmd[1], rep[0], s0.fds);
        fprintf(stderr,
                "   %d cycles in %" PRIu64 " ms\n"
                "   client: fds %d -> %d, rss %ld KiB at cycle %d -> %ld KiB\n"
                "   server: count %d, fds %d -> %d, rss %ld KiB at cycle %d -> %ld KiB\n",
                CYCLES, tu_ms_since(t0), fds0, fds_end, rss_warm >> 10, WARMUP, rss_end >> 10,
                s_end.count, s0.fds, s_end.fds, s_warm.rss >> 10, WARMUP, s_end.rss >> 10);
        ASSERT_EQ(fds_end, fds0);
        ASSERT_EQ(s_end.count, 0);
        ASSERT_EQ(s_end.fds, s0.fds);
        if (UNDER_ASAN) {
                fprintf(stderr, "   note: ASan build, RSS bound not checked (quarantine)\n");
        } else {
                ASSERT_LE(rss_end - rss_warm, RSS_SLACK);
                ASSERT_LE(s_end.rss - s_warm.rss, RSS_SLACK);
        }

        close(cmd[1]);
        close(rep[0]);
        tu_server_stop(srv);
}

/* Cycles where the client never calls, and where it leaves a call unanswered
 * at close: the server still ends with nothing. */
static void hold(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c, (void)m, (void)arg;
}

static int cancelled;
static void on_cancel(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c, (void)reply, (void)arg;
        ASSERT_ERRNO(status, ECANCELED);
        cancelled++;
}

TEST(cycles_with_pending_calls)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "cycles-pending");
        int cmd[2], rep[2];
        tu_pipe(cmd);
        tu_pipe(rep);
        cmd_fd = cmd[0];
        report_fd = rep[1];
        struct tu_server cfg = {.addr = addr, .on_msg = hold, .setup = setup};
        pid_t srv = tu_server_start(&cfg);
        close(cmd[0]);
        close(rep[1]);
        struct report s0 = ask(cmd[1], rep[0]);
        int fds0 = tu_count_fds();
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        for (int i = 0; i < 200; i++) {
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
                if (i % 2) {
                        ASSERT_OK(ward_ipc_conn_attach(c, loop));
                        ASSERT_OK(
                            ward_ipc_call_async(c, "held", 4, 10 * TU_SEC, on_cancel, NULL, NULL));
                } else {
                        ASSERT_OK(ward_ipc_send(c, "one-way", 7));
                }
                ward_ipc_conn_close(c);
        }
        ASSERT_OK(ward_loop_run_once(loop, 0));
        ASSERT_EQ(cancelled, 100);
        ward_loop_free(loop);
        ASSERT_EQ(tu_count_fds(), fds0);
        struct report s_end = ask_settled(cmd[1], rep[0], s0.fds);
        ASSERT_EQ(s_end.count, 0);
        ASSERT_EQ(s_end.fds, s0.fds);
        close(cmd[1]);
        close(rep[0]);
        tu_server_stop(srv);
}

/* ---- running out of descriptors ---- */

/* limit_fds: exactly `extra` more descriptors can be opened: every number up
 * to the highest in use is filled (descriptors take the lowest free number),
 * and the limit is set just above. */
static void limit_fds(int extra)
{
        int fd, top = -1;
        DIR *d = opendir("/proc/self/fd");
        ASSERT_TRUE(d != NULL);
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
                if (e->d_name[0] != '.' && atoi(e->d_name) > top) {
                        top = atoi(e->d_name);
                }
        }
        closedir(d);
        while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < top) {
                ASSERT_SYS(fd);
        }
        close(fd);
        struct rlimit rl;
        ASSERT_SYS(getrlimit(RLIMIT_NOFILE, &rl));
        rl.rlim_cur = (rlim_t)(top + 1 + extra);
        ASSERT_SYS(setrlimit(RLIMIT_NOFILE, &rl));
}

/* unlimit_fds: back to the hard limit, so that exit-time checkers (LeakSanitizer
 * opens files and pipes) can work. */
static void unlimit_fds(void)
{
        struct rlimit rl;
        ASSERT_SYS(getrlimit(RLIMIT_NOFILE, &rl));
        rl.rlim_cur = rl.rlim_max;
        ASSERT_SYS(setrlimit(RLIMIT_NOFILE, &rl));
}

/* A server that cannot create a connection's descriptors: the client gets an
 * error at once (not a hang), and the server lives on. */
static void setup_starved(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)loop, (void)srv, (void)arg;
        limit_fds(1); /* room to accept the socket, none for the connection's memfd */
}

static void teardown_starved(void *arg)
{
        (void)arg;
        unlimit_fds();
}

TEST(server_out_of_descriptors)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "server-emfile");
        struct tu_server cfg = {.addr = addr,
                                .on_msg = tu_echo_plus1,
                                .setup = setup_starved,
                                .teardown = teardown_starved};
        pid_t srv = tu_server_start(&cfg);
        for (int i = 0; i < 3; i++) {
                ward_ipc_conn *c = NULL;
                uint64_t t0 = ward_now_ns();
                int r = ward_ipc_connect(addr, NULL, &c);
                fprintf(stderr, "   connect to a starved server: %d (%s) after %" PRIu64 " ms\n", r,
                        ward_strerror(r), tu_ms_since(t0));
                ASSERT_TRUE(r < 0 && r != -ETIMEDOUT);
                ASSERT_TRUE(c == NULL);
        }
        tu_server_stop(srv);
}

/* Last in the file (a failure ends the executable). A client that runs out of
 * descriptors while connecting (it needs a socket, then the memfd and the
 * doorbell the server hands over) gets the documented -EMFILE. When it has room
 * for the socket but not for those two, the kernel drops what it cannot install and flags the
 * message truncated: that is still -EMFILE, not the server's fault. */
TEST(client_out_of_descriptors)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "client-emfile");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        for (int extra = 0; extra <= 4; extra++) {
                int p[2];
                tu_pipe(p);
                pid_t pid = tu_fork();
                if (pid == 0) {
                        close(p[0]);
                        limit_fds(extra);
                        ward_ipc_conn *c = NULL;
                        int r = ward_ipc_connect(addr, NULL, &c);
                        ward_ipc_conn_close(c);
                        unlimit_fds();
                        tu_write_full(p[1], &r, sizeof(r));
                        exit(0);
                }
                close(p[1]);
                int r;
                ASSERT_EQ(tu_read_full(p[0], &r, sizeof(r), 10000), sizeof(r));
                close(p[0]);
                tu_expect_exit0(pid, 5000);
                fprintf(stderr, "   %d spare descriptors: connect returned %d (%s)\n", extra, r,
                        ward_strerror(r));
                ASSERT_EQ(r, extra < 3 ? -EMFILE : 0); /* a socket, the memfd, the doorbell */
        }
        /* the server is unharmed */
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        tu_client_calls(c, 3, 10);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST_MAIN()
