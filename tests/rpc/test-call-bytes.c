/* What bridges to other transports call (ward serve --grpc, ward gateway):
 * ward_rpc_server_call_bytes, a hosted method by name with packed bytes in
 * and out, the handler's message with its failure, the empty answer of a
 * one-way method, the refusals that never reach a handler; and
 * ward_rpc_call_bytes_async, the same over a connection to another process,
 * the handler's message included. */
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>

#include "calc-service.h"
#include "rpc-util.h"

/* What a ward_rpc_bytes_fn received. */
struct got {
        int calls;
        int err;
        uint8_t reply[256];
        size_t len;
        char message[128];
};

static void on_bytes(void *arg, int err, const uint8_t *reply, size_t len, const char *message)
{
        struct got *g = arg;
        g->calls++;
        g->err = err;
        g->len = len;
        if (len && len <= sizeof(g->reply)) {
                memcpy(g->reply, reply, len);
        }
        snprintf(g->message, sizeof(g->message), "%s", message ? message : "(none)");
}

static ward_rpc_server *calc_server(ward_loop **loop)
{
        char addr[64];
        ward_rpc_server *srv;
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-bytes", getpid());
        ASSERT_OK(ward_loop_new(loop));
        ASSERT_OK(ward_rpc_server_new(*loop, addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &calc_service.base));
        ASSERT_TRUE(ward_rpc_server_get_loop(srv) == *loop);
        return srv;
}

/* call: Calculator.method(a, b), packed. */
static int call(ward_rpc_server *srv, const char *method, int64_t a, int64_t b, struct got *g)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        uint8_t buf[64];
        op.a = a;
        op.b = b;
        size_t len = calc__binary_op__pack(&op, buf);
        return ward_rpc_server_call_bytes(srv, "calc.Calculator", method, buf, len, NULL, on_bytes,
                                          g);
}

