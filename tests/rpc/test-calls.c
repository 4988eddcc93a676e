/* Typed calls, without a loop: through the generated stubs (the closure runs
 * before the stub returns) and through ward_rpc_call; payloads from 0 bytes to
 * 1 MiB come back byte for byte; a failing handler, a method index out of
 * range and an input of the wrong type are reported as such. Packed bytes
 * (ward_rpc_call_bytes, as `ward call` sends them) echo too. */
#include <limits.h>

#include <ward/rpc-json.h>

#include "calc-service.h"
#include "rpc-util.h"

struct result_box {
        int calls;
        int got; /* the closure received a message */
        int64_t value;
};

static void on_result(const Calc__Result *r, void *data)
{
        struct result_box *box = data;
        box->calls++;
        box->got = r != NULL;
        box->value = r ? r->value : 0;
}

static Calc__BinaryOp binop(int64_t a, int64_t b)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = a;
        op.b = b;
        return op;
}

static const int64_t pairs[][2] = {
    {0, 0}, {2, 3}, {-7, 5}, {INT64_MAX - 1, 1}, {INT64_MIN + 1, -1}, {1000000007, -3},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

TEST(stub_add_and_div)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "stub", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        ProtobufCService *svc = ward_rpc_client_service(c);
        ASSERT_TRUE(svc != NULL);
        ASSERT_TRUE(svc->descriptor == &calc__calculator__descriptor);

        for (size_t i = 0; i < NPAIRS; i++) {
                Calc__BinaryOp op = binop(pairs[i][0], pairs[i][1]);
                struct result_box box = {0};
                calc__calculator__add(svc, &op, on_result, &box);
                ASSERT_EQ(box.calls, 1); /* no loop: done before the stub returns */
                ASSERT_TRUE(box.got);
                ASSERT_EQ(box.value, pairs[i][0] + pairs[i][1]);
                ASSERT_EQ(ward_rpc_client_last_error(c), 0);

                if (pairs[i][1] != 0) {
                        box = (struct result_box){0};
                        calc__calculator__div(svc, &op, on_result, &box);
                        ASSERT_EQ(box.calls, 1);
                        ASSERT_TRUE(box.got);
                        ASSERT_EQ(box.value, pairs[i][0] / pairs[i][1]);
                        ASSERT_EQ(ward_rpc_client_last_error(c), 0);
                }
        }
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(call_add_and_div)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "call", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);

        for (size_t i = 0; i < NPAIRS; i++) {
                Calc__BinaryOp op = binop(pairs[i][0], pairs[i][1]);
                ProtobufCMessage *out = NULL;
                RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
                ASSERT_TRUE(out != NULL);
                ASSERT_TRUE(out->descriptor == &calc__result__descriptor);
                ASSERT_EQ(((Calc__Result *)out)->value, pairs[i][0] + pairs[i][1]);
                ASSERT_EQ(ward_rpc_client_last_error(c), 0);
                protobuf_c_message_free_unpacked(out, NULL);
                if (pairs[i][1] == 0) {
                        continue;
                }
                out = NULL;
                RT_EXPECT_STATUS(ward_rpc_call(c, 1, &op.base, 5 * TU_SEC, &out), 0);
                ASSERT_TRUE(out != NULL);
                ASSERT_EQ(((Calc__Result *)out)->value, pairs[i][0] / pairs[i][1]);
                protobuf_c_message_free_unpacked(out, NULL);
        }
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* ---- Echo: bytes of every size, byte for byte ---- */

static const size_t echo_sizes[] = {0, 1, 64, 1024, 8192, 16383, 16384, 65536, 1u << 20};
#define NSIZES (sizeof(echo_sizes) / sizeof(echo_sizes[0]))

struct blob_box {
        int calls;
        int got;
        size_t len;
        long bad; /* first byte that differs, -1 when all match */
        unsigned seed;
};

static void on_blob(const Calc__Blob *b, void *data)
{
        struct blob_box *box = data;
        box->calls++;
        box->got = b != NULL;
        if (b) {
                box->len = b->data.len;
                box->bad = tu_check_pattern(b->data.data, b->data.len, box->seed, 0);
        }
}

static Calc__Blob make_blob(uint8_t *buf, size_t len, unsigned seed)
{
        Calc__Blob blob = CALC__BLOB__INIT;
        tu_fill(buf, len, seed);
        blob.data.len = len;
        blob.data.data = len ? buf : NULL;
        return blob;
}

