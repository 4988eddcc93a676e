/* Calls the server never answers time out; the connection keeps working, and a
 * reply that comes after its call timed out is dropped without harm. */
#include "ipc-util.h"

enum kind {
        K_IGNORE = 1, /* held, answered only by K_FLUSH */
        K_ECHO = 2,   /* answered at once: status 7, "echo" */
        K_FLUSH = 3,  /* answer every held call ("LATE", status 99), then this one */
};

#define MAXHELD 64

/* ---- server (child) ---- */

static uint64_t held[MAXHELD];
static int nheld;

static void on_msg(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        uint32_t kind = 0;
        TU_CHILD_CHECK(id != 0 && ward_ipc_msg_len(m) == sizeof(kind));
        if (id == 0 || ward_ipc_msg_len(m) != sizeof(kind)) {
                return;
        }
        memcpy(&kind, ward_ipc_msg_data(m), sizeof(kind));
        if (kind == K_IGNORE && nheld < MAXHELD) {
                held[nheld++] = id;
                return;
        }
        if (kind == K_FLUSH) {
                for (int i = 0; i < nheld; i++) {
                        TU_CHILD_CHECK(ward_ipc_reply(c, held[i], 99, "LATE", 4) >= 0);
                }
                nheld = 0;
                TU_CHILD_CHECK(ward_ipc_reply(c, id, 8, "flush", 5) >= 0);
                return;
        }
        TU_CHILD_CHECK(kind == K_ECHO);
        TU_CHILD_CHECK(ward_ipc_reply(c, id, 7, "echo", 4) >= 0);
}

/* ---- client ---- */

static pid_t start(const char *tag, char *addr, size_t size)
{
        tu_addr(addr, size, tag);
        struct tu_server cfg = {.addr = addr, .on_msg = on_msg};
        return tu_server_start(&cfg);
}

static int call_kind(ward_ipc_conn *c, uint32_t kind, uint64_t timeout_ns, const ward_ipc_msg **rep)
{
        return ward_ipc_call(c, &kind, sizeof(kind), timeout_ns, rep);
}

static void expect_reply(ward_ipc_conn *c, uint32_t kind, int32_t status, const char *text)
{
        const ward_ipc_msg *rep;
        ASSERT_OK(call_kind(c, kind, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), status);
        ASSERT_EQ(ward_ipc_msg_len(rep), strlen(text));
        ASSERT_TRUE(memcmp(ward_ipc_msg_data(rep), text, strlen(text)) == 0);
        ward_ipc_msg_release(c, rep);
}

static void expect_sync_timeout(ward_ipc_conn *c, uint64_t timeout_ns)
{
        const ward_ipc_msg *rep = NULL;
        uint64_t t0 = ward_now_ns();
        ASSERT_ERRNO(call_kind(c, K_IGNORE, timeout_ns, &rep), ETIMEDOUT);
        uint64_t spent = ward_now_ns() - t0;
        fprintf(stderr, "   -ETIMEDOUT after %.1f ms (timeout %.1f ms)\n", spent / 1e6,
                timeout_ns / 1e6);
        /* a timeout may come late on a busy machine, never early */
        ASSERT_TRUE(spent >= timeout_ns);
}

TEST(sync_timeout_then_late_reply_dropped)
{
        char addr[108];
        pid_t srv = start("sync", addr, sizeof(addr));
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        expect_sync_timeout(c, 50 * TU_MS);
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        expect_reply(c, K_ECHO, 7, "echo");
        expect_sync_timeout(c, 20 * TU_MS);
        /* two late replies arrive before the flush's own reply: both dropped */
        expect_reply(c, K_FLUSH, 8, "flush");
        expect_reply(c, K_ECHO, 7, "echo");
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST(sync_timeout_block_and_spin)
{
        static const enum ward_ipc_wait modes[] = {WARD_IPC_WAIT_BLOCK, WARD_IPC_WAIT_SPIN};
        for (int i = 0; i < 2; i++) {
                char addr[108];
                pid_t srv = start(tu_wait_name(modes[i]), addr, sizeof(addr));
                struct ward_ipc_options o = tu_opts(modes[i]);
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, &o, &c));
                expect_sync_timeout(c, 50 * TU_MS);
                expect_reply(c, K_FLUSH, 8, "flush");
                ward_ipc_conn_close(c);
                tu_server_stop(srv);
        }
}

