/* Failures arrive as error codes, never as hangs or crashes: a server killed
 * while calls wait (-ECONNRESET), a call that outlives its timeout
 * (-ETIMEDOUT), a client that dies while its call is held, a service the
 * server does not host (-WARD_E_UNKNOWN_SERVICE), a client built from another
 * schema (-WARD_E_SCHEMA_MISMATCH), malformed requests written straight onto
 * the IPC connection (the server's statuses BAD_MESSAGE, UNKNOWN_METHOD, ...)
 * and malformed replies from a server that is not a ward_rpc_server. */
#include "calc-service.h"
#include "probe-service.h"
#include "rpc-util.h"
#include "rpc/wire.h"

struct any_box {
        int calls;
        int got;
        int status; /* last_error when the closure ran */
        ward_rpc_client *c;
        int *done;
};

static void on_any(const ProtobufCMessage *m, void *data)
{
        struct any_box *b = data;
        b->calls++;
        b->got = m != NULL;
        b->status = b->c ? ward_rpc_client_last_error(b->c) : -1;
        if (b->done) {
                (*b->done)++;
        }
}

static void expect_killed(pid_t pid)
{
        int status = tu_wait(pid, 5000);
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGKILL);
}

/* ---- the server dies ---- */

TEST(server_dies_during_sync_call)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "die-sync");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_DIE, &e.base, 30 * TU_SEC, &out), -ECONNRESET);
        ASSERT_TRUE(out == NULL);
        ASSERT_EQ(ward_rpc_client_last_error(c), -ECONNRESET);
        expect_killed(srv);
        /* later calls fail the same way, without waiting */
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_WHOAMI, &e.base, 30 * TU_SEC, &out), -ECONNRESET);
        struct any_box b = {.c = c};
        probe__probe__who_am_i(ward_rpc_client_service(c), &e, (Probe__Peer_Closure)on_any, &b);
        ASSERT_EQ(b.calls, 1);
        ASSERT_TRUE(!b.got);
        ASSERT_EQ(b.status, -ECONNRESET);
        rt_disconnect(conn, c);
}

TEST(server_dies_during_stub_call)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "die-stub");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        Probe__Empty e = PROBE__EMPTY__INIT;
        struct any_box b = {.c = c};
        probe__probe__die(ward_rpc_client_service(c), &e, (Probe__Empty_Closure)on_any, &b);
        ASSERT_EQ(b.calls, 1);
        ASSERT_TRUE(!b.got);
        ASSERT_EQ(b.status, -ECONNRESET);
        expect_killed(srv);
        rt_disconnect(conn, c);
}

/* Ten calls held on a loop-attached connection; the server is SIGKILLed from
 * outside: every closure gets NULL, once, with PEER_GONE. */
TEST(server_killed_with_async_calls)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "die-async");
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_conn *conn, *conn2;
        ward_rpc_client *c, *c2;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        rt_connect(addr, &probe__probe__descriptor, &conn2, &c2);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        Probe__Empty e = PROBE__EMPTY__INIT;
        struct any_box b[10];
        int done = 0;
        for (int i = 0; i < 10; i++) {
                b[i] = (struct any_box){.c = c, .done = &done};
                probe__probe__hold(ward_rpc_client_service(c), &e, (Probe__Count_Closure)on_any,
                                   &b[i]);
        }
        probe_wait_held(c2, 10);
        ASSERT_EQ(done, 0);
        tu_kill(srv);
        rt_drive_until(loop, &done, 10, 5000);
        for (int i = 0; i < 10; i++) {
                ASSERT_EQ(b[i].calls, 1);
                ASSERT_TRUE(!b[i].got);
                ASSERT_EQ(b[i].status, -ECONNRESET);
        }
        /* a call on the dead connection ends at once or on the loop */
        struct any_box late = {.c = c, .done = &done};
        probe__probe__who_am_i(ward_rpc_client_service(c), &e, (Probe__Peer_Closure)on_any, &late);
        rt_drive_until(loop, &done, 11, 5000);
        ASSERT_TRUE(!late.got);
        ASSERT_EQ(late.status, -ECONNRESET);
        rt_disconnect(conn, c);
        rt_disconnect(conn2, c2);
        ward_loop_free(loop);
}

/* The server stops cleanly (SIGTERM: ward_rpc_server_free) while it holds
 * calls: the callers see PEER_GONE, the server exits 0. */
