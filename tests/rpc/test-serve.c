/* ward serve: services loaded from shared libraries answer on one address, and
 * a library that is missing or has no entry point is refused with a message. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
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

/* start_serve_on: start_serve with a listening socket handed down, as a
 * guardian hands it (WARD_LISTEN_FD, WARD_LISTEN_ADDRESS) */
static pid_t start_serve_on(int fd, const char *addr, const char *lib)
{
        char n[16];
        snprintf(n, sizeof(n), "%d", fd);
        setenv("WARD_LISTEN_FD", n, 1);
        setenv("WARD_LISTEN_ADDRESS", addr, 1);
        pid_t pid = start_serve(addr, lib);
        unsetenv("WARD_LISTEN_FD");
        unsetenv("WARD_LISTEN_ADDRESS");
        return pid;
}

/* ward serve adopts the socket its guardian owns: a client with reconnect
 * calls across a SIGKILL and a new ward serve, and the socket file stays. */
TEST(serve_on_handed_down_socket)
{
        char path[64], addr[80];
        snprintf(path, sizeof(path), "/tmp/ward-rpc-test-%d-handed.sock", getpid());
        snprintf(addr, sizeof(addr), "unix:%s", path);
        unlink(path);
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        strcpy(sun.sun_path, path);
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0); /* inherited: no close-on-exec */
        ASSERT_SYS(s);
        ASSERT_SYS(bind(s, (struct sockaddr *)&sun, sizeof(sun)));
        ASSERT_SYS(listen(s, 16));
        pid_t pid = start_serve_on(s, addr, WARD_LIB_DIR "/libcalc.so");
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.reconnect = 1;
        o.connect_timeout_ns = 30 * SECOND;
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_open(addr, &calc__calculator__descriptor, &o, &c));
        ASSERT_OK(ward_rpc_client_set_idempotent(c, 0 /* Add */, 1));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        for (int i = 0; i < 2; i++) {
                op.a = 40 + i;
                op.b = 2;
                ASSERT_EQ(ward_rpc_call(c, 0, &op.base, 60 * SECOND, &out), 0);
                ASSERT_EQ(((Calc__Result *)out)->value, 42 + i);
                protobuf_c_message_free_unpacked(out, NULL);
                if (i == 0) { /* a crash; the guardian starts another */
                        kill(pid, SIGKILL);
                        ASSERT_SYS(waitpid(pid, NULL, 0));
                        pid = start_serve_on(s, addr, WARD_LIB_DIR "/libcalc.so");
                }
        }
        ward_rpc_client_free(c);
        kill(pid, SIGTERM);
        int status;
        ASSERT_SYS(waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_EQ(access(path, F_OK), 0); /* not ward serve's to unlink */
        close(s);
        unlink(path);
}

/* maps_count: how many lines of /proc/PID/maps name a file containing what. */
static int maps_count(pid_t pid, const char *what)
{
        char path[64], line[512];
        int n = 0;
        snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f) {
                return -1;
        }
        while (fgets(line, sizeof(line), f)) {
                n += strstr(line, what) != NULL;
        }
        fclose(f);
        return n;
}

/* The process that hosts services links libward only: the inspector's
 * libraries (libdw, libelf, libward-inspect) stay out of it. */
TEST(host_maps_no_inspector)
{
        char addr[64];
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-serve-maps", getpid());
        pid_t pid = start_serve(addr, WARD_LIB_DIR "/libcalc.so");
        ward_ipc_conn *conn = connect_retry(addr); /* loaded and answering */
        ASSERT_TRUE(maps_count(pid, "libward.so") > 0);
        ASSERT_TRUE(maps_count(pid, "libcalc.so") > 0);
        ASSERT_EQ(maps_count(pid, "libdw"), 0);
        ASSERT_EQ(maps_count(pid, "libelf"), 0);
        ASSERT_EQ(maps_count(pid, "libward-inspect"), 0);
        ward_ipc_conn_close(conn);
        kill(pid, SIGTERM);
        ASSERT_SYS(waitpid(pid, NULL, 0));
}

/* call_op: method m of the Calculator with a and b; the status. */
static int call_op(ward_rpc_client *c, unsigned m, int64_t a, int64_t b, int64_t *value)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        op.a = a;
        op.b = b;
        int st = ward_rpc_call(c, m, &op.base, SECOND, &out);
        if (out) {
                *value = ((Calc__Result *)out)->value;
                protobuf_c_message_free_unpacked(out, NULL);
        }
        return st;
}

/* Requests that would trap in the CPU (INT64_MIN / -1, a signed overflow)
 * fail that call, and the host and its other services keep answering. */
TEST(a_hostile_request_costs_its_call_not_the_host)
{
        char addr[64];
        int64_t v = 0;
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-serve-trap", getpid());
        pid_t pid = start_serve(addr, WARD_LIB_DIR "/libcalc.so");
        ward_ipc_conn *conn = connect_retry(addr);
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c));
        ASSERT_EQ(call_op(c, 1, INT64_MIN, -1, &v), -WARD_E_HANDLER_ERROR);
        ASSERT_EQ(call_op(c, 0, INT64_MAX, 1, &v), -WARD_E_HANDLER_ERROR);
        ASSERT_EQ(call_op(c, 1, -9, 3, &v), 0);
        ASSERT_EQ(v, -3);
        ASSERT_EQ(waitpid(pid, NULL, WNOHANG), 0); /* still running */
        ward_rpc_client_free(c);
        ward_ipc_conn_close(conn);
        kill(pid, SIGTERM);
        ASSERT_SYS(waitpid(pid, NULL, 0));
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
