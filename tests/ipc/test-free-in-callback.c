/* ward_ipc_server_free called from inside the server's own callbacks: a
 * message handler, the connection handler (on connect and on close), the
 * authorize policy, an asynchronous reply callback. Nothing is used after it
 * is freed (the ASan build is the judge, and its leak check at exit), the
 * connection whose callback runs refuses calls with -ECANCELED until it
 * returns, the clients see their connections end, and the address is free at
 * once. The server runs in this process, its clients in children. */
#include "ipc-util.h"

#define NCLIENTS 3

enum how {
        ON_MSG,       /* the last client's request frees the server */
        ON_CONNECTED, /* WARD_IPC_CONNECTED frees it */
        ON_CLOSED,    /* one client closes; its WARD_IPC_CLOSED frees it */
        ON_AUTHORIZE, /* the policy frees it, then accepts */
        ON_REPLY,     /* a reply to the server's own asynchronous call frees it */
};

static struct {
        enum how how;
        ward_loop *loop;
        ward_ipc_server *srv;
        int freed;
        int requests;
        int connected;
        int closer_fd; /* ON_CLOSED: tells the first client to close */
} fx;

static void free_server(void)
{
        ASSERT_TRUE(fx.srv != NULL);
        ASSERT_EQ(fx.freed, 0);
        /* inside a callback the free is deferred: a second call must be harmless */
        ASSERT_TRUE(ward_ipc_server_free(fx.srv) == NULL);
        ASSERT_TRUE(ward_ipc_server_free(fx.srv) == NULL);
        fx.srv = NULL;
        fx.freed = 1;
        ward_loop_stop(fx.loop);
}

static void on_msg(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        if (fx.how != ON_MSG || id == 0 || fx.freed) {
                return; /* requests stay unanswered: their clients wait for the end */
        }
        if (++fx.requests < NCLIENTS || ward_ipc_server_count(fx.srv) < NCLIENTS) {
                return;
        }
        free_server();
        /* c is still valid memory until we return, and says it is closing */
        ASSERT_ERRNO(ward_ipc_reply(c, id, 0, "late", 4), ECANCELED);
        ASSERT_ERRNO(ward_ipc_send(c, "late", 4), ECANCELED);
}

static void on_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)arg;
        ASSERT_EQ(status, 0);
        ASSERT_EQ(ward_ipc_msg_len(reply), 4);
        free_server();
        ASSERT_ERRNO(ward_ipc_send(c, "late", 4), ECANCELED);
}

static void on_conn(ward_ipc_conn *c, int event, int error, void *arg)
{
        (void)error, (void)arg;
        if (event == WARD_IPC_CONNECTED) {
                fx.connected++;
                if (fx.how == ON_CONNECTED) {
                        free_server();
                } else if (fx.how == ON_REPLY) {
                        ASSERT_OK(
                            ward_ipc_call_async(c, "ping", 4, 5 * TU_SEC, on_reply, NULL, NULL));
                } else if (fx.how == ON_CLOSED && fx.connected == 2) {
                        tu_write_full(fx.closer_fd, "c", 1);
                }
        } else if (event == WARD_IPC_CLOSED && fx.how == ON_CLOSED) {
                free_server();
        }
}

static int authorize(const struct ward_ipc_peer *peer, void *arg)
{
        (void)peer, (void)arg;
        free_server();
        return 0;
}

static void on_guard(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s, (void)expirations, (void)arg;
        TEST_FAIL("the server was not freed within 10 s (how %d)", (int)fx.how);
}

/* ---- clients (children) ---- */

/* client_wait_end: make a call the server never answers; its end must be the
 * server's. */
static int client_wait_end(ward_ipc_conn *c)
{
        const ward_ipc_msg *reply;
        int r = ward_ipc_call(c, "wait", 4, 10 * TU_SEC, &reply);
        if (r != -ECONNRESET) {
                fprintf(stderr, "client %d: call: %d (%s), want -ECONNRESET\n", (int)getpid(), r,
                        ward_strerror(r));
                return 1;
        }
        ward_ipc_conn_close(c);
        return 0;
}

static void on_push(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        if (ward_ipc_msg_call_id(m)) {
                ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, "pong", 4);
        }
}

static void on_check(ward_source *s, uint64_t expirations, void *arg)
{
        (void)expirations;
        if (ward_ipc_conn_get_error(arg)) {
                ward_loop_stop(ward_source_get_loop(s));
        }
}

