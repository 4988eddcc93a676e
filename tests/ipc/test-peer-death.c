/* A peer that dies costs its own connection, at once, and nothing else:
 * a client blocked in a call learns of a killed server quickly; a server sees a
 * killed client's connection close and keeps serving others. */
#include <pthread.h>
#include <sys/prctl.h>

#include "core/procstat.h"
#include "ipc-util.h"

/* ---- (a) the server dies while the client waits ---- */

static int notify_fd = -1;

/* The server tells the test it holds the request, and never answers. */
static void on_hold(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c;
        (void)m;
        (void)arg;
        tu_write_full(notify_fd, "q", 1);
}

struct killer {
        pthread_t thread;
        int fd;
        pid_t victim;
        int sig; /* 0: SIGKILL */
        uint64_t killed_at;
        int ok;
};

/* Waits until the server holds the request, lets the client settle into its
 * wait, then kills the server. Touches no ward object. */
static void *killer_main(void *arg)
{
        struct killer *k = arg;
        char b;
        struct pollfd p = {.fd = k->fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1 || read(k->fd, &b, 1) != 1) {
                return NULL;
        }
        tu_sleep_ms(30);
        k->killed_at = ward_now_ns();
        k->ok = kill(k->victim, k->sig ? k->sig : SIGKILL) == 0;
        return NULL;
}

static pid_t start_holding_server(const char *addr, const struct ward_ipc_options *o, int *ret_fd)
{
        int p[2];
        tu_pipe(p);
        notify_fd = p[1];
        struct tu_server cfg = {.addr = addr, .opts = o, .on_msg = on_hold};
        pid_t srv = tu_server_start(&cfg);
        close(p[1]);
        *ret_fd = p[0];
        return srv;
}

static void expect_dead_conn(ward_ipc_conn *c)
{
        const ward_ipc_msg *rep;
        ASSERT_ERRNO(ward_ipc_conn_get_error(c), ECONNRESET);
        uint64_t t0 = ward_now_ns();
        ASSERT_ERRNO(ward_ipc_call(c, "y", 1, 5 * TU_SEC, &rep), ECONNRESET);
        ASSERT_ERRNO(ward_ipc_send(c, "z", 1), ECONNRESET);
        ASSERT_TRUE(tu_ms_since(t0) < 1000); /* fails at once, does not wait */
}

static void server_killed_during_call(enum ward_ipc_wait wait)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), tu_wait_name(wait));
        struct ward_ipc_options o = tu_opts(wait);
        struct killer k = {0};
        pid_t srv = start_holding_server(addr, &o, &k.fd);
        k.victim = srv;
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        ASSERT_EQ(pthread_create(&k.thread, NULL, killer_main, &k), 0);

        const ward_ipc_msg *rep = NULL;
        int r = ward_ipc_call(c, "x", 1, 5 * TU_SEC, &rep);
        uint64_t returned_at = ward_now_ns();
        ASSERT_EQ(pthread_join(k.thread, NULL), 0);
        ASSERT_TRUE(k.ok);
        ASSERT_ERRNO(r, ECONNRESET);
        double ms = (returned_at - k.killed_at) / 1e6;
        fprintf(stderr, "   %s: ward_ipc_call returned -ECONNRESET %.2f ms after SIGKILL\n",
                tu_wait_name(wait), ms);
        ASSERT_TRUE(ms < 1000.0); /* promise: within 100 ms; generous for noisy CI */

        int status = tu_wait(srv, 5000);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        close(k.fd);
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
}

TEST(server_killed_during_call_block)
{
        server_killed_during_call(WARD_IPC_WAIT_BLOCK);
}

TEST(server_killed_during_call_spin)
{
        server_killed_during_call(WARD_IPC_WAIT_SPIN);
}

TEST(server_killed_during_call_spin_then_block)
{
        server_killed_during_call(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
}

/* The server frees itself (SIGTERM: leaves its loop, ward_ipc_server_free)
 * while the client waits in a call: the call fails with -ECONNRESET, and the
 * server's teardown with a live connection is clean (the child exits 0). */
TEST(server_freed_during_call)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "freed");
        struct killer k = {.sig = SIGTERM};
        pid_t srv = start_holding_server(addr, NULL, &k.fd);
        k.victim = srv;
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        ASSERT_EQ(pthread_create(&k.thread, NULL, killer_main, &k), 0);
        const ward_ipc_msg *rep;
        int r = ward_ipc_call(c, "x", 1, 5 * TU_SEC, &rep);
        uint64_t returned_at = ward_now_ns();
        ASSERT_EQ(pthread_join(k.thread, NULL), 0);
        ASSERT_TRUE(k.ok);
        ASSERT_ERRNO(r, ECONNRESET);
        fprintf(stderr, "   -ECONNRESET %.2f ms after SIGTERM\n",
                (returned_at - k.killed_at) / 1e6);
        tu_expect_exit0(srv, 5000);
        close(k.fd);
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
}

