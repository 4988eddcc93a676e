/* Zero-downtime restart: a process playing the guardian owns the listening
 * socket and hands it to each server it starts (WARD_LISTEN_FD and
 * WARD_LISTEN_ADDRESS); it SIGKILLs a server while a call is in flight and
 * starts the next. A client made with options.reconnect keeps calling: every
 * idempotent call is answered, none sees a refused connection; a call not
 * marked idempotent that was in flight ends with -ECONNRESET, and the next
 * one reconnects. Also: what a server does with a descriptor it must not
 * adopt, and systemd's LISTEN_FDS. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ipc-util.h"

#define NGEN 3
#define NCALLS 150

struct req {
        uint32_t seq;
        uint32_t hold_gen; /* the server of generation hold_gen - 1 holds it and tells */
};

static int worker_gen;
static int hold_fd = -1;

/* The server: answers seq with status = its generation (1000 when the
 * handed-down variables were left in its environment); holds the request
 * meant to be held and tells the guardian, which kills it. */
static void on_req(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        struct req r;
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        if (id == 0 || ward_ipc_msg_len(m) != sizeof(r)) {
                TU_CHILD_CHECK(0);
                return;
        }
        memcpy(&r, ward_ipc_msg_data(m), sizeof(r));
        if (r.hold_gen == (uint32_t)worker_gen + 1) {
                tu_write_full(hold_fd, "h", 1);
                return;
        }
        int leaked = getenv("WARD_LISTEN_FD") || getenv("WARD_LISTEN_ADDRESS");
        TU_CHILD_CHECK(ward_ipc_reply(c, id, leaked ? 1000 : worker_gen, &r.seq, sizeof(r.seq)) ==
                       0);
}

/* listen_at: what a guardian does once: bind and listen on path, the
 * descriptor inheritable. */
static int listen_at(const char *path)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        ASSERT_TRUE(strlen(path) < sizeof(sun.sun_path));
        strcpy(sun.sun_path, path);
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        ASSERT_SYS(s);
        ASSERT_SYS(bind(s, (struct sockaddr *)&sun, sizeof(sun)));
        ASSERT_SYS(listen(s, 64));
        return s;
}

static void set_listen_env(int fd, const char *addr)
{
        char n[16];
        snprintf(n, sizeof(n), "%d", fd);
        ASSERT_SYS(setenv("WARD_LISTEN_FD", n, 1));
        ASSERT_SYS(setenv("WARD_LISTEN_ADDRESS", addr, 1));
}

/* guardian: start NGEN servers in turn on one socket; kill each but the last
 * once it holds a request; stop the last when done_fd says so. The socket
 * file must still be there: no server unlinked what it did not bind. */
static void guardian(const char *addr, const char *path, int done_fd)
{
        int ls = listen_at(path);
        set_listen_env(ls, addr);
        for (worker_gen = 0; worker_gen < NGEN; worker_gen++) {
                int hp[2];
                char b;
                tu_pipe(hp);
                hold_fd = hp[1];
                struct tu_server cfg = {.addr = addr, .on_msg = on_req};
                pid_t pid = tu_server_start(&cfg);
                close(hp[1]);
                if (worker_gen < NGEN - 1) {
                        ASSERT_EQ(tu_read_full(hp[0], &b, 1, 60000), 1);
                        tu_kill(pid);
                } else {
                        ASSERT_EQ(tu_read_full(done_fd, &b, 1, 60000), 1);
                        tu_server_stop(pid);
                }
                close(hp[0]);
        }
        struct stat st;
        ASSERT_SYS(stat(path, &st));
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        unlink(path);
        exit(0);
}

/* expected_gen: which server answers call seq: the first until the held call
 * 50 (sent again to the second), the second until the call 100 it held. */
static int expected_gen(uint32_t seq)
{
        return seq < 50 ? 0 : seq < 100 ? 1 : 2;
}

