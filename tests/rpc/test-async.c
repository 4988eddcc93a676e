/* Asynchronous calls: a client connection attached to a ward_loop. Many calls
 * fly at once; every closure runs exactly once, on the loop, with its own
 * result; calls still in flight when the client is freed or the connection
 * closed end with NULL, once. */
#include "calc-service.h"
#include "rpc-util.h"

#define N_CALLS 100

struct slot {
        int calls;
        int got;
        int64_t value;
        size_t len;
        long bad;
        unsigned seed;
        int *done; /* shared counter of finished calls */
};

static void on_result(const Calc__Result *r, void *data)
{
        struct slot *s = data;
        s->calls++;
        s->got = r != NULL;
        s->value = r ? r->value : 0;
        (*s->done)++;
}

static void on_blob(const Calc__Blob *b, void *data)
{
        struct slot *s = data;
        s->calls++;
        s->got = b != NULL;
        if (b) {
                s->len = b->data.len;
                s->bad = tu_check_pattern(b->data.data, b->data.len, s->seed, 0);
        }
        (*s->done)++;
}

struct async_client {
        ward_loop *loop;
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        ProtobufCService *svc;
};

static void async_connect(const char *addr, struct async_client *a)
{
        ASSERT_OK(ward_loop_new(&a->loop));
        rt_connect(addr, &calc__calculator__descriptor, &a->conn, &a->c);
        ASSERT_OK(ward_ipc_conn_attach(a->conn, a->loop));
        ASSERT_TRUE(ward_ipc_conn_get_loop(a->conn) == a->loop);
        ASSERT_ERRNO(ward_ipc_conn_attach(a->conn, a->loop), EBUSY);
        a->svc = ward_rpc_client_service(a->c);
}

static void async_close(struct async_client *a)
{
        rt_disconnect(a->conn, a->c);
        ward_loop_free(a->loop);
}

/* run the loop a little more: no closure may run a second time */
static void drain(ward_loop *loop)
{
        for (int i = 0; i < 20; i++) {
                ASSERT_OK(ward_loop_run_once(loop, 0));
        }
}

TEST(hundred_adds_in_flight)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "adds", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        static struct slot slots[N_CALLS];
        int done = 0;

        for (int round = 0; round < 3; round++) {
                done = 0;
                for (int i = 0; i < N_CALLS; i++) {
                        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                        op.a = i;
                        op.b = 1000 * (round + 1);
                        slots[i] = (struct slot){.done = &done};
                        calc__calculator__add(a.svc, &op, on_result, &slots[i]);
                }
                /* closures run on the loop, not inside the stub */
                ASSERT_EQ(done, 0);
                rt_drive_until(a.loop, &done, N_CALLS, 5000);
                drain(a.loop);
                ASSERT_EQ(done, N_CALLS);
                for (int i = 0; i < N_CALLS; i++) {
                        ASSERT_EQ(slots[i].calls, 1);
                        ASSERT_TRUE(slots[i].got);
                        ASSERT_EQ(slots[i].value, i + 1000 * (round + 1));
                }
                ASSERT_EQ(ward_rpc_client_last_error(a.c), 0);
        }
        async_close(&a);
        rt_server_stop(srv);
}