/* An asynchronous call on a loop completes with -ECONNRESET. */
static int async_status = 1;
static void on_async(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        (void)arg;
        ASSERT_TRUE(reply == NULL);
        ASSERT_EQ(async_status, 1); /* exactly once */
        async_status = status;
}

TEST(server_killed_during_async_call)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "async");
        int fd;
        pid_t srv = start_holding_server(addr, NULL, &fd);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        ASSERT_OK(ward_ipc_call_async(c, "x", 1, 5 * TU_SEC, on_async, NULL, NULL));
        char b;
        ASSERT_EQ(tu_read_full(fd, &b, 1, 5000), 1);
        tu_kill(srv);
        uint64_t t0 = ward_now_ns();
        while (async_status == 1 && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        fprintf(stderr, "   callback after %" PRIu64 " ms\n", tu_ms_since(t0));
        ASSERT_ERRNO(async_status, ECONNRESET);
        tu_drive_ms(loop, 20);
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        close(fd);
}

/* A server that died while the client was idle: the next call fails at once. */
TEST(server_killed_while_idle)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "idle");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        tu_client_calls(c, 3, 10);
        tu_kill(srv);
        const ward_ipc_msg *rep;
        uint64_t t0 = ward_now_ns();
        ASSERT_ERRNO(ward_ipc_call(c, "x", 1, 5 * TU_SEC, &rep), ECONNRESET);
        fprintf(stderr, "   -ECONNRESET after %" PRIu64 " ms\n", tu_ms_since(t0));
        ASSERT_TRUE(tu_ms_since(t0) < 1000);
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
}

/* ---- (b) a client dies in the middle of a call ---- */

static ward_ipc_conn *victim;
static uint64_t victim_call;
static int closed_events, connected_events, closed_error = 1;
static ward_ipc_conn *closed_conn;

static void on_conn(ward_ipc_conn *c, int event, int error, void *arg)
{
        (void)arg;
        if (event == WARD_IPC_CONNECTED) {
                connected_events++;
                ASSERT_EQ(error, 0);
        } else {
                ASSERT_EQ(event, WARD_IPC_CLOSED);
                closed_events++;
                if (c == victim) {
                        closed_conn = c;
                        closed_error = error;
                        victim = NULL;
                }
        }
}

/* "hang" is held (the victim's call); anything else is echoed. */
static void on_msg_b(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        if (ward_ipc_msg_len(m) == 4 && memcmp(ward_ipc_msg_data(m), "hang", 4) == 0) {
                victim = c;
                victim_call = ward_ipc_msg_call_id(m);
                return;
        }
        tu_echo_plus1(c, m, arg);
}

static pid_t start_victim(const char *addr)
{
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
                const ward_ipc_msg *rep;
                ward_ipc_call(c, "hang", 4, 30 * TU_SEC, &rep);
                _exit(3); /* never reached: killed first */
        }
        return pid;
}