/* client_answer: answer the server's call on a loop until the connection ends. */
static int client_answer(ward_ipc_conn *c)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_conn_attach(c, loop));
        ward_ipc_conn_set_handler(c, on_push, NULL);
        ASSERT_OK(ward_loop_add_timer(loop, 10 * TU_MS, 10 * TU_MS, on_check, c, NULL));
        ASSERT_OK(ward_loop_run(loop));
        int r = ward_ipc_conn_get_error(c);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        if (r != -ECONNRESET) {
                fprintf(stderr, "client: error %d (%s), want -ECONNRESET\n", r, ward_strerror(r));
        }
        return r == -ECONNRESET ? 0 : 1;
}

static int client(const char *addr, int index, int start_fd, int closer_fd)
{
        ward_ipc_conn *c;
        char b;
        if (tu_read_full(start_fd, &b, 1, 10000) != 1) {
                return 1;
        }
        int r = ward_ipc_connect(addr, NULL, &c);
        if (fx.how == ON_AUTHORIZE || fx.how == ON_CONNECTED) {
                /* the server hangs up during the handshake, or right after */
                if (r < 0) {
                        return 0;
                }
                return client_wait_end(c);
        }
        if (r < 0) {
                fprintf(stderr, "client: connect: %s\n", ward_strerror(r));
                return 1;
        }
        if (fx.how == ON_REPLY) {
                return client_answer(c);
        }
        if (fx.how == ON_CLOSED && index == 0) {
                if (tu_read_full(closer_fd, &b, 1, 10000) != 1) {
                        return 1;
                }
                ward_ipc_conn_close(c);
                return 0;
        }
        return client_wait_end(c);
}

static void run(enum how how, int nclients)
{
        char addr[108];
        int start[2], closer[2];
        pid_t kids[NCLIENTS];
        tu_addr(addr, sizeof(addr), "free");
        memset(&fx, 0, sizeof(fx));
        fx.how = how;
        tu_pipe(start);
        tu_pipe(closer);
        fx.closer_fd = closer[1];
        /* the clients first, so that they hold no copy of the listening socket
         * (it would keep the address taken) */
        for (int i = 0; i < nclients; i++) {
                kids[i] = tu_fork();
                if (kids[i] == 0) {
                        _exit(client(addr, i, start[0], closer[0]));
                }
        }
        ASSERT_OK(ward_loop_new(&fx.loop));
        ASSERT_OK(ward_ipc_server_new(fx.loop, addr, NULL, on_msg, NULL, &fx.srv));
        ASSERT_OK(ward_ipc_server_set_conn_handler(fx.srv, on_conn, NULL));
        if (how == ON_AUTHORIZE) {
                ASSERT_OK(ward_ipc_server_set_authorize(fx.srv, authorize, NULL));
        }
        ward_source *guard;
        ASSERT_OK(ward_loop_add_timer(fx.loop, 10 * TU_SEC, 0, on_guard, NULL, &guard));
        for (int i = 0; i < nclients; i++) {
                tu_write_full(start[1], "s", 1);
        }
        ASSERT_OK(ward_loop_run(fx.loop));
        ASSERT_EQ(fx.freed, 1);
        /* the listening socket closed at once: the address is free again */
        ward_ipc_server *again;
        ASSERT_OK(ward_ipc_server_new(fx.loop, addr, NULL, on_msg, NULL, &again));
        ward_ipc_server_free(again);
        for (int i = 0; i < nclients; i++) {
                tu_expect_exit0(kids[i], 15000);
        }
        ASSERT_OK(ward_loop_run_once(fx.loop, 0)); /* the freed server's sources are reaped */
        ward_source_free(guard);
        ASSERT_TRUE(ward_loop_free(fx.loop) == NULL);
        close(start[0]);
        close(start[1]);
        close(closer[0]);
        close(closer[1]);
}

TEST(free_in_message_handler)
{
        run(ON_MSG, NCLIENTS);
}

TEST(free_in_connected_handler)
{
        run(ON_CONNECTED, 1);
}

TEST(free_in_closed_handler)
{
        run(ON_CLOSED, 2);
}

TEST(free_in_authorize)
{
        run(ON_AUTHORIZE, 1);
}

TEST(free_in_reply_callback)
{
        run(ON_REPLY, 1);
}

TEST_MAIN()