struct outcome {
        int calls;
        int status;
        int32_t reply_status;
};

static void on_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        struct outcome *o = arg;
        o->calls++;
        o->status = status;
        if (status == 0) {
                ASSERT_TRUE(reply != NULL);
                o->reply_status = ward_ipc_msg_status(reply);
        } else {
                ASSERT_TRUE(reply == NULL);
        }
}

static void async_kind(ward_ipc_conn *c, uint32_t kind, uint64_t timeout_ns, struct outcome *o)
{
        ASSERT_OK(ward_ipc_call_async(c, &kind, sizeof(kind), timeout_ns, on_reply, o, NULL));
}

TEST(async_timeout_on_loop)
{
        char addr[108];
        pid_t srv = start("async", addr, sizeof(addr));
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);

        struct outcome ignored = {0}, echoed = {0};
        uint64_t t0 = ward_now_ns();
        async_kind(c, K_IGNORE, 50 * TU_MS, &ignored);
        async_kind(c, K_ECHO, 5 * TU_SEC, &echoed);
        while ((ignored.calls == 0 || echoed.calls == 0) && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        fprintf(stderr, "   async -ETIMEDOUT after %" PRIu64 " ms\n", tu_ms_since(t0));
        ASSERT_EQ(ignored.calls, 1);
        ASSERT_ERRNO(ignored.status, ETIMEDOUT);
        ASSERT_EQ(echoed.calls, 1);
        ASSERT_EQ(echoed.status, 0);
        ASSERT_EQ(echoed.reply_status, 7);

        /* the late reply comes now: dropped, the callback does not run again */
        expect_reply(c, K_FLUSH, 8, "flush");
        tu_drive_ms(loop, 50);
        ASSERT_EQ(ignored.calls, 1);
        expect_reply(c, K_ECHO, 7, "echo");
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);

        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* Without a loop, ward_ipc_conn_process reports expired timeouts. */
TEST(async_timeout_without_loop)
{
        char addr[108];
        pid_t srv = start("async-noloop", addr, sizeof(addr));
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        struct outcome ignored = {0};
        async_kind(c, K_IGNORE, 30 * TU_MS, &ignored);
        uint64_t t0 = ward_now_ns();
        while (ignored.calls == 0 && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_ipc_conn_process(c));
                tu_sleep_ms(1);
        }
        ASSERT_EQ(ignored.calls, 1);
        ASSERT_ERRNO(ignored.status, ETIMEDOUT);
        expect_reply(c, K_FLUSH, 8, "flush");
        ASSERT_OK(ward_ipc_conn_process(c));
        ASSERT_EQ(ignored.calls, 1);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* Many timed-out calls whose replies all come late. */