TEST(client_killed_during_call)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "client-death");
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_server *srv;
        ASSERT_OK(ward_ipc_server_new(loop, addr, NULL, on_msg_b, NULL, &srv));
        ASSERT_OK(ward_ipc_server_set_conn_handler(srv, on_conn, NULL));

        pid_t a = start_victim(addr);
        uint64_t t0 = ward_now_ns();
        while (victim == NULL && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        ASSERT_TRUE(victim != NULL);
        ASSERT_EQ(ward_ipc_server_count(srv), 1);
        ward_ipc_conn *held = victim;
        struct ward_ipc_peer peer;
        ASSERT_OK(ward_ipc_conn_get_peer(held, &peer));
        ASSERT_EQ(peer.pid, a);

        int status = tu_kill(a);
        ASSERT_TRUE(WIFSIGNALED(status));
        /* answering a dead peer fails cleanly or goes nowhere; it never crashes */
        int r = ward_ipc_reply(held, victim_call, 0, "late", 4);
        ASSERT_TRUE(r == 0 || r == -ECONNRESET);

        t0 = ward_now_ns();
        while (closed_conn == NULL && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        fprintf(stderr, "   WARD_IPC_CLOSED after %" PRIu64 " ms, error %d (%s)\n", tu_ms_since(t0),
                closed_error, ward_strerror(closed_error));
        ASSERT_TRUE(closed_conn == held);
        ASSERT_EQ(closed_error, -ECONNRESET); /* killed: no BYE, so not a clean close */
        ASSERT_EQ(ward_ipc_server_count(srv), 0);

        /* the server goes on serving */
        pid_t b = tu_good_client(addr, 50);
        tu_check_exit0(b, tu_drive_child(loop, b, 10000));
        t0 = ward_now_ns();
        while (closed_events < 2 && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        ASSERT_EQ(connected_events, 2);
        ASSERT_EQ(closed_events, 2);
        ASSERT_EQ(ward_ipc_server_count(srv), 0);

        ward_ipc_server_free(srv);
        ward_loop_free(loop);
}

/* ---- (c) the server drops a client from inside its callback ---- */

static int drop_closed = 0, drop_error = 1;

static void on_conn_c(ward_ipc_conn *c, int event, int error, void *arg)
{
        (void)c, (void)arg;
        if (event == WARD_IPC_CLOSED) {
                drop_closed++;
                drop_error = error;
        }
}

/* "bye" closes the connection, anything else is echoed. */
static void on_msg_c(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        if (ward_ipc_msg_len(m) == 3 && memcmp(ward_ipc_msg_data(m), "bye", 3) == 0) {
                ward_ipc_conn_close(c);
                return;
        }
        tu_echo_plus1(c, m, arg);
}

static pid_t start_dropped_client(const char *addr)
{
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c;
                const ward_ipc_msg *rep;
                ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
                tu_client_calls(c, 3, 10);
                uint64_t t0 = ward_now_ns();
                ASSERT_ERRNO(ward_ipc_call(c, "bye", 3, 5 * TU_SEC, &rep), ECONNRESET);
                ASSERT_TRUE(tu_ms_since(t0) < 1000);
                ASSERT_ERRNO(ward_ipc_conn_get_error(c), ECONNRESET);
                ward_ipc_conn_close(c);
                exit(0);
        }
        return pid;
}

TEST(server_drops_client)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "drop");
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_server *srv;
        ASSERT_OK(ward_ipc_server_new(loop, addr, NULL, on_msg_c, NULL, &srv));
        ASSERT_OK(ward_ipc_server_set_conn_handler(srv, on_conn_c, NULL));
        pid_t a = start_dropped_client(addr);
        tu_check_exit0(a, tu_drive_child(loop, a, 10000));
        tu_drive_ms(loop, 20);
        /* closed by the server: reported with error 0 */
        ASSERT_EQ(drop_closed, 1);
        ASSERT_EQ(drop_error, 0);
        ASSERT_EQ(ward_ipc_server_count(srv), 0);
        pid_t b = tu_good_client(addr, 10);
        tu_check_exit0(b, tu_drive_child(loop, b, 10000));
        uint64_t t0 = ward_now_ns();
        while (drop_closed < 2 && tu_ms_since(t0) < 3000) {
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS));
        }
        /* closed by the client with ward_ipc_conn_close: it says BYE, so the
         * server reports a clean close (0), unlike the killed client above */
        ASSERT_EQ(drop_error, 0);
        ASSERT_EQ(ward_ipc_server_count(srv), 0);
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
}

/* ---- (d) the dead peer left a child holding the connection ----
 *
 * A process that fork()s without exec leaves its child every descriptor,
 * the connection's socket included: the socket does not end when the peer
 * dies, only when that child exits too. The peer's process itself is watched
 * (a pidfd taken at the handshake), so the death is noticed at once anyway.
 * The holder sleeps up to an hour in poll() on a pipe whose write end only
 * this process holds: it is killed at the end of its case, and goes on its
 * own if the test dies first. The calls wait forever: only the peer's death
 * can end them, and ctest's timeout catches a hang. */

static int holder_rd = -1, holder_wr = -1;

/* holder_sleep: the holder's life, in a child forked by a peer. */
static void holder_sleep(void)
{
        struct pollfd p = {.fd = holder_rd, .events = POLLIN};
        poll(&p, 1, 3600 * 1000);
        _exit(0);
}

/* holder_pipe: the pipe the holder sleeps on; and this process becomes a
 * subreaper, so an orphaned holder is its to reap. */
