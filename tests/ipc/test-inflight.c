/* 200 asynchronous calls in flight on one connection driven by a ward_loop; the
 * server answers them in reverse order. Every callback runs exactly once, with
 * its own reply. */
#include "ipc-util.h"

#define NCALLS 200

struct req {
        uint32_t index;
        uint32_t magic;
};

struct rep {
        uint32_t index;
        uint32_t not_index;
        uint8_t fill[40];
};

/* ---- server (child) ---- */

static uint64_t held_ids[NCALLS];
static uint32_t held_index[NCALLS];
static int nheld;
static int replied;

static ward_ipc_conn *held_conn;

static void flush_replies(void)
{
        for (int i = nheld - 1; i >= 0; i--) {
                struct rep r = {.index = held_index[i], .not_index = ~held_index[i]};
                memset(r.fill, (int)(held_index[i] & 0xff), sizeof(r.fill));
                int e =
                    ward_ipc_reply(held_conn, held_ids[i], (int32_t)held_index[i], &r, sizeof(r));
                TU_CHILD_CHECK(e >= 0);
        }
        replied += nheld;
        nheld = 0;
}

static void on_req(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        struct req q;
        TU_CHILD_CHECK(ward_ipc_msg_len(m) == sizeof(q));
        TU_CHILD_CHECK(nheld < NCALLS);
        if (ward_ipc_msg_len(m) != sizeof(q) || nheld >= NCALLS) {
                return;
        }
        memcpy(&q, ward_ipc_msg_data(m), sizeof(q));
        TU_CHILD_CHECK(q.magic == 0xC0FFEE);
        held_conn = c;
        held_ids[nheld] = ward_ipc_msg_call_id(m);
        held_index[nheld] = q.index;
        nheld++;
        if (nheld == NCALLS) {
                flush_replies();
        }
}

/* The fallback: whatever arrived after 3 s is answered, so a lost request
 * shows up as a missing callback instead of a hang. */
static void on_fallback(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s;
        (void)expirations;
        (void)arg;
        if (nheld > 0) {
                fprintf(stderr, "server child: fallback timer answers %d calls\n", nheld);
                flush_replies();
        }
}

static void server_setup(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)srv;
        (void)arg;
        ASSERT_OK(ward_loop_add_timer(loop, 3 * TU_SEC, 0, on_fallback, NULL, NULL));
}

/* ---- client ---- */

struct slot {
        int calls;
        int status;
        int order;
        uint64_t id;
        int payload_ok;
};

static struct slot slots[NCALLS];
static int done;

static void on_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        struct slot *s = arg;
        uint32_t index = (uint32_t)(s - slots);
        s->calls++;
        s->status = status;
        s->order = done++;
        if (status != 0 || reply == NULL) {
                return;
        }
        struct rep r;
        if (ward_ipc_msg_len(reply) != sizeof(r)) {
                return;
        }
        memcpy(&r, ward_ipc_msg_data(reply), sizeof(r));
        int fill_ok = 1;
        for (size_t i = 0; i < sizeof(r.fill); i++) {
                fill_ok &= r.fill[i] == (uint8_t)index;
        }
        s->payload_ok = r.index == index && r.not_index == ~index && fill_ok &&
                        ward_ipc_msg_status(reply) == (int32_t)index &&
                        ward_ipc_msg_call_id(reply) == s->id;
}

static void check_slots(void)
{
        for (uint32_t i = 0; i < NCALLS; i++) {
                if (slots[i].calls != 1) {
                        TEST_FAIL("call %u: callback ran %d times", i, slots[i].calls);
                }
                if (slots[i].status != 0 || !slots[i].payload_ok) {
                        TEST_FAIL("call %u: status %d (%s), payload ok %d", i, slots[i].status,
                                  ward_strerror(slots[i].status), slots[i].payload_ok);
                }
                /* one direction is in order: the reversed replies run reversed */
                ASSERT_EQ(slots[i].order, NCALLS - 1 - (int)i);
        }
}