TEST(server_stops_while_holding)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "stop-held");
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_conn *conn, *conn2;
        ward_rpc_client *c, *c2;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        rt_connect(addr, &probe__probe__descriptor, &conn2, &c2);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        Probe__Empty e = PROBE__EMPTY__INIT;
        struct any_box b[3];
        int done = 0;
        for (int i = 0; i < 3; i++) {
                b[i] = (struct any_box){.c = c, .done = &done};
                probe__probe__hold(ward_rpc_client_service(c), &e, (Probe__Count_Closure)on_any,
                                   &b[i]);
        }
        probe_wait_held(c2, 3);
        rt_server_stop(srv);
        rt_drive_until(loop, &done, 3, 5000);
        for (int i = 0; i < 3; i++) {
                ASSERT_EQ(b[i].calls, 1);
                ASSERT_TRUE(!b[i].got);
                ASSERT_EQ(b[i].status, -ECONNRESET);
        }
        rt_disconnect(conn, c);
        rt_disconnect(conn2, c2);
        ward_loop_free(loop);
}

/* ---- timeouts ---- */

TEST(held_calls_time_out)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "timeout");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;

        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_HOLD, &e.base, 50 * TU_MS, &out), -ETIMEDOUT);
        ASSERT_TRUE(out == NULL);
        ASSERT_EQ(ward_rpc_client_last_error(c), -ETIMEDOUT);

        ward_rpc_client_set_timeout(c, 50 * TU_MS);
        struct any_box b = {.c = c};
        probe__probe__hold(ward_rpc_client_service(c), &e, (Probe__Count_Closure)on_any, &b);
        ASSERT_EQ(b.calls, 1);
        ASSERT_TRUE(!b.got);
        ASSERT_EQ(b.status, -ETIMEDOUT);

        /* the same on a loop */
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        int done = 0;
        b = (struct any_box){.c = c, .done = &done};
        probe__probe__hold(ward_rpc_client_service(c), &e, (Probe__Count_Closure)on_any, &b);
        ASSERT_EQ(done, 0);
        rt_drive_until(loop, &done, 1, 5000);
        ASSERT_TRUE(!b.got);
        ASSERT_EQ(b.status, -ETIMEDOUT);

        /* The server still holds all three; answering them sends replies
         * nobody waits for, which the client drops. */
        ward_rpc_client_set_timeout(c, 5 * TU_SEC);
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_RELEASE, &e.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Probe__Count *)out)->n, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_WHOAMI, &e.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Probe__Peer *)out)->pid, getpid());
        protobuf_c_message_free_unpacked(out, NULL);
        tu_drive_ms(loop, 20);
        ASSERT_EQ(done, 1);
        rt_disconnect(conn, c);
        ward_loop_free(loop);
        rt_server_stop(srv);
}

/* ---- the client dies ---- */

/* A client is killed while the server holds its call; answering it later
 * goes nowhere, and the server serves on (and exits cleanly: ASan checks the
 * dead call's bookkeeping). */
TEST(client_dies_while_held)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "client-dies");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        pid_t kid = tu_fork();
        if (kid == 0) {
                ward_ipc_conn *kconn;
                ward_rpc_client *kc;
                rt_connect(addr, &probe__probe__descriptor, &kconn, &kc);
                Probe__Empty e = PROBE__EMPTY__INIT;
                ProtobufCMessage *out;
                ward_rpc_call(kc, PROBE_HOLD, &e.base, 30 * TU_SEC, &out);
                _exit(3); /* not reached: killed while waiting */
        }
        probe_wait_held(c, 1);
        tu_kill(kid);
        probe_wait_conns(c, 1);

        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_RELEASE, &e.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Probe__Count *)out)->n, 1);
        protobuf_c_message_free_unpacked(out, NULL);
        for (int i = 0; i < 10; i++) {
                RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_WHOAMI, &e.base, 5 * TU_SEC, &out), 0);
                protobuf_c_message_free_unpacked(out, NULL);
        }
        /* and a held call of a client that goes away is freed with the server */
        pid_t kid2 = tu_fork();
        if (kid2 == 0) {
                ward_ipc_conn *kconn;
                ward_rpc_client *kc;
                rt_connect(addr, &probe__probe__descriptor, &kconn, &kc);
                ward_rpc_call(kc, PROBE_HOLD, &e.base, 30 * TU_SEC, &out);
                _exit(3);
        }
        probe_wait_held(c, 1);
        tu_kill(kid2);
        probe_wait_conns(c, 1);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* ---- the wrong service ---- */