TEST(calls_survive_restarts)
{
        char addr[108], path[96];
        snprintf(path, sizeof(path), "/tmp/ward-handoff-%d.sock", (int)getpid());
        snprintf(addr, sizeof(addr), "unix:%s", path);
        unlink(path);
        int dp[2];
        tu_pipe(dp);
        pid_t g = tu_fork();
        if (g == 0) {
                close(dp[1]);
                guardian(addr, path, dp[0]);
        }
        close(dp[0]);
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.reconnect = 1;
        o.connect_timeout_ns = 30 * TU_SEC;
        ward_ipc_conn *c;
        uint64_t t0 = ward_now_ns();
        int r;
        while ((r = ward_ipc_connect(addr, &o, &c)) == -ENOENT && tu_ms_since(t0) < 30000) {
                tu_sleep_ms(5); /* the guardian has not bound yet */
        }
        ASSERT_OK(r);
        for (uint32_t seq = 0; seq < NCALLS; seq++) {
                struct req q = {.seq = seq, .hold_gen = seq == 50 ? 1 : seq == 100 ? 2 : 0};
                const ward_ipc_msg *rep;
                unsigned flags = seq == 100 ? 0 : WARD_IPC_CALL_IDEMPOTENT;
                r = ward_ipc_call_flags(c, &q, sizeof(q), 60 * TU_SEC, flags, &rep);
                if (seq == 100) {
                        ASSERT_ERRNO(r, ECONNRESET); /* not idempotent: not sent again */
                        continue;
                }
                if (r != 0) {
                        TEST_FAIL("call %u: %s", seq, ward_strerror(r));
                }
                uint32_t got;
                ASSERT_EQ(ward_ipc_msg_len(rep), sizeof(got));
                memcpy(&got, ward_ipc_msg_data(rep), sizeof(got));
                ASSERT_EQ(got, seq);
                ASSERT_EQ(ward_ipc_msg_status(rep), expected_gen(seq));
        }
        tu_write_full(dp[1], "d", 1);
        close(dp[1]);
        ward_ipc_conn_close(c);
        tu_expect_exit0(g, 60000);
}

static void on_async(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        int *out = arg;
        *out = status < 0 ? status : reply && ward_ipc_msg_len(reply) == 1 ? 1 : -EPROTO;
}

/* A connection attached to a loop reconnects too: detached from the old
 * channel, attached with the new one, its replies still come by the loop. */
TEST(attached_connection_reconnects)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "attached");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.reconnect = 1;
        ward_loop *loop;
        ward_ipc_conn *c;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        ASSERT_OK(ward_ipc_conn_attach(c, loop));
        int got = 0;
        ASSERT_OK(ward_ipc_call_async(c, "a", 1, 5 * TU_SEC, on_async, &got, NULL));
        uint64_t t0 = ward_now_ns();
        while (got == 0 && tu_ms_since(t0) < 10000) {
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS));
        }
        ASSERT_EQ(got, 1);
        tu_kill(srv);
        t0 = ward_now_ns();
        while (ward_ipc_conn_get_error(c) == 0 && tu_ms_since(t0) < 10000) {
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS)); /* the loop sees the end */
        }
        ASSERT_ERRNO(ward_ipc_conn_get_error(c), ECONNRESET);
        srv = tu_server_start(&cfg); /* the next server, at the same address */
        got = 0;
        ASSERT_OK(ward_ipc_call_async(c, "a", 1, 5 * TU_SEC, on_async, &got, NULL));
        ASSERT_OK(ward_ipc_conn_get_error(c));
        t0 = ward_now_ns();
        while (got == 0 && tu_ms_since(t0) < 10000) {
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS));
        }
        ASSERT_EQ(got, 1);
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call_flags(c, "b", 1, 5 * TU_SEC, WARD_IPC_CALL_IDEMPOTENT, &rep));
        ASSERT_EQ(((const uint8_t *)ward_ipc_msg_data(rep))[0], 'c');
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* Without reconnect the connection ends with its server, as it always did. */
TEST(no_reconnect_by_default)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "plain");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        ASSERT_OK(ward_ipc_call_flags(c, "a", 1, 5 * TU_SEC, WARD_IPC_CALL_IDEMPOTENT, &rep));
        tu_kill(srv);
        srv = tu_server_start(&cfg);
        ASSERT_ERRNO(ward_ipc_call_flags(c, "a", 1, 5 * TU_SEC, WARD_IPC_CALL_IDEMPOTENT, &rep),
                     ECONNRESET);
        ASSERT_ERRNO(ward_ipc_call_flags(c, "a", 1, 5 * TU_SEC, 0x100, &rep), EINVAL);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

