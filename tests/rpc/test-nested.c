/* Calls made while serving. A Relay service (relay.proto) answers Forward from
 * the closure of an asynchronous calc.Calculator.Add it makes to another
 * address, over its own connection attached to its server's loop:
 *   - chain: test -> relay child B -> calc child C;
 *   - callback: the test process A serves the Calculator and calls B on one
 *     loop; B calls back into A while serving A's call.
 * Everything completes, nothing deadlocks. */
#include "calc-service.h"
#include "relay.pb-c.h"
#include "rpc-util.h"

/* ---- the Relay service, in a server child ---- */

static struct {
        char via[108];
        ward_ipc_conn *conn; /* to via, attached to the child's loop */
        ward_rpc_client *client;
        int in_forward; /* inside relay_forward: an answer now is not deferred */
} relay;

struct relay_call {
        Relay__Sum_Closure done;
        void *closure_data;
};

static void relay_disconnect(void)
{
        relay.client = ward_rpc_client_free(relay.client);
        relay.conn = ward_ipc_conn_close(relay.conn);
        relay.via[0] = '\0';
}

/* relay_client_for: the client of via's Calculator, connected on first use
 * (from inside a handler), or again when via changed or the old one broke. */
static ward_rpc_client *relay_client_for(const char *via)
{
        if (relay.conn && (strcmp(relay.via, via) != 0 || ward_ipc_conn_get_error(relay.conn))) {
                relay_disconnect();
        }
        if (relay.conn) {
                return relay.client;
        }
        if (strlen(via) >= sizeof(relay.via) || ward_ipc_connect(via, NULL, &relay.conn) < 0) {
                return NULL;
        }
        if (ward_ipc_conn_attach(relay.conn, rt_child_loop) < 0 ||
            ward_rpc_client_new(relay.conn, &calc__calculator__descriptor, &relay.client) < 0) {
                relay_disconnect();
                return NULL;
        }
        strcpy(relay.via, via);
        return relay.client;
}

static void relay_on_add(const Calc__Result *r, void *data)
{
        struct relay_call *rc = data;
        Relay__Sum sum = RELAY__SUM__INIT;
        if (r) {
                sum.value = r->value;
                sum.relay_pid = getpid();
                sum.deferred = !relay.in_forward;
        }
        rc->done(r ? &sum : NULL, rc->closure_data);
        free(rc);
}

static void relay_forward(Relay__Relay_Service *svc, const Relay__Pair *in, Relay__Sum_Closure done,
                          void *closure_data)
{
        (void)svc;
        ward_rpc_client *c = relay_client_for(in->via);
        struct relay_call *rc = c ? malloc(sizeof(*rc)) : NULL;
        if (!rc) {
                done(NULL, closure_data);
                return;
        }
        *rc = (struct relay_call){.done = done, .closure_data = closure_data};
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = in->a;
        op.b = in->b;
        relay.in_forward = 1;
        calc__calculator__add(ward_rpc_client_service(c), &op, relay_on_add, rc);
        relay.in_forward = 0;
}

static Relay__Relay_Service relay_service = RELAY__RELAY__INIT(relay_);

static void relay_teardown(void *arg)
{
        (void)arg;
        relay_disconnect();
}

static pid_t start_relay(char *addr, size_t size, const char *name)
{
        rt_addr(addr, size, name);
        struct rt_server cfg = {
            .addr = addr, .services = {&relay_service.base}, .teardown = relay_teardown};
        return rt_server_start(&cfg);
}

/* ---- the caller's side ---- */

static Relay__Pair pair(int64_t a, int64_t b, char *via)
{
        Relay__Pair p = RELAY__PAIR__INIT;
        p.a = a;
        p.b = b;
        p.via = via;
        return p;
}

struct sum_slot {
        int calls;
        int got;
        int64_t value;
        int32_t pid;
        int deferred;
        int *done;
};

