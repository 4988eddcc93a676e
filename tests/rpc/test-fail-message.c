/* A handler's own text (ward_rpc_fail) reaches a stub caller of a ward
 * address as ward_rpc_client_last_message: over a socket, synchronously and
 * asynchronously, and short-circuited; a call that succeeds leaves none. */
#include <ward/ward.h>

#include "calc-service.h"
#include "rpc-util.h"

#define SECOND 1000000000ull

struct answer {
        int calls, got;
};

static void on_result(const Calc__Result *res, void *closure_data)
{
        struct answer *a = closure_data;
        a->calls++;
        a->got = res != NULL;
}

/* div_says: Div by b through c's stub and through ward_rpc_call; each time
 * the last message must be want */
static void div_says(ward_rpc_client *c, int64_t b, const char *want)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        struct answer a = {0};
        op.a = 7;
        op.b = b;
        calc__calculator__div(ward_rpc_client_service(c), &op, on_result, &a);
        ASSERT_EQ(a.calls, 1);
        ASSERT_STREQ(ward_rpc_client_last_message(c), want);
        int r = ward_rpc_call(c, 1, &op.base, 5 * SECOND, &out);
        ASSERT_EQ(r, b ? 0 : -WARD_E_HANDLER_ERROR);
        ASSERT_STREQ(ward_rpc_client_last_message(c), want);
        protobuf_c_message_free_unpacked(out, NULL);
}

TEST(over_a_socket)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "failmsg", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        ASSERT_STREQ(ward_rpc_client_last_message(c), "");
        div_says(c, 0, "division by zero");
        div_says(c, 1, "");
        div_says(c, 0, "division by zero");
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(asynchronously)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "failmsg-async", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        ward_loop *loop;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 1;
        for (int b = 0; b < 2; b++) {
                struct answer a = {0};
                op.b = b;
                calc__calculator__div(ward_rpc_client_service(c), &op, on_result, &a);
                rt_drive_until(loop, &a.calls, 1, 5000);
                ASSERT_EQ(a.got, b);
                ASSERT_STREQ(ward_rpc_client_last_message(c), b ? "" : "division by zero");
        }
        rt_disconnect(conn, c);
        ward_loop_free(loop);
        rt_server_stop(srv);
}

TEST(short_circuited)
{
        char addr[108];
        ward_loop *loop;
        ward_rpc_server *srv;
        ward_rpc_client *c;
        rt_addr(addr, sizeof(addr), "failmsg-local");
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &calc_service.base));
        ASSERT_OK(ward_rpc_client_open(addr, &calc__calculator__descriptor, NULL, &c));
        div_says(c, 0, "division by zero");
        div_says(c, 2, "");
        ASSERT_EQ(ward_ipc_server_count(ward_rpc_server_ipc(srv)), 0); /* no socket used */
        ward_rpc_client_free(c);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

TEST_MAIN()
