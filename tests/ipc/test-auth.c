/* Who may connect: the server's authorize callback sees the kernel's view of the
 * peer and can refuse it; the default policy accepts the same uid only. */
#include <grp.h>

#include "ipc-util.h"

static int report_fd = -1;

/* Accepts only a uid nobody here has, and reports what it saw. */
static int only_other_uid(const struct ward_ipc_peer *peer, void *arg)
{
        (void)arg;
        tu_write_full(report_fd, peer, sizeof(*peer));
        return peer->uid == getuid() + 1 ? 0 : -EACCES;
}

static void setup_other_uid(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)loop, (void)arg;
        ASSERT_ERRNO(ward_ipc_server_set_authorize(srv, NULL, NULL), EINVAL);
        ASSERT_OK(ward_ipc_server_set_authorize(srv, only_other_uid, NULL));
}

TEST(callback_refuses)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "refuse");
        int p[2];
        tu_pipe(p);
        report_fd = p[1];
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1, .setup = setup_other_uid};
        pid_t srv = tu_server_start(&cfg);
        close(p[1]);

        ward_ipc_conn *c = NULL;
        ASSERT_ERRNO(ward_ipc_connect(addr, NULL, &c), EACCES);
        ASSERT_TRUE(c == NULL);
        struct ward_ipc_peer seen;
        ASSERT_EQ(tu_read_full(p[0], &seen, sizeof(seen), 5000), sizeof(seen));
        ASSERT_EQ(seen.pid, getpid());
        ASSERT_EQ(seen.uid, getuid());
        ASSERT_EQ(seen.gid, getgid());
        /* refused again: the refusal leaves the server in good order */
        ASSERT_ERRNO(ward_ipc_connect(addr, NULL, &c), EACCES);
        close(p[0]);
        tu_server_stop(srv);
}

/* The callback sees each client's own pid. */
static int accept_all(const struct ward_ipc_peer *peer, void *arg)
{
        (void)arg;
        tu_write_full(report_fd, peer, sizeof(*peer));
        return 0;
}

static void setup_accept_all(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)loop, (void)arg;
        ASSERT_OK(ward_ipc_server_set_authorize(srv, accept_all, NULL));
}

/* Replies with the server's view of the peer. */
static void reply_peer(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        struct ward_ipc_peer peer;
        TU_CHILD_CHECK(ward_ipc_conn_get_peer(c, &peer) == 0);
        TU_CHILD_CHECK(ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, &peer, sizeof(peer)) == 0);
}

static struct ward_ipc_peer call_peer(ward_ipc_conn *c)
{
        const ward_ipc_msg *rep;
        struct ward_ipc_peer peer;
        ASSERT_OK(ward_ipc_call(c, "?", 1, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_len(rep), sizeof(peer));
        memcpy(&peer, ward_ipc_msg_data(rep), sizeof(peer));
        ward_ipc_msg_release(c, rep);
        return peer;
}

TEST(callback_sees_pid)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "pid");
        int p[2];
        tu_pipe(p);
        report_fd = p[1];
        struct tu_server cfg = {.addr = addr, .on_msg = reply_peer, .setup = setup_accept_all};
        pid_t srv = tu_server_start(&cfg);
        close(p[1]);

        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        struct ward_ipc_peer seen;
        ASSERT_EQ(tu_read_full(p[0], &seen, sizeof(seen), 5000), sizeof(seen));
        ASSERT_EQ(seen.pid, getpid());
        ASSERT_EQ(call_peer(c).pid, getpid());
        struct ward_ipc_peer server;
        ASSERT_OK(ward_ipc_conn_get_peer(c, &server));
        ASSERT_EQ(server.pid, srv);
        ASSERT_EQ(server.uid, getuid());

        /* a client in another process: its own pid */
        pid_t child = tu_fork();
        if (child == 0) {
                ward_ipc_conn *cc;
                ASSERT_OK(ward_ipc_connect(addr, NULL, &cc));
                ASSERT_EQ(call_peer(cc).pid, getpid());
                ward_ipc_conn_close(cc);
                exit(0);
        }
        ASSERT_EQ(tu_read_full(p[0], &seen, sizeof(seen), 5000), sizeof(seen));
        ASSERT_EQ(seen.pid, child);
        tu_expect_exit0(child, 5000);

        ward_ipc_conn_close(c);
        close(p[0]);
        tu_server_stop(srv);
}

TEST(default_accepts_same_uid)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "default");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        tu_client_calls(c, 5, 32);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* As root: a child that became uid 65534 is refused by the default policy. */
TEST(default_refuses_other_uid)
{
        if (geteuid() != 0) {
                fprintf(stderr, "   note: not root, cannot switch uid: case skipped\n");
                return;
        }
        char addr[108];
        tu_addr(addr, sizeof(addr), "other-uid");
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        pid_t child = tu_fork();
        if (child == 0) {
                ASSERT_SYS(setgroups(0, NULL));
                ASSERT_SYS(setgid(65534));
                ASSERT_SYS(setuid(65534));
                ward_ipc_conn *c = NULL;
                ASSERT_ERRNO(ward_ipc_connect(addr, NULL, &c), EACCES);
                ASSERT_TRUE(c == NULL);
                exit(0);
        }
        tu_expect_exit0(child, 5000);
        /* and the server still serves its own uid */
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        tu_client_calls(c, 3, 16);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST_MAIN()