TEST(unknown_service)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "unknown", &calc_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        for (int i = 0; i < 3; i++) {
                RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_WHOAMI, &e.base, 5 * TU_SEC, &out),
                                 -WARD_E_UNKNOWN_SERVICE);
                ASSERT_TRUE(out == NULL);
                struct any_box b = {.c = c};
                probe__probe__who_am_i(ward_rpc_client_service(c), &e, (Probe__Peer_Closure)on_any,
                                       &b);
                ASSERT_EQ(b.calls, 1);
                ASSERT_TRUE(!b.got);
                ASSERT_EQ(b.status, -WARD_E_UNKNOWN_SERVICE);
        }

        /* the Calculator's descriptor under another name */
        ProtobufCServiceDescriptor renamed = calc__calculator__descriptor;
        renamed.name = "calc.Calculator2";
        ward_rpc_client *c2;
        ASSERT_OK(ward_rpc_client_new(conn, &renamed, &c2));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        RT_EXPECT_STATUS(ward_rpc_call(c2, 0, &op.base, 5 * TU_SEC, &out), -WARD_E_UNKNOWN_SERVICE);
        ward_rpc_client_free(c2);

        /* the right client on the same connection works */
        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c2));
        op.a = 2;
        op.b = 40;
        RT_EXPECT_STATUS(ward_rpc_call(c2, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 42);
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c2);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* ---- schema mismatch: descriptors changed at run time ---- */

#define CALC_NMETHODS 4

struct v2 {
        ProtobufCServiceDescriptor svc;
        ProtobufCMethodDescriptor methods[CALC_NMETHODS + 1];
        ProtobufCMessageDescriptor binop;
        ProtobufCFieldDescriptor binop_fields[2];
};

/* v2_init: a copy of calc.Calculator whose Add and Div take v->binop, a copy
 * of calc.BinaryOp; the caller then changes one thing. */
static void v2_init(struct v2 *v)
{
        const ProtobufCServiceDescriptor *d = &calc__calculator__descriptor;
        ASSERT_EQ(d->n_methods, CALC_NMETHODS);
        ASSERT_EQ(calc__binary_op__descriptor.n_fields, 2);
        v->svc = *d;
        memcpy(v->methods, d->methods, CALC_NMETHODS * sizeof(v->methods[0]));
        v->binop = calc__binary_op__descriptor;
        memcpy(v->binop_fields, calc__binary_op__descriptor.fields, sizeof(v->binop_fields));
        v->binop.fields = v->binop_fields;
        v->methods[0].input = &v->binop;
        v->methods[1].input = &v->binop;
        v->svc.methods = v->methods;
}

/* expect_v2: Add through a client of v->svc ends with want. */
static void expect_v2(ward_ipc_conn *conn, struct v2 *v, int want)
{
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_new(conn, &v->svc, &c));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.base.descriptor = &v->binop;
        op.a = 20;
        op.b = 22;
        for (int i = 0; i < 2; i++) {
                ProtobufCMessage *out = NULL;
                RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), want);
                if (want == 0) {
                        ASSERT_EQ(((Calc__Result *)out)->value, 42);
                        protobuf_c_message_free_unpacked(out, NULL);
                }
                struct any_box b = {.c = c};
                ProtobufCService *svc = ward_rpc_client_service(c);
                svc->invoke(svc, 0, &op.base, (ProtobufCClosure)on_any, &b);
                ASSERT_EQ(b.calls, 1);
                ASSERT_EQ(b.got, want == 0);
                ASSERT_EQ(b.status, want);
        }
        ward_rpc_client_free(c);
}

