/* ward_rpc_server_free called from inside one of the server's own handlers,
 * for a remote caller and for a short-circuit one: the handler's closure
 * still works (its answer goes nowhere for the remote one), nothing is used
 * after it is freed (the ASan build is the judge, and its leak check), the
 * remote clients see their connections end, and the address is free again. */
#include "calc-service.h"
#include "rpc-util.h"

static struct {
        ward_loop *loop;
        ward_rpc_server *srv;
        int freed;
} fx;

/* A Calculator whose every method frees the server, then answers. */
static void freeing_invoke(ProtobufCService *svc, unsigned method, const ProtobufCMessage *in,
                           ProtobufCClosure closure, void *closure_data)
{
        (void)svc, (void)method, (void)in;
        ASSERT_TRUE(ward_rpc_server_free(fx.srv) == NULL);
        ASSERT_TRUE(ward_rpc_server_free(fx.srv) == NULL); /* again, deferred: nothing */
        fx.srv = NULL;
        fx.freed++;
        ward_loop_stop(fx.loop);
        Calc__Result r = CALC__RESULT__INIT;
        r.value = 42;
        closure(&r.base, closure_data);
}

static ProtobufCService freeing = {.descriptor = &calc__calculator__descriptor,
                                   .invoke = freeing_invoke};

static int client(const char *addr, int start_fd)
{
        char b;
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        if (tu_read_full(start_fd, &b, 1, 10000) != 1) {
                return 1;
        }
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        /* the call frees the server: its answer cannot come back */
        int r = ward_rpc_call(c, 0, &op.base, 10 * TU_SEC, &out);
        if (r != -ECONNRESET) {
                fprintf(stderr, "client: call: %d (%s), want -ECONNRESET\n", r, ward_strerror(r));
                return 1;
        }
        rt_disconnect(conn, c);
        return 0;
}

static void on_guard(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s, (void)expirations, (void)arg;
        TEST_FAIL("the server was not freed within 10 s");
}

TEST(free_in_remote_handler)
{
        char addr[108];
        int start[2];
        rt_addr(addr, sizeof(addr), "free-remote");
        memset(&fx, 0, sizeof(fx));
        tu_pipe(start);
        pid_t kid = tu_fork(); /* before the server: it holds no copy of its socket */
        if (kid == 0) {
                _exit(client(addr, start[0]));
        }
        ASSERT_OK(ward_loop_new(&fx.loop));
        ASSERT_OK(ward_rpc_server_new(fx.loop, addr, NULL, &fx.srv));
        ASSERT_OK(ward_rpc_server_add(fx.srv, &freeing));
        ward_source *guard;
        ASSERT_OK(ward_loop_add_timer(fx.loop, 10 * TU_SEC, 0, on_guard, NULL, &guard));
        tu_write_full(start[1], "s", 1);
        ASSERT_OK(ward_loop_run(fx.loop));
        ASSERT_EQ(fx.freed, 1);
        tu_expect_exit0(kid, 15000);
        /* the address is free again */
        ward_rpc_server *again;
        ASSERT_OK(ward_rpc_server_new(fx.loop, addr, NULL, &again));
        ward_rpc_server_free(again);
        ASSERT_OK(ward_loop_run_once(fx.loop, 0));
        ward_source_free(guard);
        ASSERT_TRUE(ward_loop_free(fx.loop) == NULL);
        close(start[0]);
        close(start[1]);
}

TEST(free_in_short_circuit_handler)
{
        char addr[108];
        rt_addr(addr, sizeof(addr), "free-local");
        memset(&fx, 0, sizeof(fx));
        ASSERT_OK(ward_loop_new(&fx.loop));
        ASSERT_OK(ward_rpc_server_new(fx.loop, addr, NULL, &fx.srv));
        ASSERT_OK(ward_rpc_server_add(fx.srv, &freeing));
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_open(addr, &calc__calculator__descriptor, NULL, &c));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        /* the handler answers before it returns: the caller gets the answer */
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 42);
        protobuf_c_message_free_unpacked(out, NULL);
        ASSERT_EQ(fx.freed, 1);
        ward_rpc_client_free(c);
        ASSERT_TRUE(ward_loop_free(fx.loop) == NULL);
}

TEST_MAIN()