TEST(reply_bytes)
{
        ward_loop *loop;
        ward_rpc_server *srv = calc_server(&loop);
        struct got g = {0};
        ASSERT_OK(call(srv, "Add", 40, 2, &g));
        ASSERT_EQ(g.calls, 1);
        ASSERT_EQ(g.err, 0);
        Calc__Result *r = calc__result__unpack(NULL, g.len, g.reply);
        ASSERT_TRUE(r != NULL);
        ASSERT_EQ(r->value, 42);
        calc__result__free_unpacked(r, NULL);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

TEST(failure_carries_the_message)
{
        ward_loop *loop;
        ward_rpc_server *srv = calc_server(&loop);
        struct got g = {0};
        ASSERT_OK(call(srv, "Div", 1, 0, &g));
        ASSERT_EQ(g.calls, 1);
        ASSERT_EQ(g.err, -WARD_E_HANDLER_ERROR);
        ASSERT_STREQ(g.message, "division by zero");
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

TEST(oneway_answers_empty)
{
        ward_loop *loop;
        ward_rpc_server *srv = calc_server(&loop);
        struct got g = {0};
        Calc__LogLine line = CALC__LOG_LINE__INIT;
        uint8_t buf[64];
        line.text = "bytes";
        size_t len = calc__log_line__pack(&line, buf);
        ASSERT_OK(ward_rpc_server_call_bytes(srv, "calc.Calculator", "Log", buf, len, NULL,
                                             on_bytes, &g));
        ASSERT_EQ(g.calls, 1);
        ASSERT_EQ(g.err, 0);
        ASSERT_EQ(g.len, 0);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

TEST(refusals_never_reach_a_handler)
{
        ward_loop *loop;
        ward_rpc_server *srv = calc_server(&loop);
        struct got g = {0};
        static const uint8_t junk[] = {0xff, 0xff, 0xff};
        ASSERT_EQ(
            ward_rpc_server_call_bytes(srv, "calc.Nothing", "Add", NULL, 0, NULL, on_bytes, &g),
            -WARD_E_UNKNOWN_SERVICE);
        ASSERT_EQ(call(srv, "Mul", 1, 2, &g), -WARD_E_UNKNOWN_METHOD);
        ASSERT_EQ(ward_rpc_server_call_bytes(srv, "calc.Calculator", "Add", junk, sizeof(junk),
                                             NULL, on_bytes, &g),
                  -WARD_E_BAD_MESSAGE);
        ASSERT_EQ(
            ward_rpc_server_call_bytes(srv, "calc.Calculator", "Add", NULL, 3, NULL, on_bytes, &g),
            -EINVAL);
        ASSERT_EQ(g.calls, 0);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

/* A Calculator whose handlers never answer. */
static void hold_invoke(ProtobufCService *svc, unsigned method, const ProtobufCMessage *in,
                        ProtobufCClosure closure, void *closure_data)
{
        (void)svc, (void)method, (void)in, (void)closure, (void)closure_data;
}

TEST(freed_server_cancels_what_is_waiting)
{
        ward_loop *loop;
        ward_rpc_server *srv;
        char addr[64];
        ProtobufCService holder = {.descriptor = &calc__calculator__descriptor,
                                   .invoke = hold_invoke};
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-hold", getpid());
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &holder));
        struct got g = {0};
        ASSERT_OK(call(srv, "Add", 1, 2, &g));
        ASSERT_EQ(g.calls, 0);
        ward_rpc_server_free(srv);
        ASSERT_EQ(g.calls, 1);
        ASSERT_EQ(g.err, -ECANCELED);
        ward_loop_free(loop);
}

/* pack_op: BinaryOp{a, b} into buf; its length. */
static size_t pack_op(int64_t a, int64_t b, uint8_t *buf)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = a;
        op.b = b;
        return calc__binary_op__pack(&op, buf);
}

TEST(async_over_ipc)
{
        char addr[64];
        pid_t pid = rt_start_one(addr, sizeof(addr), "bytes-async", &calc_service.base);
        ward_loop *loop;
        ward_ipc_conn *conn;
        uint32_t id;
        uint8_t buf[64];
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        uint64_t hash = ward_rpc_service_hash(&calc__calculator__descriptor);
        ASSERT_EQ(ward_rpc_resolve(conn, "calc.Nothing", hash, 5 * TU_SEC, &id),
                  -WARD_E_UNKNOWN_SERVICE);
        ASSERT_OK(ward_rpc_resolve(conn, "calc.Calculator", hash, 5 * TU_SEC, &id));

        struct got sum = {0}, fail = {0}, logged = {0}, many[10];
        memset(many, 0, sizeof(many));
        size_t len = pack_op(40, 2, buf);
        ASSERT_OK(ward_rpc_call_bytes_async(conn, id, 0, 0, buf, len, 5 * TU_SEC, on_bytes, &sum));
        len = pack_op(1, 0, buf);
        ASSERT_OK(ward_rpc_call_bytes_async(conn, id, 1, 0, buf, len, 5 * TU_SEC, on_bytes, &fail));
        Calc__LogLine line = CALC__LOG_LINE__INIT;
        line.text = "async bytes";
        len = calc__log_line__pack(&line, buf);
        ASSERT_OK(
            ward_rpc_call_bytes_async(conn, id, 3, 1, buf, len, 5 * TU_SEC, on_bytes, &logged));
        ASSERT_EQ(logged.calls, 1); /* one-way: answered as it is sent */
        ASSERT_EQ(logged.err, 0);
        for (int i = 0; i < 10; i++) { /* all in flight at once */
                len = pack_op(i, 1, buf);
                ASSERT_OK(ward_rpc_call_bytes_async(conn, id, 0, 0, buf, len, 5 * TU_SEC, on_bytes,
                                                    &many[i]));
        }
        rt_drive_until(loop, &many[9].calls, 1, 5000);
        rt_drive_until(loop, &fail.calls, 1, 5000);
        ASSERT_EQ(sum.calls, 1);
        ASSERT_EQ(sum.err, 0);
        Calc__Result *r = calc__result__unpack(NULL, sum.len, sum.reply);
        ASSERT_TRUE(r != NULL);
        ASSERT_EQ(r->value, 42);
        calc__result__free_unpacked(r, NULL);
        ASSERT_EQ(fail.err, -WARD_E_HANDLER_ERROR);
        ASSERT_STREQ(fail.message, "division by zero"); /* it crossed the connection */
        for (int i = 0; i < 10; i++) {
                ASSERT_EQ(many[i].calls, 1);
                ASSERT_EQ(many[i].err, 0);
        }
        ward_ipc_conn_close(conn);
        ward_loop_free(loop);
        rt_server_stop(pid);
}

TEST_MAIN()