TEST(schema_mismatch)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "schema", &calc_service.base);
        ward_ipc_conn *conn;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        struct v2 v;

        v2_init(&v); /* an identical copy: the hash is of the content */
        ASSERT_EQ(ward_rpc_service_hash(&v.svc),
                  ward_rpc_service_hash(&calc__calculator__descriptor));
        expect_v2(conn, &v, 0);

        v2_init(&v); /* field b renamed */
        v.binop_fields[1].name = "c";
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* field b's type changed */
        v.binop_fields[1].type = PROTOBUF_C_TYPE_INT32;
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* field b's number changed */
        v.binop_fields[1].id = 3;
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* the message renamed */
        v.binop.name = "calc.BinaryOp2";
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* a method renamed */
        v.methods[3].name = "Journal";
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* Log's output no longer ward.NoReply */
        v.methods[3].output = &calc__result__descriptor;
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* a fifth method */
        v.methods[4] = v.methods[2];
        v.methods[4].name = "Echo2";
        v.svc.n_methods = CALC_NMETHODS + 1;
        expect_v2(conn, &v, -WARD_E_SCHEMA_MISMATCH);

        v2_init(&v); /* a method's input is another message */
        ward_rpc_client *c;
        v.methods[0].input = &calc__blob__descriptor;
        ASSERT_OK(ward_rpc_client_new(conn, &v.svc, &c));
        Calc__Blob blob = CALC__BLOB__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &blob.base, 5 * TU_SEC, &out),
                         -WARD_E_SCHEMA_MISMATCH);
        ASSERT_TRUE(out == NULL);
        ward_rpc_client_free(c);

        /* the right schema on the same connection still works */
        v2_init(&v);
        expect_v2(conn, &v, 0);
        ward_ipc_conn_close(conn);
        rt_server_stop(srv);
}

/* ---- raw requests onto the IPC connection ---- */

static int raw_status(ward_ipc_conn *conn, const void *req, size_t len)
{
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(conn, req, len, 5 * TU_SEC, &rep));
        int status = ward_ipc_msg_status(rep);
        ward_ipc_msg_release(conn, rep);
        return status;
}

static size_t raw_resolve(uint8_t *buf, const char *name, size_t name_len, uint32_t claimed_len,
                          uint64_t hash)
{
        struct ward__rpc_hdr h = {.magic = WARD__RPC_MAGIC, .kind = WARD__RPC_RESOLVE};
        struct ward__rpc_resolve r = {.hash = hash, .name_len = claimed_len};
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), &r, sizeof(r));
        memcpy(buf + sizeof(h) + sizeof(r), name, name_len);
        return sizeof(h) + sizeof(r) + name_len;
}

static size_t raw_call(uint8_t *buf, uint32_t service, uint32_t method, const void *body,
                       size_t body_len)
{
        struct ward__rpc_hdr h = {
            .magic = WARD__RPC_MAGIC, .kind = WARD__RPC_CALL, .service = service, .method = method};
        memcpy(buf, &h, sizeof(h));
        if (body_len) {
                memcpy(buf + sizeof(h), body, body_len);
        }
        return sizeof(h) + body_len;
}

/* raw_calc_id: RESOLVE calc.Calculator properly; its service id. */
static uint32_t raw_calc_id(ward_ipc_conn *conn)
{
        uint8_t buf[512];
        const char *name = calc__calculator__descriptor.name;
        size_t len = raw_resolve(buf, name, strlen(name), (uint32_t)strlen(name),
                                 ward_rpc_service_hash(&calc__calculator__descriptor));
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(conn, buf, len, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), WARD_RPC_OK);
        ASSERT_EQ(ward_ipc_msg_len(rep), sizeof(uint32_t));
        uint32_t id;
        memcpy(&id, ward_ipc_msg_data(rep), sizeof(id));
        ward_ipc_msg_release(conn, rep);
        return id;
}

/* raw_add: CALL Add with a well-formed body; the sum. */
static int64_t raw_add(ward_ipc_conn *conn, uint32_t id, int64_t a, int64_t b)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        uint8_t body[64], buf[128];
        op.a = a;
        op.b = b;
        size_t blen = calc__binary_op__pack(&op, body);
        size_t len = raw_call(buf, id, 0, body, blen);
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(conn, buf, len, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), WARD_RPC_OK);
        Calc__Result *r = calc__result__unpack(NULL, ward_ipc_msg_len(rep), ward_ipc_msg_data(rep));
        ASSERT_TRUE(r != NULL);
        int64_t v = r->value;
        calc__result__free_unpacked(r, NULL);
        ward_ipc_msg_release(conn, rep);
        return v;
}