TEST(two_hundred_in_flight_reversed)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "inflight");
        struct tu_server cfg = {.addr = addr, .on_msg = on_req, .setup = server_setup};
        pid_t srv = tu_server_start(&cfg);

        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        ASSERT_ERRNO(ward_ipc_conn_attach(c, loop), EBUSY);

        for (uint32_t i = 0; i < NCALLS; i++) {
                struct req q = {.index = i, .magic = 0xC0FFEE};
                ASSERT_OK(ward_ipc_call_async(c, &q, sizeof(q), 10 * TU_SEC, on_reply, &slots[i],
                                              &slots[i].id));
                ASSERT_NE(slots[i].id, 0);
                for (uint32_t j = 0; j < i; j++) {
                        ASSERT_NE(slots[j].id, slots[i].id);
                }
        }
        ASSERT_EQ(done, 0); /* nothing runs before the loop does */

        uint64_t t0 = ward_now_ns();
        while (done < NCALLS && tu_ms_since(t0) < 8000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        fprintf(stderr, "   %d callbacks after %" PRIu64 " ms\n", done, tu_ms_since(t0));
        /* a little longer: no callback may run twice */
        tu_drive_ms(loop, 50);
        check_slots();
        ASSERT_EQ(done, NCALLS);
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);

        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* Big replies to many calls in flight: 200 x 64 KiB is three times the
 * server's 4 MiB pool, so the server waits for the client to give buffers
 * back while the client's loop dispatches. */
#define BIGREP (64u << 10)

static int big_done, big_bad;

static void reply_big(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint32_t index;
        TU_CHILD_CHECK(ward_ipc_msg_len(m) == sizeof(index));
        memcpy(&index, ward_ipc_msg_data(m), sizeof(index));
        ward_ipc_buf *b;
        TU_CHILD_CHECK(ward_ipc_buf_alloc(c, BIGREP, 5 * TU_SEC, &b) == 0);
        tu_fill(ward_ipc_buf_data(b), BIGREP, index);
        TU_CHILD_CHECK(ward_ipc_reply_buf(c, ward_ipc_msg_call_id(m), (int32_t)index, b) == 0);
}

static void on_big(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        unsigned index = (unsigned)(uintptr_t)arg;
        big_done++;
        if (status != 0 || ward_ipc_msg_len(reply) != BIGREP ||
            ward_ipc_msg_status(reply) != (int32_t)index ||
            tu_check_pattern(ward_ipc_msg_data(reply), BIGREP, index, 0) != -1) {
                big_bad++;
        }
}

TEST(many_big_replies_in_flight)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "big");
        struct tu_server cfg = {.addr = addr, .on_msg = reply_big};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        for (uint32_t i = 0; i < NCALLS; i++) {
                ASSERT_OK(ward_ipc_call_async(c, &i, sizeof(i), 10 * TU_SEC, on_big,
                                              (void *)(uintptr_t)i, NULL));
        }
        uint64_t t0 = ward_now_ns();
        while (big_done < NCALLS && tu_ms_since(t0) < 10000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        fprintf(stderr, "   %d big replies after %" PRIu64 " ms\n", big_done, tu_ms_since(t0));
        ASSERT_EQ(big_done, NCALLS);
        ASSERT_EQ(big_bad, 0);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* Several clients at once, each in its own process, each checking that every
 * reply is its own. */
static pid_t busy_client(const char *addr, unsigned who)
{
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c;
                uint8_t req[256];
                ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
                for (unsigned i = 0; i < 500; i++) {
                        size_t len = 1 + (i * 37 + who) % sizeof(req);
                        tu_fill(req, len, who * 1000 + i);
                        const ward_ipc_msg *rep;
                        ASSERT_OK(ward_ipc_call(c, req, len, 5 * TU_SEC, &rep));
                        ASSERT_EQ(ward_ipc_msg_len(rep), len);
                        ASSERT_EQ(tu_check_pattern(ward_ipc_msg_data(rep), len, who * 1000 + i, 1),
                                  -1);
                }
                ward_ipc_conn_close(c);
                exit(0);
        }
        return pid;
}

TEST(several_clients_at_once)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "several");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        pid_t kids[4];
        for (unsigned i = 0; i < 4; i++) {
                kids[i] = busy_client(addr, i + 1);
        }
        for (unsigned i = 0; i < 4; i++) {
                tu_expect_exit0(kids[i], 20000);
        }
        tu_server_stop(srv);
}

/* Calls still pending when the connection closes complete with -ECANCELED. */
static int cancelled;
static void on_cancel(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        (void)arg;
        ASSERT_EQ(status, -ECANCELED);
        ASSERT_TRUE(reply == NULL);
        cancelled++;
}

static void on_ignore(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c;
        (void)m;
        (void)arg;
}

TEST(close_cancels_pending)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "cancel");
        struct tu_server cfg = {.addr = addr, .on_msg = on_ignore};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        for (int i = 0; i < 10; i++) {
                ASSERT_OK(ward_ipc_call_async(c, "x", 1, 10 * TU_SEC, on_cancel, NULL, NULL));
        }
        tu_drive_ms(loop, 20);
        ASSERT_EQ(cancelled, 0);
        ward_ipc_conn_close(c);
        tu_drive_ms(loop, 20);
        ASSERT_EQ(cancelled, 10);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* Replies to asynchronous calls that arrive while a synchronous call waits are
 * dispatched to their callbacks before the synchronous call returns. */
