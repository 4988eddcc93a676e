/* One-way messages: 10000 arrive in order, a request sent after them is answered
 * after all of them were seen, and a server can push to a client's handler. */
#include "ipc-util.h"

#define NMSG 10000

enum kind {
        K_SEQ = 1,         /* one-way: seq must be the next number */
        K_COUNT = 2,       /* request: status = seen so far, payload = out of order */
        K_PUSH = 3,        /* one-way: push n messages back */
        K_PUSH_REPLY = 4,  /* request: push n messages back, then reply */
        K_RESET = 5,       /* one-way: start counting again */
        K_PUSH_MARKER = 6, /* what the server pushes */
};

struct msg {
        uint32_t kind;
        uint32_t n;
};

/* ---- server (child) ---- */

static uint32_t seen, out_of_order;

static void push(ward_ipc_conn *c, uint32_t n)
{
        for (uint32_t i = 0; i < n; i++) {
                struct msg p = {.kind = K_PUSH_MARKER, .n = i};
                TU_CHILD_CHECK(ward_ipc_send(c, &p, sizeof(p)) >= 0);
        }
}

static void on_oneway(ward_ipc_conn *c, const struct msg *q)
{
        if (q->kind == K_SEQ) {
                out_of_order += q->n != seen;
                seen++;
        } else if (q->kind == K_PUSH) {
                push(c, q->n);
        } else if (q->kind == K_RESET) {
                seen = out_of_order = 0;
        } else {
                TU_CHILD_CHECK(!"unexpected one-way kind");
        }
}

static void on_request(ward_ipc_conn *c, uint64_t id, const struct msg *q)
{
        if (q->kind == K_PUSH_REPLY) {
                push(c, q->n);
        } else {
                TU_CHILD_CHECK(q->kind == K_COUNT);
        }
        TU_CHILD_CHECK(ward_ipc_reply(c, id, (int32_t)seen, &out_of_order, sizeof(out_of_order)) >=
                       0);
}

static void on_msg(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        struct msg q;
        TU_CHILD_CHECK(ward_ipc_msg_len(m) == sizeof(q));
        if (ward_ipc_msg_len(m) != sizeof(q)) {
                return;
        }
        memcpy(&q, ward_ipc_msg_data(m), sizeof(q));
        TU_CHILD_CHECK(ward_ipc_msg_status(m) == 0);
        if (ward_ipc_msg_call_id(m) == 0) {
                on_oneway(c, &q);
        } else {
                on_request(c, ward_ipc_msg_call_id(m), &q);
        }
}

/* ---- client ---- */

static void send_msg(ward_ipc_conn *c, uint32_t kind, uint32_t n)
{
        struct msg q = {.kind = kind, .n = n};
        ASSERT_OK(ward_ipc_send(c, &q, sizeof(q)));
}

static void check_count(ward_ipc_conn *c, uint32_t want)
{
        struct msg q = {.kind = K_COUNT};
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(c, &q, sizeof(q), 10 * TU_SEC, &rep));
        uint32_t ooo;
        ASSERT_EQ(ward_ipc_msg_len(rep), sizeof(ooo));
        memcpy(&ooo, ward_ipc_msg_data(rep), sizeof(ooo));
        ASSERT_EQ(ward_ipc_msg_status(rep), want);
        ASSERT_EQ(ooo, 0);
        ward_ipc_msg_release(c, rep);
}

static void many_in_order(const struct ward_ipc_options *o, const char *tag)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), tag);
        struct tu_server cfg = {.addr = addr, .opts = o, .on_msg = on_msg};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, o, &c));
        uint64_t t0 = ward_now_ns();
        for (uint32_t i = 0; i < NMSG; i++) {
                send_msg(c, K_SEQ, i);
        }
        /* the request follows the one-way messages: the server saw all of them */
        check_count(c, NMSG);
        fprintf(stderr, "   %s: %d one-way messages in order (%" PRIu64 " ms)\n", tag, NMSG,
                tu_ms_since(t0));
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST(ten_thousand_in_order)
{
        many_in_order(NULL, "oneway");
}

/* A 4 KiB ring fills up many times over: the sender waits for space. */
TEST(ten_thousand_small_ring_block)
{
        struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_BLOCK);
        o.ring_bytes = 4096;
        o.inline_max = 1024;
        many_in_order(&o, "oneway-small");
}

/* ---- pushes from the server ---- */

static uint32_t pushes, push_bad;

static void on_push(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c;
        ASSERT_EQ((uintptr_t)arg, 0x5EED);
        ASSERT_EQ(ward_ipc_msg_call_id(m), 0);
        struct msg p;
        ASSERT_EQ(ward_ipc_msg_len(m), sizeof(p));
        memcpy(&p, ward_ipc_msg_data(m), sizeof(p));
        push_bad += p.kind != K_PUSH_MARKER;
        pushes++;
}

