/* tests/rpc/rpc-util.h: what the RPC tests share, on top of tests/ipc/ipc-util.h
 * (tu_fork, tu_wait, patterns...).
 *
 * Servers: rt_server_start() forks a child that hosts the given services on a
 * ward_rpc_server on its own ward_loop until SIGTERM (through
 * ward_loop_add_signal, with SIGTERM blocked first), then frees everything and
 * exits 0, or 1 when a check inside it failed. rt_server_stop() sends SIGTERM
 * and wants exit status 0. Children die with the test (PR_SET_PDEATHSIG) and
 * are killed and reaped at exit when a test fails first.
 */
#ifndef WARD_TESTS_RPC_UTIL_H
#define WARD_TESTS_RPC_UTIL_H

#include <unistd.h>

#include <ward/rpc.h>

#include "ipc/ipc-util.h"

#define RT_MAX_SERVICES 4

/* rt_addr: a unique abstract address for this test process. */
static inline void rt_addr(char *buf, size_t size, const char *name)
{
        int n = snprintf(buf, size, "@ward-rpc-test-%d-%s", (int)getpid(), name);
        ASSERT_TRUE(n > 0 && (size_t)n < size);
}

struct rt_server {
        const char *addr;
        ProtobufCService *services[RT_MAX_SERVICES]; /* up to the first NULL */
        int quiet;                                   /* the child's stdout goes to /dev/null */
        int stdout_fd;                               /* > 0: the child's stdout goes there */
        /* optional, run in the child once the server exists / once its loop
         * has stopped, before the server is freed */
        void (*setup)(ward_loop *loop, ward_rpc_server *srv, void *arg);
        void (*teardown)(void *arg);
        void *arg;
};

/* The child's loop and server, for handlers that need them. */
static ward_loop *rt_child_loop;
static ward_rpc_server *rt_child_srv;

static inline void rt_redirect_stdout(const struct rt_server *cfg)
{
        int fd = cfg->stdout_fd;
        if (cfg->quiet) {
                fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                ASSERT_SYS(fd);
        }
        if (fd > 0) {
                ASSERT_SYS(dup2(fd, STDOUT_FILENO));
                close(fd);
        }
}

static inline void rt_server_child(const struct rt_server *cfg, int ready_fd)
{
        tu_block_signal(SIGTERM);
        rt_redirect_stdout(cfg);
        ASSERT_OK(ward_loop_new(&rt_child_loop));
        ASSERT_OK(ward_rpc_server_new(rt_child_loop, cfg->addr, NULL, &rt_child_srv));
        for (int i = 0; i < RT_MAX_SERVICES && cfg->services[i]; i++) {
                ASSERT_OK(ward_rpc_server_add(rt_child_srv, cfg->services[i]));
        }
        ASSERT_OK(ward_loop_add_signal(rt_child_loop, SIGTERM, tu_on_sigterm, NULL, NULL));
        if (cfg->setup) {
                cfg->setup(rt_child_loop, rt_child_srv, cfg->arg);
        }
        tu_write_full(ready_fd, "r", 1);
        close(ready_fd);
        int r = ward_loop_run(rt_child_loop);
        if (r < 0) {
                fprintf(stderr, "rpc server child: ward_loop_run: %s\n", ward_strerror(r));
        }
        if (cfg->teardown) {
                cfg->teardown(cfg->arg);
        }
        rt_child_srv = ward_rpc_server_free(rt_child_srv);
        rt_child_loop = ward_loop_free(rt_child_loop);
        fflush(stdout);
        exit(r < 0 || tu_child_failed ? 1 : 0);
}

/* rt_server_start: fork an RPC server child; returns once it listens. */
static inline pid_t rt_server_start(const struct rt_server *cfg)
{
        int p[2];
        tu_pipe(p);
        pid_t pid = tu_fork();
        if (pid == 0) {
                close(p[0]);
                rt_server_child(cfg, p[1]);
        }
        close(p[1]);
        char b;
        ssize_t n = tu_read_full(p[0], &b, 1, 5000);
        close(p[0]);
        if (n != 1) {
                TEST_FAIL("rpc server child for %s did not start", cfg->addr);
        }
        return pid;
}

/* rt_server_stop: SIGTERM; the child must exit 0 within 5 s. */
static inline void rt_server_stop(pid_t pid)
{
        tu_server_stop(pid);
}

/* rt_start_one: a server child for one service at a fresh address. */
static inline pid_t rt_start_one(char *addr, size_t size, const char *name,
                                 ProtobufCService *service)
{
        rt_addr(addr, size, name);
        struct rt_server cfg = {.addr = addr, .services = {service}, .quiet = 1};
        return rt_server_start(&cfg);
}

/* rt_connect: a connection to addr (not attached) and a client of desc on it. */
static inline void rt_connect(const char *addr, const ProtobufCServiceDescriptor *desc,
                              ward_ipc_conn **ret_conn, ward_rpc_client **ret_client)
{
        ASSERT_OK(ward_ipc_connect(addr, NULL, ret_conn));
        ASSERT_OK(ward_rpc_client_new(*ret_conn, desc, ret_client));
}

static inline void rt_disconnect(ward_ipc_conn *conn, ward_rpc_client *client)
{
        ward_rpc_client_free(client);
        ward_ipc_conn_close(conn);
}

/* rt_drive_until: run loop until *count reaches want; fail after timeout_ms. */
static inline void rt_drive_until(ward_loop *loop, const int *count, int want, unsigned timeout_ms)
{
        uint64_t t0 = ward_now_ns();
        while (*count < want) {
                if (tu_ms_since(t0) > timeout_ms) {
                        TEST_FAIL("only %d of %d callbacks within %u ms", *count, want, timeout_ms);
                }
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
}

/* RT_EXPECT_STATUS: ward_rpc_call's result must be want (0, -errno or -WARD_E_*). */
#define RT_EXPECT_STATUS(e, want)                                                                  \
        do {                                                                                       \
                int s_ = (e);                                                                      \
                if (s_ != (want)) {                                                                \
                        TEST_FAIL("%s: %d (%s), want %s", #e, s_, ward_strerror(s_), #want);       \
                }                                                                                  \
        } while (0)

#endif