TEST(echo_sizes)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "echo", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        uint8_t *buf = malloc(1u << 20);
        ASSERT_TRUE(buf != NULL);

        for (unsigned round = 0; round < 2; round++) {
                for (size_t i = 0; i < NSIZES; i++) {
                        size_t len = echo_sizes[i];
                        unsigned seed = (unsigned)(round * 100 + i);
                        Calc__Blob blob = make_blob(buf, len, seed);

                        struct blob_box box = {.seed = seed};
                        calc__calculator__echo(ward_rpc_client_service(c), &blob, on_blob, &box);
                        ASSERT_EQ(box.calls, 1);
                        ASSERT_TRUE(box.got);
                        ASSERT_EQ(box.len, len);
                        ASSERT_EQ(box.bad, -1);

                        ProtobufCMessage *out = NULL;
                        RT_EXPECT_STATUS(ward_rpc_call(c, 2, &blob.base, 5 * TU_SEC, &out), 0);
                        Calc__Blob *rb = (Calc__Blob *)out;
                        ASSERT_TRUE(out != NULL && out->descriptor == &calc__blob__descriptor);
                        ASSERT_EQ(rb->data.len, len);
                        ASSERT_EQ(tu_check_pattern(rb->data.data, rb->data.len, seed, 0), -1);
                        protobuf_c_message_free_unpacked(out, NULL);

                        /* packed bytes, as `ward call` sends them */
                        size_t n = calc__blob__get_packed_size(&blob);
                        uint8_t *req = malloc(n + 1), *rep = NULL;
                        size_t rep_len = 0;
                        ASSERT_TRUE(req != NULL);
                        calc__blob__pack(&blob, req);
                        RT_EXPECT_STATUS(ward_rpc_call_bytes(
                                             conn, calc__calculator__descriptor.name,
                                             ward_rpc_service_hash(&calc__calculator__descriptor),
                                             2, 0, req, n, 5 * TU_SEC, &rep, &rep_len),
                                         WARD_RPC_OK);
                        rb = calc__blob__unpack(NULL, rep_len, rep);
                        ASSERT_TRUE(rb != NULL);
                        ASSERT_EQ(rb->data.len, len);
                        ASSERT_EQ(tu_check_pattern(rb->data.data, rb->data.len, seed, 0), -1);
                        calc__blob__free_unpacked(rb, NULL);
                        free(req);
                        free(rep);
                }
        }
        free(buf);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* ---- failures ---- */

