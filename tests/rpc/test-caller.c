/* Who is calling: inside a handler, ward_rpc_caller(closure_data, &peer) gives
 * the pid, uid and gid of the calling process as the kernel reported them, for
 * requests and one-way calls alike, per connection; anything that is not a
 * handler's closure_data gets -EINVAL. */
#include "calc-service.h"
#include "probe-service.h"
#include "rpc-util.h"

static Probe__Peer whoami(ward_rpc_client *c)
{
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_WHOAMI, &e.base, 5 * TU_SEC, &out), 0);
        Probe__Peer p = *(Probe__Peer *)out;
        protobuf_c_message_free_unpacked(out, NULL);
        return p;
}

static Probe__Peer last_note(ward_rpc_client *c)
{
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_LAST_NOTE, &e.base, 5 * TU_SEC, &out), 0);
        Probe__Peer p = *(Probe__Peer *)out;
        protobuf_c_message_free_unpacked(out, NULL);
        return p;
}

static void note(ward_rpc_client *c)
{
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_NOTE, &e.base, 5 * TU_SEC, &out), 0);
        ASSERT_TRUE(out == NULL);
}

static void expect_me(Probe__Peer p)
{
        ASSERT_EQ(p.pid, getpid());
        ASSERT_EQ(p.uid, geteuid());
        ASSERT_EQ(p.gid, getegid());
}

TEST(request_sees_caller)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "request");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        for (int i = 0; i < 3; i++) {
                expect_me(whoami(c));
        }
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(oneway_sees_caller)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "oneway");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        note(c);
        expect_me(last_note(c));
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* Each process is seen as itself: forked clients, each on its own
 * connection, report their own pids; a Note from a child is the child's. */
TEST(each_client_is_itself)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "each");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &probe__probe__descriptor, &conn, &c);
        for (int k = 0; k < 3; k++) {
                pid_t kid = tu_fork();
                if (kid == 0) {
                        ward_ipc_conn *kconn;
                        ward_rpc_client *kc;
                        rt_connect(addr, &probe__probe__descriptor, &kconn, &kc);
                        expect_me(whoami(kc));
                        note(kc);
                        expect_me(last_note(kc));
                        rt_disconnect(kconn, kc);
                        exit(0);
                }
                tu_expect_exit0(kid, 5000);
                Probe__Peer p = last_note(c);
                ASSERT_EQ(p.pid, kid);
                /* and the parent is still the parent */
                expect_me(whoami(c));
        }
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* A connection opened before fork() belongs to the process that opened it:
 * the kernel reported that pid at connect time. */
TEST(caller_is_who_connected)
{
        char addr[108];
        pid_t srv = probe_start(addr, sizeof(addr), "connected");
        pid_t me = getpid();
        pid_t kid = tu_fork();
        if (kid == 0) {
                ward_ipc_conn *conn;
                ward_rpc_client *c;
                rt_connect(addr, &probe__probe__descriptor, &conn, &c);
                Probe__Peer p = whoami(c);
                ASSERT_EQ(p.pid, getpid());
                ASSERT_NE(p.pid, me);
                rt_disconnect(conn, c);
                exit(0);
        }
        tu_expect_exit0(kid, 5000);
        rt_server_stop(srv);
}

/* The Calculator's Log handler prints ward_rpc_caller's pid. */
TEST(calc_log_sees_caller)
{
        char addr[108];
        int p[2];
        rt_addr(addr, sizeof(addr), "calclog");
        tu_pipe(p);
        struct rt_server cfg = {.addr = addr, .services = {&calc_service.base}, .stdout_fd = p[1]};
        pid_t srv = rt_server_start(&cfg);
        close(p[1]);

        pid_t kid = tu_fork();
        if (kid == 0) {
                close(p[0]);
                ward_ipc_conn *conn;
                ward_rpc_client *c;
                rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
                Calc__LogLine line = CALC__LOG_LINE__INIT;
                line.text = "child";
                ProtobufCMessage *out;
                RT_EXPECT_STATUS(ward_rpc_call(c, 3, &line.base, 5 * TU_SEC, &out), 0);
                Calc__BinaryOp op = CALC__BINARY_OP__INIT; /* after the line was printed */
                RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
                protobuf_c_message_free_unpacked(out, NULL);
                rt_disconnect(conn, c);
                exit(0);
        }
        tu_expect_exit0(kid, 5000);

        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        Calc__LogLine line = CALC__LOG_LINE__INIT;
        line.text = "parent";
        ProtobufCMessage *out;
        RT_EXPECT_STATUS(ward_rpc_call(c, 3, &line.base, 5 * TU_SEC, &out), 0);
        rt_disconnect(conn, c);
        rt_server_stop(srv);

        char buf[512];
        ssize_t n = 0, r;
        while ((r = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0) {
                n += r;
        }
        ASSERT_SYS(r);
        close(p[0]);
        buf[n] = '\0';
        char want[256];
        snprintf(want, sizeof(want),
                 "  [calc] log from pid %d: child\n  [calc] log from pid %d: parent\n", (int)kid,
                 (int)getpid());
        ASSERT_STREQ(buf, want);
}

/* ---- in-process: the handler runs here, the client in a child ---- */

static struct {
        int runs;
        int null_data, null_ret, fake, real;
        struct ward_ipc_peer peer;
} hook;

static void whoami_hook(void *closure_data)
{
        struct ward_ipc_peer p;
        uint64_t fake[16] = {0}; /* zeroed memory is no call in progress */
        hook.runs++;
        hook.null_data = ward_rpc_caller(NULL, &p);
        hook.null_ret = ward_rpc_caller(closure_data, NULL);
        hook.fake = ward_rpc_caller(fake, &p);
        hook.real = ward_rpc_caller(closure_data, &hook.peer);
}

TEST(in_process_handler)
{
        char addr[108];
        rt_addr(addr, sizeof(addr), "inproc");
        ward_loop *loop;
        ward_rpc_server *srv;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &probe_service.base));
        probe_setup(loop, srv, NULL);
        probe.whoami_hook = whoami_hook;

        pid_t kid = tu_fork();
        if (kid == 0) {
                ward_ipc_conn *conn;
                ward_rpc_client *c;
                rt_connect(addr, &probe__probe__descriptor, &conn, &c);
                expect_me(whoami(c));
                rt_disconnect(conn, c);
                exit(0);
        }
        tu_check_exit0(kid, tu_drive_child(loop, kid, 5000));
        ASSERT_EQ(hook.runs, 1);
        ASSERT_ERRNO(hook.null_data, EINVAL);
        ASSERT_ERRNO(hook.null_ret, EINVAL);
        ASSERT_ERRNO(hook.fake, EINVAL);
        ASSERT_OK(hook.real);
        ASSERT_EQ(hook.peer.pid, kid);
        ASSERT_EQ(hook.peer.uid, geteuid());
        ASSERT_EQ(hook.peer.gid, getegid());

        probe.whoami_hook = NULL;
        probe_teardown(NULL);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
}

TEST(outside_a_handler)
{
        struct ward_ipc_peer p = {.pid = -1};
        uint64_t fake[16] = {0};
        ASSERT_ERRNO(ward_rpc_caller(NULL, &p), EINVAL);
        ASSERT_ERRNO(ward_rpc_caller(NULL, NULL), EINVAL);
        ASSERT_ERRNO(ward_rpc_caller(fake, &p), EINVAL);
        ASSERT_EQ(p.pid, -1); /* not written on failure */
}

TEST_MAIN()