static void on_sum(const Relay__Sum *s, void *data)
{
        struct sum_slot *slot = data;
        slot->calls++;
        slot->got = s != NULL;
        if (s) {
                slot->value = s->value;
                slot->pid = s->relay_pid;
                slot->deferred = s->deferred;
        }
        (*slot->done)++;
}

static void expect_sums(struct sum_slot *slots, int n, pid_t relay_pid)
{
        for (int i = 0; i < n; i++) {
                ASSERT_EQ(slots[i].calls, 1);
                ASSERT_TRUE(slots[i].got);
                ASSERT_EQ(slots[i].value, 3 * i + 7);
                ASSERT_EQ(slots[i].pid, relay_pid);
                ASSERT_TRUE(slots[i].deferred);
        }
}

/* test -> B -> C, synchronous callers: B answers after its handler returned. */
TEST(chain_sync)
{
        char calc_addr[108], relay_addr[108];
        pid_t c_pid = rt_start_one(calc_addr, sizeof(calc_addr), "chain-calc", &calc_service.base);
        pid_t b_pid = start_relay(relay_addr, sizeof(relay_addr), "chain-relay");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(relay_addr, &relay__relay__descriptor, &conn, &c);

        for (int i = 0; i < 20; i++) {
                Relay__Pair p = pair(i, 2 * i + 7, calc_addr);
                ProtobufCMessage *out = NULL;
                RT_EXPECT_STATUS(ward_rpc_call(c, 0, &p.base, 5 * TU_SEC, &out), 0);
                Relay__Sum *s = (Relay__Sum *)out;
                ASSERT_EQ(s->value, 3 * i + 7);
                ASSERT_EQ(s->relay_pid, b_pid);
                ASSERT_TRUE(s->deferred);
                protobuf_c_message_free_unpacked(out, NULL);

                int done = 0;
                struct sum_slot slot = {.done = &done};
                relay__relay__forward(ward_rpc_client_service(c), &p, on_sum, &slot);
                ASSERT_EQ(done, 1); /* no loop: done before the stub returns */
                ASSERT_TRUE(slot.got);
                ASSERT_EQ(slot.value, 3 * i + 7);
                ASSERT_EQ(slot.pid, b_pid);
                ASSERT_TRUE(slot.deferred);
        }
        rt_disconnect(conn, c);
        rt_server_stop(b_pid);
        rt_server_stop(c_pid);
}

/* test -> B -> C with 50 calls in flight at each hop. */
TEST(chain_async)
{
        char calc_addr[108], relay_addr[108];
        pid_t c_pid = rt_start_one(calc_addr, sizeof(calc_addr), "achain-calc", &calc_service.base);
        pid_t b_pid = start_relay(relay_addr, sizeof(relay_addr), "achain-relay");
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(relay_addr, &relay__relay__descriptor, &conn, &c);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        struct sum_slot slots[50];
        int done = 0;
        for (int i = 0; i < 50; i++) {
                Relay__Pair p = pair(i, 2 * i + 7, calc_addr);
                slots[i] = (struct sum_slot){.done = &done};
                relay__relay__forward(ward_rpc_client_service(c), &p, on_sum, &slots[i]);
        }
        rt_drive_until(loop, &done, 50, 5000);
        expect_sums(slots, 50, b_pid);
        rt_disconnect(conn, c);
        ward_loop_free(loop);
        rt_server_stop(b_pid);
        rt_server_stop(c_pid);
}

/* The inner call fails (nobody at via; then C killed): the outer call fails
 * with the handler's error, at once, and B keeps serving. */
