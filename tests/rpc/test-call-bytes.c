/* ward_rpc_server_call_bytes, what bridges to other transports call (ward
 * serve --grpc): a hosted method by name, with packed bytes in and out, the
 * handler's message with its failure, the empty answer of a one-way method,
 * and the refusals that never reach a handler. */
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>

#include "calc-service.h"
#include "test.h"

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

TEST_MAIN()