/* Add, Div, Div by zero and Echo of several sizes interleaved, all in flight. */
TEST(mixed_in_flight)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "mixed", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        static struct slot slots[N_CALLS];
        static const size_t sizes[] = {0, 100, 4096, 20000, 65536};
        uint8_t *bufs[N_CALLS] = {0};
        int done = 0;

        for (int i = 0; i < N_CALLS; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                slots[i] = (struct slot){.done = &done, .seed = (unsigned)i};
                op.a = 1000 + i;
                op.b = i % 4 == 2 ? 0 : i + 1;
                if (i % 4 == 0) {
                        calc__calculator__add(a.svc, &op, on_result, &slots[i]);
                } else if (i % 4 != 3) {
                        calc__calculator__div(a.svc, &op, on_result, &slots[i]);
                } else {
                        size_t len = sizes[(i / 4) % 5];
                        bufs[i] = malloc(len ? len : 1);
                        ASSERT_TRUE(bufs[i] != NULL);
                        tu_fill(bufs[i], len, (unsigned)i);
                        Calc__Blob blob = CALC__BLOB__INIT;
                        blob.data.len = len;
                        blob.data.data = bufs[i];
                        calc__calculator__echo(a.svc, &blob, on_blob, &slots[i]);
                }
        }
        ASSERT_EQ(done, 0);
        rt_drive_until(a.loop, &done, N_CALLS, 5000);
        drain(a.loop);
        for (int i = 0; i < N_CALLS; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                switch (i % 4) {
                case 0:
                        ASSERT_TRUE(slots[i].got);
                        ASSERT_EQ(slots[i].value, 1000 + i + i + 1);
                        break;
                case 1:
                        ASSERT_TRUE(slots[i].got);
                        ASSERT_EQ(slots[i].value, (1000 + i) / (i + 1));
                        break;
                case 2:
                        ASSERT_TRUE(!slots[i].got); /* division by zero */
                        break;
                default:
                        ASSERT_TRUE(slots[i].got);
                        ASSERT_EQ(slots[i].len, sizes[(i / 4) % 5]);
                        ASSERT_EQ(slots[i].bad, -1);
                        break;
                }
                free(bufs[i]);
        }
        /* the last call sent was an Echo; what finished last is its result */
        ASSERT_EQ(ward_rpc_client_last_error(a.c), 0);
        async_close(&a);
        rt_server_stop(srv);
}

/* A failed call's error is last_error when its own closure runs. */
struct status_slot {
        ward_rpc_client *c;
        int calls;
        int status;
        int *done;
};

static void on_status(const Calc__Result *r, void *data)
{
        struct status_slot *s = data;
        (void)r;
        s->calls++;
        s->status = ward_rpc_client_last_error(s->c);
        (*s->done)++;
}

TEST(last_error_inside_closure)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "status", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        struct status_slot slots[10];
        int done = 0;
        for (int i = 0; i < 10; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                op.a = 10;
                op.b = i % 2;
                slots[i] = (struct status_slot){.c = a.c, .done = &done};
                calc__calculator__div(a.svc, &op, on_status, &slots[i]);
        }
        rt_drive_until(a.loop, &done, 10, 5000);
        for (int i = 0; i < 10; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_EQ(slots[i].status, i % 2 ? 0 : -WARD_E_HANDLER_ERROR);
        }
        async_close(&a);
        rt_server_stop(srv);
}

/* A synchronous ward_rpc_call on an attached connection while asynchronous
 * calls fly: it returns its own reply; theirs still reach their closures. */
TEST(sync_call_among_async)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "syncasync", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        struct slot slots[20];
        int done = 0;
        for (int i = 0; i < 20; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                op.a = i;
                op.b = 1;
                slots[i] = (struct slot){.done = &done};
                calc__calculator__add(a.svc, &op, on_result, &slots[i]);
        }
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 40;
        op.b = 2;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(a.c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 42);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_drive_until(a.loop, &done, 20, 5000);
        drain(a.loop);
        for (int i = 0; i < 20; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_TRUE(slots[i].got);
                ASSERT_EQ(slots[i].value, i + 1);
        }
        async_close(&a);
        rt_server_stop(srv);
}

/* Bad method index and one-way calls do not wait, even with a loop. */
struct noreply_box {
        int calls;
        int got;
};

static void on_noreply(const Ward__NoReply *r, void *data)
{
        struct noreply_box *b = data;
        b->calls++;
        b->got = r != NULL;
}

TEST(immediate_closures)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "immediate", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        Calc__LogLine line = CALC__LOG_LINE__INIT;
        line.text = "async";
        for (int i = 0; i < 10; i++) {
                struct noreply_box b = {0};
                calc__calculator__log(a.svc, &line, on_noreply, &b);
                ASSERT_EQ(b.calls, 1);
                ASSERT_TRUE(b.got);
                ASSERT_EQ(ward_rpc_client_last_error(a.c), 0);
        }
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        int done = 0;
        struct slot s = {.done = &done};
        a.svc->invoke(a.svc, 17, &op.base, (ProtobufCClosure)on_result, &s);
        ASSERT_EQ(s.calls, 1);
        ASSERT_TRUE(!s.got);
        ASSERT_EQ(ward_rpc_client_last_error(a.c), -WARD_E_UNKNOWN_METHOD);
        drain(a.loop);
        ASSERT_EQ(s.calls, 1);
        async_close(&a);
        rt_server_stop(srv);
}

/* Freeing the client with calls in flight: each closure gets NULL, once, in
 * ward_rpc_client_free; the replies that arrive later are dropped. */