TEST(raw_malformed_requests)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "raw", &calc_service.base);
        ward_ipc_conn *conn;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        uint8_t buf[1024];
        const char *name = calc__calculator__descriptor.name;
        size_t nlen = strlen(name);
        uint64_t hash = ward_rpc_service_hash(&calc__calculator__descriptor);
        struct ward__rpc_hdr h;

        /* headers */
        ASSERT_EQ(raw_status(conn, "x", 1), WARD_RPC_BAD_MESSAGE);
        ASSERT_EQ(raw_status(conn, "0123456789abcdef", 16), WARD_RPC_BAD_MESSAGE);
        memset(buf, 0xff, 64);
        ASSERT_EQ(raw_status(conn, buf, 64), WARD_RPC_BAD_MESSAGE);
        h = (struct ward__rpc_hdr){.magic = WARD__RPC_MAGIC, .kind = 4}; /* 3 is REFLECT */
        ASSERT_EQ(raw_status(conn, &h, sizeof(h)), WARD_RPC_BAD_MESSAGE);
        h.kind = 0;
        ASSERT_EQ(raw_status(conn, &h, sizeof(h)), WARD_RPC_BAD_MESSAGE);
        h.kind = WARD__RPC_CALL;
        ASSERT_EQ(raw_status(conn, &h, sizeof(h) - 1), WARD_RPC_BAD_MESSAGE);

        /* RESOLVE bodies */
        h.kind = WARD__RPC_RESOLVE;
        ASSERT_EQ(raw_status(conn, &h, sizeof(h)), WARD_RPC_BAD_MESSAGE); /* no body */
        size_t len = raw_resolve(buf, name, nlen, (uint32_t)nlen, hash);
        ASSERT_EQ(raw_status(conn, buf, len - nlen - 1), WARD_RPC_BAD_MESSAGE); /* short */
        ASSERT_EQ(raw_status(conn, buf, len - 1), WARD_RPC_BAD_MESSAGE);        /* len lies */
        len = raw_resolve(buf, name, nlen, (uint32_t)nlen + 1, hash);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE);
        len = raw_resolve(buf, name, nlen, 0, hash);
        ASSERT_EQ(raw_status(conn, buf, len - nlen), WARD_RPC_BAD_MESSAGE); /* empty name */
        len = raw_resolve(buf, name, nlen, UINT32_MAX, hash);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE);
        char longname[400];
        memset(longname, 'a', sizeof(longname));
        len = raw_resolve(buf, longname, 300, 300, hash);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE);
        len = raw_resolve(buf, "calc\0Calculator", 15, 15, hash);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE); /* embedded NUL */
        len = raw_resolve(buf, "calc.Nope", 9, 9, hash);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_UNKNOWN_SERVICE);
        len = raw_resolve(buf, name, nlen, (uint32_t)nlen, hash ^ 1);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_SCHEMA_MISMATCH);
        uint32_t id = raw_calc_id(conn);

        /* CALLs */
        static const uint8_t truncated_varint[] = {0x08, 0xff};
        static const uint8_t bad_wire_type[] = {0x0f, 0x01};
        static const uint8_t long_len[] = {0x0a, 0x7f, 0x01};
        len = raw_call(buf, id, CALC_NMETHODS, NULL, 0);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_UNKNOWN_METHOD);
        len = raw_call(buf, id, UINT32_MAX, NULL, 0);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_UNKNOWN_METHOD);
        len = raw_call(buf, id + 1, 0, NULL, 0);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_UNKNOWN_SERVICE);
        len = raw_call(buf, UINT32_MAX, 0, NULL, 0);
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_UNKNOWN_SERVICE);
        len = raw_call(buf, id, 0, truncated_varint, sizeof(truncated_varint));
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE);
        len = raw_call(buf, id, 1, bad_wire_type, sizeof(bad_wire_type));
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE);
        len = raw_call(buf, id, 2, long_len, sizeof(long_len)); /* bytes longer than the body */
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_BAD_MESSAGE);
        len = raw_call(buf, id, 0, NULL, 0); /* an empty body is all defaults */
        ASSERT_EQ(raw_status(conn, buf, len), WARD_RPC_OK);
        ASSERT_EQ(raw_add(conn, id, 40, 2), 42);

        /* garbage as one-way messages: no answer, no harm */
        ASSERT_OK(ward_ipc_send(conn, "x", 1));
        ASSERT_OK(ward_ipc_send(conn, buf, len));
        len = raw_call(buf, id, 0, truncated_varint, sizeof(truncated_varint));
        ASSERT_OK(ward_ipc_send(conn, buf, len));
        len = raw_resolve(buf, name, nlen, (uint32_t)nlen, hash);
        ASSERT_OK(ward_ipc_send(conn, buf, len));
        ASSERT_EQ(raw_add(conn, id, -5, 5), 0);

        /* the server serves on, to this connection and to a new client */
        ward_ipc_conn *conn2;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn2, &c);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 1;
        op.b = 2;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        ASSERT_EQ(ward_ipc_conn_get_error(conn), 0);
        ASSERT_EQ(raw_add(conn, id, 7, 8), 15);
        rt_disconnect(conn2, c);
        ward_ipc_conn_close(conn);
        rt_server_stop(srv);
}

