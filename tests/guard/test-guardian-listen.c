/* Zero-downtime restart: `ward run --listen ADDRESS -- ward-serve --listen
 * ADDRESS --load libcalc.so`. The guardian owns the listening socket and
 * hands it to every start of ward-serve (an unmodified program here, under
 * libward-crash.so); a client that reconnects and resends idempotent calls
 * keeps calling across a crash of the server (SIGSEGV: captured, restarted
 * at once) and never sees a refused connection. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ward/ward.h>

#include "calc.pb-c.h"
#include "core/address.h"
#include "core/listen.h"
#include "guard/guardian-util.h"

#define SECOND 1000000000ull

static void add(ward_rpc_client *c, int a, int b)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = a;
        op.b = b;
        ProtobufCMessage *out = NULL;
        ASSERT_EQ(ward_rpc_call(c, 0, &op.base, 60 * SECOND, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, a + b);
        protobuf_c_message_free_unpacked(out, NULL);
}

TEST(client_calls_across_a_crash)
{
        char dir[64], addr[80];
        scratch(dir, sizeof(dir));
        snprintf(addr, sizeof(addr), "unix:%s/calc.sock", dir);
        const char *args[] = {"--listen",   addr, "--backoff", "1ms",
                              "--dump-dir", dir,  "--",        WARD_BIN_DIR "/ward-serve",
                              "--listen",   addr, "--load",    WARD_LIB_DIR "/libcalc.so",
                              NULL};
        /* in sanitizer builds the preloaded library comes before the runtime */
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL};
        struct grun r = {.preload = 1};
        grun_start(&r, args, env);
        const char *l = grun_until(&r, "ready");
        int pid = (int)json_int(l, "pid");

        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.reconnect = 1;
        o.connect_timeout_ns = 30 * SECOND;
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_open(addr, &calc__calculator__descriptor, &o, &c));
        ASSERT_OK(ward_rpc_client_set_idempotent(c, 0 /* Add */, 1));
        add(c, 40, 2);
        ASSERT_EQ(kill(pid, SIGSEGV), 0);
        l = grun_until(&r, "crashed");
        ASSERT_TRUE(strstr(l, "\"core\"") != NULL);
        grun_until(&r, "started");
        for (int i = 0; i < 10; i++) {
                add(c, i, 100); /* the new ward-serve, through the same socket */
        }
        ward_rpc_client_free(c);
        ASSERT_EQ(kill(r.pid, SIGTERM), 0);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0); /* ward-serve ends cleanly on SIGTERM */
        scratch_remove(dir);
}

/* systemd socket activation through the guardian: `ward run` gets the
 * listening socket as fd 3 with LISTEN_FDS/LISTEN_PID, hands it on to each
 * worker, whose LISTEN_PID becomes its own, and ward-serve adopts it */
TEST(systemd_socket_reaches_the_worker)
{
        char dir[64], addr[80];
        scratch(dir, sizeof(dir));
        snprintf(addr, sizeof(addr), "unix:%s/calc.sock", dir);
        struct ward__address a;
        ASSERT_OK(ward__address_parse(addr, &a));
        int sock = ward__listen(&a, 0); /* inheritable, as systemd passes it */
        ASSERT_TRUE(sock >= 0);
        const char *args[] = {"--dump-dir", dir,  "--",     WARD_BIN_DIR "/ward-serve",
                              "--listen",   addr, "--load", WARD_LIB_DIR "/libcalc.so",
                              NULL};
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL};
        struct grun r = {.preload = 1, .systemd_fd = sock};
        grun_start(&r, args, env);
        close(sock);
        grun_until(&r, "ready");
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.connect_timeout_ns = 30 * SECOND;
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_open(addr, &calc__calculator__descriptor, &o, &c));
        add(c, 40, 2); /* answered: the worker adopted systemd's socket */
        ward_rpc_client_free(c);
        ASSERT_EQ(kill(r.pid, SIGTERM), 0);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        scratch_remove(dir);
}

TEST_MAIN()