static uint64_t sync_ids[16];
static int nsync;

static void hold_then_flush(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        if (ward_ipc_msg_len(m) == 4 && memcmp(ward_ipc_msg_data(m), "sync", 4) == 0) {
                for (int i = 0; i < nsync; i++) {
                        TU_CHILD_CHECK(ward_ipc_reply(c, sync_ids[i], i, "a", 1) == 0);
                }
                TU_CHILD_CHECK(ward_ipc_reply(c, id, 99, "s", 1) == 0);
                nsync = 0;
        } else if (nsync < 16) {
                sync_ids[nsync++] = id;
        }
}

static int async_done;
static void on_async(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        ASSERT_EQ(status, 0);
        ASSERT_EQ(ward_ipc_msg_status(reply), (int32_t)(intptr_t)arg);
        async_done++;
}

static void sync_among_async(ward_loop *loop)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), loop ? "mixed-loop" : "mixed");
        struct tu_server cfg = {.addr = addr, .on_msg = hold_then_flush};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        if (loop) {
                ASSERT_OK(ward_ipc_conn_attach(c, loop));
        }
        async_done = 0;
        for (intptr_t i = 0; i < 10; i++) {
                ASSERT_OK(ward_ipc_call_async(c, "x", 1, 5 * TU_SEC, on_async, (void *)i, NULL));
        }
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(c, "sync", 4, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), 99);
        ASSERT_EQ(async_done, 10);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST(sync_call_dispatches_async_replies)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        sync_among_async(loop);
        sync_among_async(NULL);
        ward_loop_free(loop);
}

/* Closing the connection from inside one of its reply callbacks: the other
 * pending calls complete with -ECANCELED, nothing is used after it is freed. */
static int first_replies, later_cancels;

static void echo_first_only(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        if (ward_ipc_msg_len(m) == 5 && memcmp(ward_ipc_msg_data(m), "first", 5) == 0) {
                TU_CHILD_CHECK(ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, "ok", 2) == 0);
        }
}

static void on_first(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)reply, (void)arg;
        ASSERT_EQ(status, 0);
        first_replies++;
        ward_ipc_conn_close(c);
}

static void on_later(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c, (void)reply, (void)arg;
        ASSERT_ERRNO(status, ECANCELED);
        later_cancels++;
}

TEST(close_inside_reply_callback)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "close-in-cb");
        struct tu_server cfg = {.addr = addr, .on_msg = echo_first_only};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        ASSERT_OK(ward_ipc_call_async(c, "first", 5, 5 * TU_SEC, on_first, NULL, NULL));
        for (int i = 0; i < 5; i++) {
                ASSERT_OK(ward_ipc_call_async(c, "later", 5, 5 * TU_SEC, on_later, NULL, NULL));
        }
        uint64_t t0 = ward_now_ns();
        while (first_replies == 0 && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        tu_drive_ms(loop, 20);
        ASSERT_EQ(first_replies, 1);
        ASSERT_EQ(later_cancels, 5);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* The server calls the client back while the client waits in a call of its
 * own: requests flow both ways on one connection. */
static uint64_t pending_ask;

static void on_callback_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)arg;
        int32_t answer = -1;
        if (status == 0 && ward_ipc_msg_len(reply) == sizeof(answer)) {
                memcpy(&answer, ward_ipc_msg_data(reply), sizeof(answer));
        }
        TU_CHILD_CHECK(ward_ipc_reply(c, pending_ask, answer + 1, NULL, 0) == 0);
}

static void server_asks_back(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        TU_CHILD_CHECK(ward_ipc_msg_call_id(m) != 0);
        pending_ask = ward_ipc_msg_call_id(m);
        TU_CHILD_CHECK(
            ward_ipc_call_async(c, "what?", 5, 5 * TU_SEC, on_callback_reply, NULL, NULL) == 0);
}

static int client_asked;

static void client_answers(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        int32_t answer = 41;
        ASSERT_NE(ward_ipc_msg_call_id(m), 0);
        client_asked++;
        ASSERT_OK(ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, &answer, sizeof(answer)));
}

TEST(server_calls_client_back)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "callback");
        struct tu_server cfg = {.addr = addr, .on_msg = server_asks_back};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        ward_ipc_conn_set_handler(c, client_answers, NULL);
        for (int i = 1; i <= 20; i++) {
                const ward_ipc_msg *rep;
                ASSERT_OK(ward_ipc_call(c, "ask", 3, 5 * TU_SEC, &rep));
                ASSERT_EQ(ward_ipc_msg_status(rep), 42);
                ASSERT_EQ(client_asked, i);
        }
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST_MAIN()