/* Random request bodies for every method (and past the last): each gets a
 * status; the server never crashes. */
TEST(raw_random_bodies)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "rawrand", &calc_service.base);
        ward_ipc_conn *conn;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        uint32_t id = raw_calc_id(conn);
        uint8_t body[256], buf[512];
        uint64_t st = 12345;
        int seen[16] = {0};
        for (int i = 0; i < 2000; i++) {
                size_t blen = tu_rand(&st) % sizeof(body);
                tu_scribble(body, blen, tu_rand(&st));
                uint32_t method = (uint32_t)(tu_rand(&st) % (CALC_NMETHODS + 1));
                size_t len = raw_call(buf, id, method, body, blen);
                int status = raw_status(conn, buf, len);
                ASSERT_TRUE(status >= 0 && status < 16);
                seen[status]++;
                if (method == CALC_NMETHODS) {
                        ASSERT_EQ(status, WARD_RPC_UNKNOWN_METHOD);
                } else {
                        ASSERT_TRUE(status == WARD_RPC_OK || status == WARD_RPC_BAD_MESSAGE ||
                                    status == WARD_RPC_HANDLER_ERROR);
                }
        }
        ASSERT_TRUE(seen[WARD_RPC_BAD_MESSAGE] > 0);
        ASSERT_TRUE(seen[WARD_RPC_UNKNOWN_METHOD] > 0);
        ASSERT_EQ(raw_add(conn, id, 1, 1), 2);
        ward_ipc_conn_close(conn);
        rt_server_stop(srv);
}

/* ---- malformed replies: a server that only pretends to be ward RPC ---- */

enum fake_mode {
        FAKE_GARBAGE_BODY,  /* RESOLVE ok; CALL: OK with bytes that do not decode */
        FAKE_SHORT_RESOLVE, /* RESOLVE: OK with 3 bytes instead of an id */
        FAKE_ODD_STATUS,    /* RESOLVE ok; CALL: status fake_status, no body */
        FAKE_ODD_RESOLVE,   /* RESOLVE: status fake_status */
};

static enum fake_mode fake_mode;
static int32_t fake_status;
static int fake_resolves; /* in the child */

static void fake_on_msg(ward_ipc_conn *conn, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        struct ward__rpc_hdr h;
        uint64_t id = ward_ipc_msg_call_id(m);
        static const uint8_t garbage[] = {0x08, 0xff};
        uint32_t sid = 0;
        if (!id || ward__rpc_hdr_decode(ward_ipc_msg_data(m), ward_ipc_msg_len(m), &h) < 0) {
                return;
        }
        if (h.kind == WARD__RPC_RESOLVE) {
                fake_resolves++;
                if (fake_mode == FAKE_SHORT_RESOLVE) {
                        ward_ipc_reply(conn, id, WARD_RPC_OK, "abc", 3);
                } else if (fake_mode == FAKE_ODD_RESOLVE) {
                        ward_ipc_reply(conn, id, fake_status, NULL, 0);
                } else {
                        ward_ipc_reply(conn, id, WARD_RPC_OK, &sid, sizeof(sid));
                }
        } else if (fake_mode == FAKE_GARBAGE_BODY) {
                ward_ipc_reply(conn, id, WARD_RPC_OK, garbage, sizeof(garbage));
        } else {
                ward_ipc_reply(conn, id, fake_status, NULL, 0);
        }
}