TEST(chain_inner_failure)
{
        char calc_addr[108], relay_addr[108], nobody[108];
        pid_t c_pid = rt_start_one(calc_addr, sizeof(calc_addr), "fchain-calc", &calc_service.base);
        pid_t b_pid = start_relay(relay_addr, sizeof(relay_addr), "fchain-relay");
        rt_addr(nobody, sizeof(nobody), "fchain-nobody");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(relay_addr, &relay__relay__descriptor, &conn, &c);
        ProtobufCMessage *out = NULL;

        Relay__Pair p = pair(1, 2, nobody);
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &p.base, 5 * TU_SEC, &out), -WARD_E_HANDLER_ERROR);
        ASSERT_TRUE(out == NULL);

        p = pair(1, 6, calc_addr);
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &p.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Relay__Sum *)out)->value, 7);
        protobuf_c_message_free_unpacked(out, NULL);

        tu_kill(c_pid); /* B's connection to C breaks */
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &p.base, 5 * TU_SEC, &out), -WARD_E_HANDLER_ERROR);

        /* a new C at another address: B serves again */
        char calc2[108];
        pid_t c2_pid = rt_start_one(calc2, sizeof(calc2), "fchain-calc2", &calc_service.base);
        p = pair(1, 6, calc2);
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &p.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Relay__Sum *)out)->value, 7);
        protobuf_c_message_free_unpacked(out, NULL);

        rt_disconnect(conn, c);
        rt_server_stop(b_pid);
        rt_server_stop(c2_pid);
}

/* A serves the Calculator and calls B on one loop; B's handler connects to A
 * and calls A's Calculator while serving A's call. */
TEST(callback_into_caller)
{
        char a_addr[108], relay_addr[108];
        pid_t b_pid = start_relay(relay_addr, sizeof(relay_addr), "cb-relay");
        rt_addr(a_addr, sizeof(a_addr), "cb-a");
        ward_loop *loop;
        ward_rpc_server *srv;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, a_addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &calc_service.base));
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(relay_addr, &relay__relay__descriptor, &conn, &c);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));

        for (int round = 0; round < 3; round++) {
                struct sum_slot slots[30];
                int done = 0;
                int n = round == 0 ? 1 : 30; /* the first alone: B connects to A */
                for (int i = 0; i < n; i++) {
                        Relay__Pair p = pair(i, 2 * i + 7, a_addr);
                        slots[i] = (struct sum_slot){.done = &done};
                        relay__relay__forward(ward_rpc_client_service(c), &p, on_sum, &slots[i]);
                }
                ASSERT_EQ(done, 0);
                rt_drive_until(loop, &done, n, 5000);
                expect_sums(slots, n, b_pid);
        }
        /* B holds one connection to A */
        ASSERT_EQ(ward_ipc_server_count(ward_rpc_server_ipc(srv)), 1);

        rt_disconnect(conn, c);
        rt_server_stop(b_pid);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

/* Both directions at once on A's loop: A's own relay calls through B back to
 * A, while B also relays to C for A. */
TEST(callback_and_chain_interleaved)
{
        char a_addr[108], relay_addr[108], calc_addr[108];
        pid_t c_pid = rt_start_one(calc_addr, sizeof(calc_addr), "mix-calc", &calc_service.base);
        pid_t b_pid = start_relay(relay_addr, sizeof(relay_addr), "mix-relay");
        rt_addr(a_addr, sizeof(a_addr), "mix-a");
        ward_loop *loop;
        ward_rpc_server *srv;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, a_addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &calc_service.base));
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(relay_addr, &relay__relay__descriptor, &conn, &c);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));

        /* B reconnects whenever via changes, so alternate in batches */
        for (int round = 0; round < 4; round++) {
                struct sum_slot slots[25];
                int done = 0;
                for (int i = 0; i < 25; i++) {
                        Relay__Pair p = pair(i, 2 * i + 7, round % 2 ? calc_addr : a_addr);
                        slots[i] = (struct sum_slot){.done = &done};
                        relay__relay__forward(ward_rpc_client_service(c), &p, on_sum, &slots[i]);
                }
                rt_drive_until(loop, &done, 25, 5000);
                expect_sums(slots, 25, b_pid);
        }
        rt_disconnect(conn, c);
        rt_server_stop(b_pid);
        rt_server_stop(c_pid);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

TEST_MAIN()