TEST(many_late_replies)
{
        char addr[108];
        pid_t srv = start("many", addr, sizeof(addr));
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        for (int i = 0; i < 20; i++) {
                const ward_ipc_msg *rep;
                ASSERT_ERRNO(call_kind(c, K_IGNORE, 2 * TU_MS, &rep), ETIMEDOUT);
        }
        expect_reply(c, K_FLUSH, 8, "flush");
        for (int i = 0; i < 10; i++) {
                expect_reply(c, K_ECHO, 7, "echo");
        }
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* More calls time out than the connection remembers (it keeps the ids of
 * the last 1024, to tell a late reply from a reply to no call at all): every
 * late reply is still dropped quietly, none ends the connection. */
TEST(more_late_replies_than_remembered)
{
        char addr[108];
        pid_t srv = start("remembered", addr, sizeof(addr));
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        int timed_out = 0;
        for (int i = 0; i < 1500; i++) {
                const ward_ipc_msg *rep;
                int r = call_kind(c, K_ECHO, 0, &rep); /* gives up at once, or finds it */
                ASSERT_TRUE(r == 0 || r == -ETIMEDOUT);
                timed_out += r == -ETIMEDOUT;
        }
        fprintf(stderr, "   %d of 1500 calls timed out\n", timed_out);
        for (int i = 0; i < 10; i++) {
                expect_reply(c, K_ECHO, 7, "echo");
        }
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* ---- a full ring: ward_ipc_send gives up after send_timeout_ns ---- */

static int oneway_count;

static void count_and_echo(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        if (ward_ipc_msg_call_id(m) == 0) {
                oneway_count++;
                return;
        }
        tu_echo_plus1(c, m, arg);
}

struct fill_report {
        int sent;
        int error;
        uint64_t last_ms;
};

/* The client (a child): fill the ring while the server stands still, report,
 * then send more once the server runs again. */
static void filling_client(const char *addr, int to_child, int from_child)
{
        struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_BLOCK);
        o.ring_bytes = 4096;
        o.inline_max = 1024;
        o.send_timeout_ns = 50 * TU_MS;
        ward_ipc_conn *c;
        char msg[64] = "fill", b;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        tu_write_full(from_child, "c", 1);
        ASSERT_EQ(tu_read_full(to_child, &b, 1, 5000), 1);
        struct fill_report rep = {0};
        for (;;) {
                uint64_t t0 = ward_now_ns();
                rep.error = ward_ipc_send(c, msg, sizeof(msg));
                rep.last_ms = tu_ms_since(t0);
                if (rep.error < 0 || rep.sent > 10000) {
                        break;
                }
                rep.sent++;
        }
        tu_write_full(from_child, &rep, sizeof(rep));
        ASSERT_EQ(tu_read_full(to_child, &b, 1, 5000), 1);
        for (int i = 0; i < 10; i++) {
                ASSERT_OK(ward_ipc_send(c, msg, sizeof(msg)));
        }
        tu_client_calls(c, 3, 64);
        ward_ipc_conn_close(c);
        exit(0);
}

TEST(send_timeout_when_ring_full)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "full");
        ward_loop *loop;
        ward_ipc_server *srv;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_server_new(loop, addr, NULL, count_and_echo, NULL, &srv));
        int to[2], from[2];
        tu_pipe(to);
        tu_pipe(from);
        pid_t pid = tu_fork();
        if (pid == 0) {
                filling_client(addr, to[0], from[1]);
        }
        uint64_t t0 = ward_now_ns();
        struct pollfd p = {.fd = from[0], .events = POLLIN};
        while (poll(&p, 1, 0) == 0 && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 5 * TU_MS));
        }
        char b;
        ASSERT_EQ(tu_read_full(from[0], &b, 1, 1000), 1);
        /* the server stands still now */
        tu_write_full(to[1], "g", 1);
        struct fill_report rep;
        ASSERT_EQ(tu_read_full(from[0], &rep, sizeof(rep), 5000), sizeof(rep));
        fprintf(stderr,
                "   %d messages filled the ring; the next send: %d (%s) after %" PRIu64 " ms\n",
                rep.sent, rep.error, ward_strerror(rep.error), rep.last_ms);
        ASSERT_ERRNO(rep.error, ETIMEDOUT);
        ASSERT_TRUE(rep.sent > 0 && rep.sent < 4096 / 64);
        ASSERT_TRUE(rep.last_ms >= 50);
        tu_write_full(to[1], "g", 1);
        tu_check_exit0(pid, tu_drive_child(loop, pid, 10000));
        ASSERT_EQ(oneway_count, rep.sent + 10);
        close(to[0]), close(to[1]), close(from[0]), close(from[1]);
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
}

/* ---- a client that never reads: the server's reply gives up (default options) ---- */

static struct {
        int replied;
        int error;
        uint64_t ms;
} stall;

/* Answers "q" with 2 KiB; at the first reply that fails, drops the client
 * (the application's choice: it will not read). */
static void reply_2k(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        static const uint8_t out[2048];
        (void)arg;
        if (ward_ipc_msg_len(m) != 1) {
                tu_echo_plus1(c, m, NULL); /* a good client's */
                return;
        }
        uint64_t t0 = ward_now_ns();
        int r = ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, out, sizeof(out));
        if (r == 0) {
                stall.replied++;
        } else if (stall.error == 0) {
                stall.error = r;
                stall.ms = tu_ms_since(t0);
                ward_ipc_conn_close(c);
        }
}