static void holder_pipe(void)
{
        int p[2];
        ASSERT_SYS(prctl(PR_SET_CHILD_SUBREAPER, 1));
        tu_pipe(p);
        holder_rd = p[0];
        holder_wr = p[1];
}

/* In the server child: the write end is the test's alone. */
static void holder_setup(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)loop, (void)srv, (void)arg;
        close(holder_wr);
}

/* The server forks a holder, tells the test its pid, and never answers. */
static void on_hold_and_fork(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c, (void)m, (void)arg;
        pid_t h = fork();
        if (h == 0) {
                holder_sleep();
        }
        tu_write_full(notify_fd, &h, sizeof(h));
}

static pid_t start_forking_server(const char *addr, const struct ward_ipc_options *o, int *ret_fd)
{
        int p[2];
        holder_pipe();
        tu_pipe(p);
        notify_fd = p[1];
        struct tu_server cfg = {
            .addr = addr, .opts = o, .on_msg = on_hold_and_fork, .setup = holder_setup};
        pid_t srv = tu_server_start(&cfg);
        close(p[1]);
        *ret_fd = p[0];
        return srv;
}

/* holder_alive: pid runs and is no zombie. */
static int holder_alive(pid_t pid)
{
        char state = 0;
        return kill(pid, 0) == 0 && ward__proc_stat(pid, &state, NULL) == 0 && state != 'Z' &&
               state != 'X';
}

/* end_holder: kill the holder and reap it (this process is a subreaper: an
 * orphaned holder is its child); close the pipe. */
static void end_holder(pid_t holder)
{
        ASSERT_SYS(kill(holder, SIGKILL));
        ASSERT_SYS(waitpid(holder, NULL, 0));
        close(holder_wr);
        close(holder_rd);
        holder_rd = holder_wr = -1;
}

struct holder_killer {
        pthread_t thread;
        int fd;
        pid_t victim;
        pid_t holder;
        uint64_t killed_at;
        int ok;
};

/* Waits for the holder's pid (the server holds the request by then), lets
 * the client settle into its wait, then kills the server. */
static void *holder_killer_main(void *arg)
{
        struct holder_killer *k = arg;
        if (tu_read_full(k->fd, &k->holder, sizeof(k->holder), 5000) != sizeof(k->holder)) {
                return NULL;
        }
        tu_sleep_ms(30);
        k->killed_at = ward_now_ns();
        k->ok = kill(k->victim, SIGKILL) == 0;
        return NULL;
}

static void server_killed_holder_lives(enum ward_ipc_wait wait)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), tu_wait_name(wait));
        struct ward_ipc_options o = tu_opts(wait);
        struct holder_killer k = {0};
        pid_t srv = start_forking_server(addr, &o, &k.fd);
        k.victim = srv;
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        ASSERT_EQ(pthread_create(&k.thread, NULL, holder_killer_main, &k), 0);
        const ward_ipc_msg *rep = NULL;
        int r = ward_ipc_call(c, "x", 1, WARD_IPC_FOREVER, &rep);
        uint64_t returned_at = ward_now_ns();
        ASSERT_EQ(pthread_join(k.thread, NULL), 0);
        ASSERT_TRUE(k.ok && k.holder > 0);
        int alive = holder_alive(k.holder);
        fprintf(stderr, "   %s: %d (%s) %.2f ms after SIGKILL; the holder %s\n", tu_wait_name(wait),
                r, ward_strerror(r), (returned_at - k.killed_at) / 1e6,
                alive ? "still sleeps" : "is gone");
        ASSERT_ERRNO(r, ECONNRESET);
        ASSERT_TRUE(alive); /* the socket still had a holder: the process told */
        int status = tu_wait(srv, 5000);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
        end_holder(k.holder);
        close(k.fd);
}

TEST(server_killed_holder_lives_block)
{
        server_killed_holder_lives(WARD_IPC_WAIT_BLOCK);
}

TEST(server_killed_holder_lives_spin)
{
        server_killed_holder_lives(WARD_IPC_WAIT_SPIN);
}