TEST(div_by_zero_is_handler_error)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "div0", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        ProtobufCService *svc = ward_rpc_client_service(c);
        Calc__BinaryOp zero = binop(42, 0), good = binop(42, 6);

        for (int i = 0; i < 3; i++) {
                struct result_box box = {.value = -1};
                calc__calculator__div(svc, &zero, on_result, &box);
                ASSERT_EQ(box.calls, 1);
                ASSERT_TRUE(!box.got); /* the closure gets NULL */
                ASSERT_EQ(ward_rpc_client_last_error(c), -WARD_E_HANDLER_ERROR);

                ProtobufCMessage *out = NULL;
                RT_EXPECT_STATUS(ward_rpc_call(c, 1, &zero.base, 5 * TU_SEC, &out),
                                 -WARD_E_HANDLER_ERROR);
                ASSERT_TRUE(out == NULL);
                ASSERT_EQ(ward_rpc_client_last_error(c), -WARD_E_HANDLER_ERROR);

                /* the failure costs only that call */
                box = (struct result_box){0};
                calc__calculator__div(svc, &good, on_result, &box);
                ASSERT_EQ(box.calls, 1);
                ASSERT_TRUE(box.got);
                ASSERT_EQ(box.value, 7);
                ASSERT_EQ(ward_rpc_client_last_error(c), 0);
        }
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(method_out_of_range)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "method", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__BinaryOp op = binop(1, 2);
        ProtobufCMessage *out = NULL;
        unsigned n = calc__calculator__descriptor.n_methods;

        ASSERT_ERRNO(ward_rpc_call(c, n, &op.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, n + 1, &op.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, UINT_MAX, &op.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_TRUE(out == NULL);

        /* the same through the service's invoke: the closure gets NULL */
        ProtobufCService *svc = ward_rpc_client_service(c);
        struct result_box box = {0};
        svc->invoke(svc, n, &op.base, (ProtobufCClosure)on_result, &box);
        ASSERT_EQ(box.calls, 1);
        ASSERT_TRUE(!box.got);
        ASSERT_EQ(ward_rpc_client_last_error(c), -WARD_E_UNKNOWN_METHOD);

        /* nothing was broken by it */
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(bad_arguments)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "args", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__BinaryOp op = binop(1, 2);
        Calc__Blob blob = CALC__BLOB__INIT;
        Calc__LogLine line = CALC__LOG_LINE__INIT;
        ProtobufCMessage *out = NULL;

        /* an input of another message type than the method's */
        ASSERT_ERRNO(ward_rpc_call(c, 0, &blob.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, 2, &op.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, 3, &op.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, 1, &line.base, 5 * TU_SEC, &out), EINVAL);
        /* missing pointers */
        ASSERT_ERRNO(ward_rpc_call(NULL, 0, &op.base, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, 0, NULL, 5 * TU_SEC, &out), EINVAL);
        ASSERT_ERRNO(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, NULL), EINVAL);
        ASSERT_TRUE(out == NULL);

        ward_rpc_client *c2 = NULL;
        ProtobufCServiceDescriptor bad = calc__calculator__descriptor;
        bad.magic = 0;
        ASSERT_ERRNO(ward_rpc_client_new(NULL, &calc__calculator__descriptor, &c2), EINVAL);
        ASSERT_ERRNO(ward_rpc_client_new(conn, NULL, &c2), EINVAL);
        ASSERT_ERRNO(ward_rpc_client_new(conn, &calc__calculator__descriptor, NULL), EINVAL);
        ASSERT_ERRNO(ward_rpc_client_new(conn, &bad, &c2), EINVAL);
        ASSERT_TRUE(c2 == NULL);
        ASSERT_TRUE(ward_rpc_client_free(NULL) == NULL);
        ASSERT_TRUE(ward_rpc_client_service(NULL) == NULL);
        ASSERT_EQ(ward_rpc_client_last_error(NULL), -EINVAL);
        ward_rpc_client_set_timeout(NULL, 1);

        /* the client still works */
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* One-way Log through ward_rpc_call: OK at once, no output. */
TEST(oneway_through_call)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "log", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__LogLine line = CALC__LOG_LINE__INIT;
        line.text = "hello";
        for (int i = 0; i < 10; i++) {
                ProtobufCMessage *out = (ProtobufCMessage *)&line; /* must be overwritten */
                RT_EXPECT_STATUS(ward_rpc_call(c, 3, &line.base, 5 * TU_SEC, &out), 0);
                ASSERT_TRUE(out == NULL);
        }
        Calc__BinaryOp op = binop(20, 22);
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 42);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* Several clients in several processes, each with checked calls, at once;
 * and two clients sharing one connection. */
TEST(many_clients)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "many", &calc_service.base);
        pid_t kids[4];
        for (int k = 0; k < 4; k++) {
                kids[k] = tu_fork();
                if (kids[k] == 0) {
                        ward_ipc_conn *conn;
                        ward_rpc_client *c1, *c2;
                        rt_connect(addr, &calc__calculator__descriptor, &conn, &c1);
                        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c2));
                        for (int i = 0; i < 200; i++) {
                                Calc__BinaryOp op = binop(i, k * 1000);
                                struct result_box box = {0};
                                calc__calculator__add(ward_rpc_client_service(i % 2 ? c1 : c2), &op,
                                                      on_result, &box);
                                ASSERT_EQ(box.calls, 1);
                                ASSERT_TRUE(box.got);
                                ASSERT_EQ(box.value, i + k * 1000);
                        }
                        ward_rpc_client_free(c2);
                        rt_disconnect(conn, c1);
                        exit(0);
                }
        }
        for (int k = 0; k < 4; k++) {
                tu_expect_exit0(kids[k], 10000);
        }
        rt_server_stop(srv);
}

