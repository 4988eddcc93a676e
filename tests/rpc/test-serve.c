/* ward serve: services loaded from shared libraries answer on one address, and
 * a library that is missing or has no entry point is refused with a message. */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

#include "calc.pb-c.h"
#include "test.h"

#define SECOND 1000000000ull

/* start_serve: run `ward serve --listen addr --load lib`, quietly. */
static pid_t start_serve(const char *addr, const char *lib)
{
        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) {
                        _exit(3);
                }
                execl(WARD_BIN_DIR "/ward", "ward", "serve", "--listen", addr, "--load", lib,
                      (char *)NULL);
                _exit(127);
        }
        return pid;
}

/* connect_retry: the server needs a moment to load its libraries. */
static ward_ipc_conn *connect_retry(const char *addr)
{
        ward_ipc_conn *c = NULL;
        for (int i = 0; i < 500; i++) {
                if (ward_ipc_connect(addr, NULL, &c) == 0) {
                        return c;
                }
                usleep(10000);
        }
        TEST_FAIL("no server on %s after 5 s", addr);
}

TEST(loaded_calc_answers)
{
        char addr[64];
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-serve", getpid());
        pid_t pid = start_serve(addr, WARD_LIB_DIR "/libcalc.so");
        ward_ipc_conn *conn = connect_retry(addr);
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 40;
        op.b = 2;
        ProtobufCMessage *out = NULL;
        ASSERT_EQ(ward_rpc_call(c, 0, &op.base, SECOND, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 42);
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c);
        ward_ipc_conn_close(conn);
        kill(pid, SIGTERM);
        int status;
        ASSERT_SYS(waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

static int serve_exit_code(const char *lib)
{
        char addr[64];
        int status;
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-serve-bad", getpid());
        pid_t pid = start_serve(addr, lib);
        ASSERT_SYS(waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFEXITED(status));
        return WEXITSTATUS(status);
}

TEST(bad_libraries_are_refused)
{
        /* no such file, and a real library without ward_service_init */
        ASSERT_EQ(serve_exit_code("/nonexistent/libnothing.so"), 1);
        ASSERT_EQ(serve_exit_code(WARD_LIB_DIR "/libward.so"), 1);
}

TEST_MAIN()