TEST(free_client_with_calls_in_flight)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "freeflight", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        struct slot slots[50];
        int done = 0;
        for (int i = 0; i < 50; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                op.a = i;
                slots[i] = (struct slot){.done = &done, .value = -1};
                calc__calculator__add(a.svc, &op, on_result, &slots[i]);
        }
        ASSERT_EQ(done, 0);
        a.c = ward_rpc_client_free(a.c);
        ASSERT_EQ(done, 50);
        for (int i = 0; i < 50; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_TRUE(!slots[i].got);
        }
        /* A raw request after them: its reply comes after theirs, which the
         * connection dispatches (to the freed client's leftovers) meanwhile. */
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(a.conn, "x", 1, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), WARD_RPC_BAD_MESSAGE);
        ward_ipc_msg_release(a.conn, rep);
        drain(a.loop);
        ASSERT_EQ(done, 50);

        /* a new client on the same connection works */
        ASSERT_OK(ward_rpc_client_new(a.conn, &calc__calculator__descriptor, &a.c));
        a.svc = ward_rpc_client_service(a.c);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 5;
        op.b = 6;
        struct slot s = {.done = &done};
        calc__calculator__add(a.svc, &op, on_result, &s);
        rt_drive_until(a.loop, &done, 51, 5000);
        ASSERT_TRUE(s.got);
        ASSERT_EQ(s.value, 11);
        async_close(&a);
        rt_server_stop(srv);
}

/* Closing the connection with calls in flight: each closure gets NULL, once,
 * and last_error says the calls were cancelled (by us: not the peer's doing). */
TEST(close_conn_with_calls_in_flight)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "closeflight", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        struct slot slots[50];
        int done = 0;
        for (int i = 0; i < 50; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                op.a = i;
                slots[i] = (struct slot){.done = &done, .value = -1};
                calc__calculator__add(a.svc, &op, on_result, &slots[i]);
        }
        ASSERT_EQ(done, 0);
        a.conn = ward_ipc_conn_close(a.conn);
        drain(a.loop);
        ASSERT_EQ(done, 50);
        for (int i = 0; i < 50; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_TRUE(!slots[i].got);
        }
        ASSERT_EQ(ward_rpc_client_last_error(a.c), -ECANCELED);
        a.c = ward_rpc_client_free(a.c);
        ASSERT_EQ(done, 50);
        ward_loop_free(a.loop);
        rt_server_stop(srv);
}

/* Two clients on two connections attached to one loop, calls interleaved. */
TEST(two_connections_one_loop)
{
        char addr1[108], addr2[108];
        pid_t srv1 = rt_start_one(addr1, sizeof(addr1), "two1", &calc_service.base);
        pid_t srv2 = rt_start_one(addr2, sizeof(addr2), "two2", &calc_service.base);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_conn *conn[2];
        ward_rpc_client *c[2];
        rt_connect(addr1, &calc__calculator__descriptor, &conn[0], &c[0]);
        rt_connect(addr2, &calc__calculator__descriptor, &conn[1], &c[1]);
        ASSERT_OK(ward_ipc_conn_attach(conn[0], loop));
        ASSERT_OK(ward_ipc_conn_attach(conn[1], loop));
        static struct slot slots[N_CALLS];
        int done = 0;
        for (int i = 0; i < N_CALLS; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                op.a = i;
                op.b = i;
                slots[i] = (struct slot){.done = &done};
                calc__calculator__add(ward_rpc_client_service(c[i % 2]), &op, on_result, &slots[i]);
        }
        rt_drive_until(loop, &done, N_CALLS, 5000);
        drain(loop);
        for (int i = 0; i < N_CALLS; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_TRUE(slots[i].got);
                ASSERT_EQ(slots[i].value, 2 * i);
        }
        rt_disconnect(conn[0], c[0]);
        rt_disconnect(conn[1], c[1]);
        ward_loop_free(loop);
        rt_server_stop(srv1);
        rt_server_stop(srv2);
}

/* ward_rpc_call from a closure that runs inside another synchronous call on
 * the same connection: -EBUSY, not a deadlock. */
struct nested_box {
        ward_rpc_client *c;
        int calls;
        int got;
        int nested;
};