static void expect_pushes_on_loop(ward_loop *loop, uint32_t want)
{
        uint64_t t0 = ward_now_ns();
        while (pushes < want && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        ASSERT_EQ(pushes, want);
}

TEST(server_push_to_handler)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "push");
        struct tu_server cfg = {.addr = addr, .on_msg = on_msg};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        ward_ipc_conn_set_handler(c, on_push, (void *)(uintptr_t)0x5EED);

        send_msg(c, K_PUSH, 100);
        expect_pushes_on_loop(loop, 100);
        /* pushes sent before a reply are dispatched before the call returns */
        struct msg q = {.kind = K_PUSH_REPLY, .n = 5};
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(c, &q, sizeof(q), 5 * TU_SEC, &rep));
        ASSERT_EQ(pushes, 105);
        ward_ipc_msg_release(c, rep);
        tu_drive_ms(loop, 20);
        ASSERT_EQ(pushes, 105);
        ASSERT_EQ(push_bad, 0);

        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* Without a loop, ward_ipc_conn_process dispatches pushes. */
TEST(server_push_without_loop)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "push-noloop");
        struct tu_server cfg = {.addr = addr, .on_msg = on_msg};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        ward_ipc_conn_set_handler(c, on_push, (void *)(uintptr_t)0x5EED);
        pushes = 0;
        send_msg(c, K_PUSH, 50);
        uint64_t t0 = ward_now_ns();
        while (pushes < 50 && tu_ms_since(t0) < 5000) {
                int r = ward_ipc_conn_process(c);
                ASSERT_OK(r);
                if (r == 0) {
                        tu_sleep_ms(1);
                }
        }
        ASSERT_EQ(pushes, 50);
        ASSERT_EQ(ward_ipc_conn_process(c), 0);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* Without a handler, pushes are dropped and the connection keeps working. */
TEST(push_without_handler_dropped)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "push-drop");
        struct tu_server cfg = {.addr = addr, .on_msg = on_msg};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        send_msg(c, K_RESET, 0);
        struct msg q = {.kind = K_PUSH_REPLY, .n = 20};
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(c, &q, sizeof(q), 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), 0);
        ward_ipc_msg_release(c, rep);
        check_count(c, 0);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* Pushes that arrive before the connection is attached are delivered once it
 * is (the client was not sleeping in a loop when they came, so no doorbell
 * rang for them). */
static void attach_late(enum ward_ipc_wait wait)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), tu_wait_name(wait));
        struct ward_ipc_options o = tu_opts(wait);
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = on_msg};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        send_msg(c, K_RESET, 0);
        struct msg q = {.kind = K_PUSH_REPLY, .n = 7};
        const ward_ipc_msg *rep;
        /* the pushes come before the reply; with no handler yet they would be
         * dropped, so push again with a one-way and do not wait for them */
        ASSERT_OK(ward_ipc_call(c, &q, sizeof(q), 5 * TU_SEC, &rep));
        ward_ipc_msg_release(c, rep);
        send_msg(c, K_PUSH, 7);
        tu_sleep_ms(50); /* they are in our ring now, unread */
        pushes = push_bad = 0;
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_conn_set_handler(c, on_push, (void *)(uintptr_t)0x5EED);
        ASSERT_OK(ward_ipc_conn_attach(c, loop));
        expect_pushes_on_loop(loop, 7);
        ASSERT_EQ(push_bad, 0);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

TEST(pushes_before_attach)
{
        attach_late(WARD_IPC_WAIT_BLOCK);
        attach_late(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        attach_late(WARD_IPC_WAIT_SPIN);
}

/* A push handler may itself make a synchronous call on the connection. (One
 * push at a time: a second push arriving while that call waits would be
 * dispatched inside it, and a call nested in a call returns -EBUSY.) */
static int nested_ok;

static void on_push_call(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)m, (void)arg;
        struct msg q = {.kind = K_COUNT};
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(c, &q, sizeof(q), 5 * TU_SEC, &rep));
        nested_ok++;
}

TEST(call_from_push_handler)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "push-call");
        struct tu_server cfg = {.addr = addr, .on_msg = on_msg};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        ward_ipc_conn_set_handler(c, on_push_call, NULL);
        for (int i = 1; i <= 10; i++) {
                send_msg(c, K_PUSH, 1);
                uint64_t t0 = ward_now_ns();
                while (nested_ok < i && tu_ms_since(t0) < 5000) {
                        ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
                }
                ASSERT_EQ(nested_ok, i);
        }
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

TEST_MAIN()