static void ignore_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c, (void)status, (void)reply, (void)arg;
}

/* The client: 20 asynchronous calls, and then it reads nothing. */
static void never_reads(const char *addr, int go_fd, int ready_fd)
{
        struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_BLOCK);
        o.ring_bytes = 16u << 10;
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        for (int i = 0; i < 20; i++) {
                ASSERT_OK(
                    ward_ipc_call_async(c, "q", 1, WARD_IPC_FOREVER, ignore_reply, NULL, NULL));
        }
        tu_write_full(ready_fd, "r", 1);
        char b;
        tu_read_full(go_fd, &b, 1, 60000);
        exit(0);
}

/* With the default options a server's reply to a client that stopped reading
 * fails (-ETIMEDOUT, after send_timeout_ns: 5 s) instead of holding the
 * server's loop forever; the server goes on serving others. */
TEST(reply_to_client_that_never_reads)
{
        char addr[108];
        ward_loop *loop;
        ward_ipc_server *srv;
        struct ward_ipc_options o;
        ward_ipc_options_init(&o); /* the default send timeout is what is tested */
        o.ring_bytes = 16u << 10;  /* the 2 KiB replies fill it after a few */
        o.wait = WARD_IPC_WAIT_BLOCK;
        tu_addr(addr, sizeof(addr), "never-reads");
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_server_new(loop, addr, &o, reply_2k, NULL, &srv));
        int go[2], ready[2];
        tu_pipe(go);
        tu_pipe(ready);
        pid_t pid = tu_fork();
        if (pid == 0) {
                never_reads(addr, go[0], ready[1]);
        }
        while (stall.error == 0) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        fprintf(stderr, "   %d replies fit; the next: %d (%s) after %" PRIu64 " ms\n",
                stall.replied, stall.error, ward_strerror(stall.error), stall.ms);
        ASSERT_ERRNO(stall.error, ETIMEDOUT);
        ASSERT_TRUE(stall.replied > 0 && stall.replied < 20);
        char b;
        ASSERT_EQ(tu_read_full(ready[0], &b, 1, 10000), 1);
        tu_write_full(go[1], "x", 1);
        tu_check_exit0(pid, tu_drive_child(loop, pid, 10000));
        ASSERT_EQ(ward_ipc_server_count(srv), 0);
        close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
        pid_t good = tu_good_client(addr, 5);
        tu_check_exit0(good, tu_drive_child(loop, good, 10000));
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
}

/* The zero-copy pool is bounded: with every byte held, ward_ipc_buf_alloc
 * waits its timeout and fails; a buffer given back makes room again. */
TEST(pool_full_alloc_times_out)
{
        char addr[108];
        pid_t srv = start("pool", addr, sizeof(addr));
        struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_BLOCK);
        o.pool_bytes = 64u << 10;
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        ward_ipc_buf *bufs[4];
        for (int i = 0; i < 4; i++) {
                ASSERT_OK(ward_ipc_buf_alloc(c, 16u << 10, TU_SEC, &bufs[i]));
        }
        ward_ipc_buf *b;
        uint64_t t0 = ward_now_ns();
        ASSERT_ERRNO(ward_ipc_buf_alloc(c, 16u << 10, 30 * TU_MS, &b), ETIMEDOUT);
        fprintf(stderr, "   full pool: -ETIMEDOUT after %" PRIu64 " ms\n", tu_ms_since(t0));
        ASSERT_TRUE(tu_ms_since(t0) >= 30);
        ward_ipc_buf_free(c, bufs[0]);
        ASSERT_OK(ward_ipc_buf_alloc(c, 16u << 10, TU_SEC, &bufs[0]));
        for (int i = 0; i < 4; i++) {
                ward_ipc_buf_free(c, bufs[i]);
        }
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        expect_reply(c, K_ECHO, 7, "echo");
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST_MAIN()
