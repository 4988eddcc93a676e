/* An RPC client across its server's restarts: a process playing the guardian
 * hands one listening socket to each server it starts (WARD_LISTEN_FD), and
 * starts the next when one dies. The client's connection has
 * options.reconnect: a call of a method not marked idempotent that kills its
 * server ends with -ECONNRESET; the next call reconnects; a call of an
 * idempotent method whose server dies under it is answered by the next
 * server, which hosts its services in another order (so the service's id is
 * asked again). */
#include <sys/socket.h>
#include <sys/un.h>

#include "calc-service.h"
#include "probe-service.h"
#include "rpc-util.h"

#define NGEN 3

static int gen;

/* in the second server, WhoAmI kills the server while the call waits */
static void die_in_gen1(void *closure_data)
{
        (void)closure_data;
        if (gen == 1) {
                kill(getpid(), SIGKILL);
        }
}

static void setup(ward_loop *loop, ward_rpc_server *srv, void *arg)
{
        probe_setup(loop, srv, arg);
        probe.whoami_hook = die_in_gen1;
}

static void guardian(const char *addr, int done_fd)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        char fd_text[16];
        memcpy(sun.sun_path + 1, addr + 1, strlen(addr) - 1);
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        ASSERT_SYS(s);
        ASSERT_SYS(bind(s, (struct sockaddr *)&sun,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr))));
        ASSERT_SYS(listen(s, 16));
        snprintf(fd_text, sizeof(fd_text), "%d", s);
        setenv("WARD_LISTEN_FD", fd_text, 1);
        setenv("WARD_LISTEN_ADDRESS", addr, 1);
        for (gen = 0; gen < NGEN; gen++) {
                struct rt_server cfg = {.addr = addr, .quiet = 1, .setup = setup};
                if (gen < NGEN - 1) {
                        cfg.services[0] = &probe_service.base;
                } else { /* the last: Probe second, under another id */
                        cfg.services[0] = &calc_service.base;
                        cfg.services[1] = &probe_service.base;
                }
                pid_t pid = rt_server_start(&cfg);
                if (gen < NGEN - 1) {
                        int st = tu_wait(pid, 60000);
                        ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
                } else {
                        char b;
                        ASSERT_EQ(tu_read_full(done_fd, &b, 1, 60000), 1);
                        rt_server_stop(pid);
                }
        }
        exit(0);
}

static unsigned method(const char *name)
{
        const ProtobufCMethodDescriptor *m =
            protobuf_c_service_descriptor_get_method_by_name(&probe__probe__descriptor, name);
        ASSERT_TRUE(m != NULL);
        return (unsigned)(m - probe__probe__descriptor.methods);
}

static void on_stats(const Probe__State *st, void *arg)
{
        *(int *)arg = st ? 1 : -1;
}

TEST(idempotent_calls_follow_the_restart)
{
        char addr[108];
        int dp[2];
        rt_addr(addr, sizeof(addr), "reconnect");
        tu_pipe(dp);
        pid_t g = tu_fork();
        if (g == 0) {
                close(dp[1]);
                guardian(addr, dp[0]);
        }
        close(dp[0]);
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.reconnect = 1;
        o.connect_timeout_ns = 30 * TU_SEC;
        ward_rpc_client *client;
        int r;
        uint64_t t0 = ward_now_ns();
        while ((r = ward_rpc_client_open(addr, &probe__probe__descriptor, &o, &client)) ==
                   -ECONNREFUSED &&
               tu_ms_since(t0) < 30000) {
                tu_sleep_ms(5); /* the guardian has not bound yet */
        }
        ASSERT_OK(r);
        ASSERT_ERRNO(ward_rpc_client_set_idempotent(client, 99, 1), EINVAL);
        ASSERT_OK(ward_rpc_client_set_idempotent(client, method("WhoAmI"), 1));
        Probe__Empty in = PROBE__EMPTY__INIT;
        ProtobufCMessage *out;

        /* the first server answers */
        ASSERT_OK(ward_rpc_call(client, method("WhoAmI"), &in.base, 30 * TU_SEC, &out));
        ASSERT_EQ(((Probe__Peer *)out)->pid, getpid());
        protobuf_c_message_free_unpacked(out, NULL);

        /* Die is not idempotent: its server's end is the caller's answer */
        ASSERT_ERRNO(ward_rpc_call(client, method("Die"), &in.base, 30 * TU_SEC, &out), ECONNRESET);

        /* WhoAmI reconnects to the second server, which dies under it; the
         * third, with Probe under another id, answers */
        ASSERT_OK(ward_rpc_call(client, method("WhoAmI"), &in.base, 60 * TU_SEC, &out));
        ASSERT_EQ(((Probe__Peer *)out)->pid, getpid());
        protobuf_c_message_free_unpacked(out, NULL);

        /* a generated stub's call on the same client, now on the third server */
        int answered = 0;
        probe__probe__stats(ward_rpc_client_service(client), &in, on_stats, &answered);
        ASSERT_EQ(answered, 1);

        tu_write_full(dp[1], "d", 1);
        close(dp[1]);
        ward_rpc_client_free(client);
        tu_expect_exit0(g, 60000);
}

/* Without options.reconnect, an idempotent method's call ends with its
 * server, at once (a long timeout: a retry loop would show as a hang). */
TEST(idempotent_without_reconnect)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "plain", &probe_service.base);
        ward_rpc_client *client;
        ProtobufCMessage *out;
        Probe__Empty in = PROBE__EMPTY__INIT;
        ASSERT_OK(ward_rpc_client_open(addr, &probe__probe__descriptor, NULL, &client));
        ASSERT_OK(ward_rpc_client_set_idempotent(client, WARD_RPC_ALL_METHODS, 1));
        ASSERT_OK(ward_rpc_call(client, method("Stats"), &in.base, 30 * TU_SEC, &out));
        protobuf_c_message_free_unpacked(out, NULL);
        tu_kill(srv);
        ASSERT_ERRNO(ward_rpc_call(client, method("Stats"), &in.base, 3600 * TU_SEC, &out),
                     ECONNRESET);
        ASSERT_ERRNO(ward_rpc_call(client, method("Stats"), &in.base, 3600 * TU_SEC, &out),
                     ECONNRESET);
        ward_rpc_client_free(client);
}

TEST_MAIN()