static int server_at(const char *addr)
{
        ward_loop *loop;
        ward_ipc_server *srv = NULL;
        ASSERT_OK(ward_loop_new(&loop));
        int r = ward_ipc_server_new(loop, addr, NULL, tu_echo_plus1, NULL, &srv);
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
        return r;
}

/* A handed-down descriptor is checked before it is used. */
TEST(inherited_fd_checked)
{
        char addr[108], other[108];
        tu_addr(addr, sizeof(addr), "checked");
        tu_addr(other, sizeof(other), "other");
        int p[2];
        tu_pipe(p);
        set_listen_env(p[0], addr); /* not a socket */
        ASSERT_ERRNO(server_at(addr), ENOTSOCK);
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0); /* a socket, not listening */
        ASSERT_SYS(s);
        set_listen_env(s, addr);
        ASSERT_ERRNO(server_at(addr), EBADF);
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        memcpy(sun.sun_path + 1, other + 1, strlen(other) - 1); /* listening elsewhere */
        ASSERT_SYS(bind(s, (struct sockaddr *)&sun,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(other))));
        ASSERT_SYS(listen(s, 4));
        ASSERT_ERRNO(server_at(addr), EBADF);
        ASSERT_TRUE(getenv("WARD_LISTEN_FD") != NULL); /* not adopted: left alone */
        set_listen_env(s, other);
        ASSERT_OK(server_at(addr)); /* meant for another address: ours is bound anew */
        ASSERT_TRUE(getenv("WARD_LISTEN_FD") != NULL);
        ASSERT_OK(server_at(other)); /* adopted, and the variables are gone */
        ASSERT_TRUE(getenv("WARD_LISTEN_FD") == NULL && getenv("WARD_LISTEN_ADDRESS") == NULL);
        set_listen_env(-5, addr);
        ASSERT_ERRNO(server_at(addr), EBADF);
        unsetenv("WARD_LISTEN_FD");
        unsetenv("WARD_LISTEN_ADDRESS");
        close(p[0]);
        close(p[1]);
}

/* systemd socket activation: LISTEN_PID, LISTEN_FDS, the socket at fd 3. */
TEST(systemd_activation)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "systemd");
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        ASSERT_SYS(s);
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        memcpy(sun.sun_path + 1, addr + 1, strlen(addr) - 1);
        ASSERT_SYS(bind(s, (struct sockaddr *)&sun,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr))));
        ASSERT_SYS(listen(s, 4));
        pid_t pid = tu_fork();
        if (pid == 0) {
                char n[16];
                if (s != 3) {
                        ASSERT_SYS(dup2(s, 3));
                        close(s);
                }
                snprintf(n, sizeof(n), "%d", (int)getpid());
                setenv("LISTEN_PID", n, 1);
                setenv("LISTEN_FDS", "1", 1);
                struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
                tu_server_child(&cfg, open("/dev/null", O_WRONLY | O_CLOEXEC));
        }
        close(s); /* only the child's copy listens now */
        ward_ipc_conn *c;
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        ASSERT_OK(ward_ipc_call(c, "a", 1, 5 * TU_SEC, &rep));
        ASSERT_EQ(((const uint8_t *)ward_ipc_msg_data(rep))[0], 'b');
        ward_ipc_conn_close(c);
        tu_server_stop(pid);
}

TEST_MAIN()