static pid_t fake_start(char *addr, size_t size, const char *name, enum fake_mode mode,
                        int32_t status)
{
        rt_addr(addr, size, name);
        fake_mode = mode;
        fake_status = status;
        struct tu_server cfg = {.addr = addr, .on_msg = fake_on_msg};
        return tu_server_start(&cfg);
}

TEST(reply_that_does_not_decode)
{
        char addr[108];
        pid_t srv = fake_start(addr, sizeof(addr), "fake-garbage", FAKE_GARBAGE_BODY, 0);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), -WARD_E_BAD_MESSAGE);
        ASSERT_TRUE(out == NULL);
        struct any_box b = {.c = c};
        calc__calculator__add(ward_rpc_client_service(c), &op, (Calc__Result_Closure)on_any, &b);
        ASSERT_EQ(b.calls, 1);
        ASSERT_TRUE(!b.got);
        ASSERT_EQ(b.status, -WARD_E_BAD_MESSAGE);

        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        int done = 0;
        b = (struct any_box){.c = c, .done = &done};
        calc__calculator__add(ward_rpc_client_service(c), &op, (Calc__Result_Closure)on_any, &b);
        rt_drive_until(loop, &done, 1, 5000);
        ASSERT_TRUE(!b.got);
        ASSERT_EQ(b.status, -WARD_E_BAD_MESSAGE);
        rt_disconnect(conn, c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

TEST(resolve_reply_without_id)
{
        char addr[108];
        pid_t srv = fake_start(addr, sizeof(addr), "fake-short", FAKE_SHORT_RESOLVE, 0);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        for (int i = 0; i < 2; i++) {
                RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out),
                                 -WARD_E_BAD_MESSAGE);
                ASSERT_TRUE(out == NULL);
        }
        rt_disconnect(conn, c);
        tu_server_stop(srv);
}

/* A peer's status outside the enum: it must not pass as OK, nor as an errno
 * (that would blame our side): it reads as a bad message, in ward_rpc_call's
 * result, in last_error and in the closures' last_error. Every case runs; the
 * failures are listed together. */
static int odd_failures;

#define ODD_CHECK(e, name, odd)                                                                    \
        do {                                                                                       \
                if (!(e)) {                                                                        \
                        fprintf(stderr, "%s:%d: peer status %d (%s): %s is false\n", __FILE__,     \
                                __LINE__, (int)(odd), name, #e);                                   \
                        odd_failures++;                                                            \
                }                                                                                  \
        } while (0)

static void expect_sane_status(enum fake_mode mode, int32_t odd, const char *name)
{
        char addr[108];
        pid_t srv = fake_start(addr, sizeof(addr), name, mode, odd);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;

        int s = ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out);
        ODD_CHECK(s == -WARD_E_BAD_MESSAGE, name, odd);
        ODD_CHECK(out == NULL, name, odd);
        ODD_CHECK(ward_rpc_client_last_error(c) == -WARD_E_BAD_MESSAGE, name, odd);

        struct any_box b = {.c = c};
        calc__calculator__add(ward_rpc_client_service(c), &op, (Calc__Result_Closure)on_any, &b);
        ASSERT_EQ(b.calls, 1);
        ODD_CHECK(!b.got, name, odd);
        ODD_CHECK(b.status == -WARD_E_BAD_MESSAGE, name, odd);

        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        int done = 0;
        b = (struct any_box){.c = c, .done = &done};
        calc__calculator__add(ward_rpc_client_service(c), &op, (Calc__Result_Closure)on_any, &b);
        rt_drive_until(loop, &done, 1, 5000);
        ODD_CHECK(!b.got, name, odd);
        ODD_CHECK(b.status == -WARD_E_BAD_MESSAGE, name, odd);

        rt_disconnect(conn, c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

TEST(odd_statuses_from_the_peer)
{
        expect_sane_status(FAKE_ODD_STATUS, 1000, "call, big");
        expect_sane_status(FAKE_ODD_STATUS, -EINVAL, "call, negative");
        expect_sane_status(FAKE_ODD_STATUS, INT32_MIN, "call, INT32_MIN");
        expect_sane_status(FAKE_ODD_RESOLVE, 1000, "resolve, big");
        expect_sane_status(FAKE_ODD_RESOLVE, -EINVAL, "resolve, negative");
        ASSERT_EQ(odd_failures, 0);
}

TEST_MAIN()