TEST(status_names_and_error_texts)
{
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_OK), "ok");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_UNKNOWN_SERVICE), "unknown service");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_UNKNOWN_METHOD), "unknown method");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_BAD_MESSAGE), "bad message");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_HANDLER_ERROR), "handler error");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_SCHEMA_MISMATCH), "schema mismatch");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_SERVER_ERROR), "server error");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_REPLY_TOO_LARGE), "reply too large");
        ASSERT_STREQ(ward_rpc_status_name(5), "unknown status"); /* retired */
        ASSERT_STREQ(ward_rpc_status_name(6), "unknown status");
        ASSERT_STREQ(ward_rpc_status_name(-1), "unknown status");
        ASSERT_STREQ(ward_rpc_status_name(10), "unknown status");
        ASSERT_STREQ(ward_rpc_status_name(INT_MAX), "unknown status");
        /* as return values, a server's statuses are ward's own codes, past the errnos */
        ASSERT_EQ(WARD_E_UNKNOWN_SERVICE, WARD_E_RPC + WARD_RPC_UNKNOWN_SERVICE);
        ASSERT_EQ(WARD_E_UNKNOWN_METHOD, WARD_E_RPC + WARD_RPC_UNKNOWN_METHOD);
        ASSERT_EQ(WARD_E_BAD_MESSAGE, WARD_E_RPC + WARD_RPC_BAD_MESSAGE);
        ASSERT_EQ(WARD_E_HANDLER_ERROR, WARD_E_RPC + WARD_RPC_HANDLER_ERROR);
        ASSERT_EQ(WARD_E_SCHEMA_MISMATCH, WARD_E_RPC + WARD_RPC_SCHEMA_MISMATCH);
        ASSERT_EQ(WARD_E_SERVER_ERROR, WARD_E_RPC + WARD_RPC_SERVER_ERROR);
        ASSERT_EQ(WARD_E_REPLY_TOO_LARGE, WARD_E_RPC + WARD_RPC_REPLY_TOO_LARGE);
        ASSERT_TRUE(WARD_E_RPC > WARD_ERRNO_MAX);
        ASSERT_STREQ(ward_strerror(-WARD_E_UNKNOWN_METHOD), "rpc: unknown method");
        ASSERT_STREQ(ward_strerror(-WARD_E_HANDLER_ERROR), "rpc: handler error");
        ASSERT_STREQ(ward_strerror(-WARD_E_RPC), "unknown error");
        /* a plain errno reads as the C library says, whoever returned it */
        ASSERT_STREQ(ward_strerror(-EACCES), strerrordesc_np(EACCES));
        ASSERT_STREQ(ward_strerror(-ECONNRESET), strerrordesc_np(ECONNRESET));
        ASSERT_STREQ(ward_strerror(ETIMEDOUT), strerrordesc_np(ETIMEDOUT));
        ASSERT_STREQ(ward_strerror(0), strerrordesc_np(0));
        ASSERT_STREQ(ward_strerror(INT_MIN), "unknown error");
}

/* The server's own argument checks, in-process. */
TEST(server_arguments)
{
        char addr[108];
        rt_addr(addr, sizeof(addr), "srvargs");
        ward_loop *loop;
        ward_rpc_server *s = NULL, *s2 = NULL;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_ERRNO(ward_rpc_server_new(loop, addr, NULL, NULL), EINVAL);
        ASSERT_OK(ward_rpc_server_new(loop, addr, NULL, &s));
        ASSERT_TRUE(ward_rpc_server_ipc(s) != NULL);
        ASSERT_TRUE(ward_rpc_server_ipc(NULL) == NULL);
        ASSERT_ERRNO(ward_rpc_server_new(loop, addr, NULL, &s2), EADDRINUSE);
        ASSERT_TRUE(s2 == NULL);
        ASSERT_ERRNO(ward_rpc_server_add(NULL, &calc_service.base), EINVAL);
        ASSERT_ERRNO(ward_rpc_server_add(s, NULL), EINVAL);
        ASSERT_OK(ward_rpc_server_add(s, &calc_service.base));
        ASSERT_ERRNO(ward_rpc_server_add(s, &calc_service.base), EEXIST);
        ASSERT_TRUE(ward_rpc_server_free(s) == NULL);
        ASSERT_TRUE(ward_rpc_server_free(NULL) == NULL);
        ward_loop_free(loop);
}

/* A closure may free its own client (the last use of a client is often its
 * last reply). */
static ward_rpc_client *doomed;
static int doomed_calls;

static void on_result_free_client(const Calc__Result *r, void *data)
{
        int64_t *value = data;
        doomed_calls++;
        *value = r ? r->value : -1;
        doomed = ward_rpc_client_free(doomed);
}

TEST(free_client_inside_closure)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "freeinside", &calc_service.base);
        ward_ipc_conn *conn;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &doomed);
        Calc__BinaryOp op = binop(4, 5);
        int64_t value = 0;
        calc__calculator__add(ward_rpc_client_service(doomed), &op, on_result_free_client, &value);
        ASSERT_EQ(doomed_calls, 1);
        ASSERT_EQ(value, 9);
        ASSERT_TRUE(doomed == NULL);
        ward_ipc_conn_close(conn);
        rt_server_stop(srv);
}

TEST_MAIN()