TEST(server_killed_holder_lives_spin_then_block)
{
        server_killed_holder_lives(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
}

/* The same on a loop: an asynchronous call without a deadline ends with
 * -ECONNRESET, and so does an idle connection attached to a loop. */
static void async_holder_case(enum ward_ipc_wait wait)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "async-holder");
        struct ward_ipc_options o = tu_opts(wait);
        int fd;
        pid_t srv = start_forking_server(addr, &o, &fd);
        ward_loop *loop;
        ward_ipc_conn *c;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        ASSERT_OK(ward_ipc_conn_attach(c, loop));
        async_status = 1;
        ASSERT_OK(ward_ipc_call_async(c, "x", 1, WARD_IPC_FOREVER, on_async, NULL, NULL));
        pid_t holder = 0;
        while (holder == 0) { /* the loop sends nothing we wait for: the server answers none */
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
                if (tu_readable(fd)) {
                        ASSERT_EQ(tu_read_full(fd, &holder, sizeof(holder), 1000), sizeof(holder));
                }
        }
        tu_kill(srv);
        uint64_t t0 = ward_now_ns();
        while (async_status == 1) {
                ASSERT_OK(ward_loop_run_once(loop, 100 * TU_MS));
        }
        fprintf(stderr, "   %s: callback with %d after %" PRIu64 " ms\n", tu_wait_name(wait),
                async_status, tu_ms_since(t0));
        ASSERT_ERRNO(async_status, ECONNRESET);
        ASSERT_TRUE(holder_alive(holder));
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        end_holder(holder);
        close(fd);
}

TEST(server_killed_holder_lives_async)
{
        async_holder_case(WARD_IPC_WAIT_BLOCK);
        async_holder_case(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        async_holder_case(WARD_IPC_WAIT_SPIN);
}

/* Without a loop: ward_ipc_conn_process, which never waits, notices it too. */
TEST(server_killed_holder_lives_no_loop)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "noloop-holder");
        int fd;
        pid_t srv = start_forking_server(addr, NULL, &fd);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        async_status = 1;
        ASSERT_OK(ward_ipc_call_async(c, "x", 1, WARD_IPC_FOREVER, on_async, NULL, NULL));
        pid_t holder;
        ASSERT_EQ(tu_read_full(fd, &holder, sizeof(holder), 5000), sizeof(holder));
        ASSERT_OK(ward_ipc_conn_process(c));
        tu_kill(srv);
        int r;
        while ((r = ward_ipc_conn_process(c)) >= 0) {
                tu_sleep_ms(1);
        }
        fprintf(stderr, "   ward_ipc_conn_process: %d (%s)\n", r, ward_strerror(r));
        ASSERT_ERRNO(r, ECONNRESET);
        ASSERT_ERRNO(async_status, ECONNRESET);
        ASSERT_TRUE(holder_alive(holder));
        expect_dead_conn(c);
        ward_ipc_conn_close(c);
        end_holder(holder);
        close(fd);
}

/* The mirror: a client that forked a holder is killed during its call; the
 * server reports its connection closed (-ECONNRESET) while the holder lives. */
static pid_t start_forking_victim(const char *addr, int pid_fd)
{
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
                close(holder_wr);
                pid_t h = fork();
                if (h == 0) {
                        holder_sleep();
                }
                tu_write_full(pid_fd, &h, sizeof(h));
                const ward_ipc_msg *rep;
                ward_ipc_call(c, "hang", 4, WARD_IPC_FOREVER, &rep);
                _exit(3); /* never reached: killed first */
        }
        return pid;
}

TEST(client_killed_holder_lives)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "client-holder");
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_server *srv;
        ASSERT_OK(ward_ipc_server_new(loop, addr, NULL, on_msg_b, NULL, &srv));
        ASSERT_OK(ward_ipc_server_set_conn_handler(srv, on_conn, NULL));
        closed_conn = NULL;
        closed_error = 1;
        holder_pipe();
        int p[2];
        tu_pipe(p);
        pid_t a = start_forking_victim(addr, p[1]);
        close(p[1]);
        while (victim == NULL) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        ward_ipc_conn *held = victim;
        pid_t holder;
        ASSERT_EQ(tu_read_full(p[0], &holder, sizeof(holder), 5000), sizeof(holder));
        close(p[0]);
        tu_kill(a);
        uint64_t t0 = ward_now_ns();
        while (closed_conn == NULL) {
                ASSERT_OK(ward_loop_run_once(loop, 100 * TU_MS));
        }
        fprintf(stderr, "   WARD_IPC_CLOSED after %" PRIu64 " ms, error %d (%s)\n", tu_ms_since(t0),
                closed_error, ward_strerror(closed_error));
        ASSERT_TRUE(closed_conn == held);
        ASSERT_ERRNO(closed_error, ECONNRESET);
        ASSERT_TRUE(holder_alive(holder));
        ASSERT_EQ(ward_ipc_server_count(srv), 0);
        end_holder(holder);
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
}

TEST_MAIN()