static void on_nested(const Calc__Result *r, void *data)
{
        struct nested_box *b = data;
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        b->calls++;
        b->got = r != NULL;
        b->nested = ward_rpc_call(b->c, 0, &op.base, 5 * TU_SEC, &out);
        if (out) {
                protobuf_c_message_free_unpacked(out, NULL);
        }
}

TEST(sync_call_nested_in_sync_call)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "nestedsync", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 1;
        op.b = 2;
        struct nested_box b = {.c = a.c, .nested = 1};
        calc__calculator__add(a.svc, &op, on_nested, &b);
        ASSERT_EQ(b.calls, 0);
        /* its reply arrives before this one's, so it is dispatched inside */
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(a.c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        ASSERT_EQ(b.calls, 1);
        ASSERT_TRUE(b.got);
        ASSERT_ERRNO(b.nested, EBUSY);
        /* from the loop itself, a synchronous call is fine */
        b = (struct nested_box){.c = a.c, .nested = 1};
        calc__calculator__add(a.svc, &op, on_nested, &b);
        int *calls = &b.calls;
        rt_drive_until(a.loop, calls, 1, 5000);
        RT_EXPECT_STATUS(b.nested, 0);
        async_close(&a);
        rt_server_stop(srv);
}

/* A closure frees its own client while other calls fly: they end with NULL,
 * once, and their replies are dropped. */
struct owner {
        ward_rpc_client *c;
        int calls[10];
        int got[10];
        int done;
};

static struct owner owner;

static void on_owned(const Calc__Result *r, void *data)
{
        int i = (int)(intptr_t)data;
        owner.calls[i]++;
        owner.got[i] = r != NULL;
        owner.done++;
        if (i == 0 && owner.c) {
                ward_rpc_client *c = owner.c;
                owner.c = NULL;
                ward_rpc_client_free(c);
        }
}

TEST(free_client_inside_closure)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "freeinside", &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        owner = (struct owner){.c = a.c};
        for (int i = 0; i < 10; i++) {
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                calc__calculator__add(a.svc, &op, on_owned, (void *)(intptr_t)i);
        }
        rt_drive_until(a.loop, &owner.done, 10, 5000);
        ASSERT_TRUE(owner.c == NULL);
        ASSERT_TRUE(owner.got[0]);
        for (int i = 1; i < 10; i++) {
                ASSERT_EQ(owner.calls[i], 1);
                ASSERT_TRUE(!owner.got[i]);
        }
        /* the other replies arrive and are dropped; a raw call after them */
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(a.conn, "x", 1, 5 * TU_SEC, &rep));
        ward_ipc_msg_release(a.conn, rep);
        drain(a.loop);
        ASSERT_EQ(owner.done, 10);
        a.c = NULL;
        async_close(&a);
        rt_server_stop(srv);
}

/* More in flight than the connection holds: with the request ring or the
 * shared pool full, a new call waits for space, and meanwhile the connection
 * dispatches replies to the calls before it (so a closure may run inside a
 * later stub call). Every closure still runs exactly once with its own reply,
 * and freeing the client afterwards calls none again. */
#define N_FLOOD 5000

static void flood(const char *name, int n, size_t len)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), name, &calc_service.base);
        struct async_client a;
        async_connect(addr, &a);
        static struct slot slots[N_FLOOD];
        uint8_t *buf = malloc(len);
        ASSERT_TRUE(n <= N_FLOOD && buf != NULL);
        int done = 0;
        for (int i = 0; i < n; i++) {
                Calc__Blob blob = CALC__BLOB__INIT;
                tu_fill(buf, len, (unsigned)i);
                blob.data.len = len;
                blob.data.data = buf;
                slots[i] = (struct slot){.done = &done, .seed = (unsigned)i, .bad = -2};
                calc__calculator__echo(a.svc, &blob, on_blob, &slots[i]);
        }
        rt_drive_until(a.loop, &done, n, 10000);
        drain(a.loop);
        for (int i = 0; i < n; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_TRUE(slots[i].got);
                ASSERT_EQ(slots[i].len, len);
                ASSERT_EQ(slots[i].bad, -1);
        }
        a.c = ward_rpc_client_free(a.c);
        ASSERT_EQ(done, n); /* nothing was still pending */
        free(buf);
        async_close(&a);
        rt_server_stop(srv);
}

TEST(flood_the_ring)
{
        flood("flood-ring", N_FLOOD, 100);
}

TEST(flood_the_pool)
{
        flood("flood-pool", 16, 1u << 20);
}

TEST_MAIN()
