/* Addresses: "unix:/path" and "@abstract" work, a stale socket file is
 * replaced, bad addresses are refused with the documented errors, nobody
 * listening and a second server on a taken address fail cleanly. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ipc-util.h"

static void unix_addr(char *buf, size_t size, const char *name)
{
        int n = snprintf(buf, size, "unix:/tmp/ward-test-%d-%s.sock", (int)getpid(), name);
        ASSERT_TRUE(n > 0 && (size_t)n < size);
}

/* start, connect, call, stop. */
static void serve_and_call(const char *addr)
{
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        tu_client_calls(c, 3, 100);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST(unix_path)
{
        char addr[108];
        unix_addr(addr, sizeof(addr), "path");
        const char *path = addr + 5;
        unlink(path);
        serve_and_call(addr);
        /* the server removes its socket file when freed */
        ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
}

/* bind a socket to path and close it without unlinking: a stale file. */
static void make_stale(const char *path)
{
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ASSERT_SYS(s);
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        ASSERT_TRUE(strlen(path) < sizeof(sun.sun_path));
        strcpy(sun.sun_path, path);
        ASSERT_SYS(bind(s, (struct sockaddr *)&sun, sizeof(sun)));
        close(s);
        struct stat st;
        ASSERT_SYS(stat(path, &st));
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
}

TEST(stale_socket_file_replaced)
{
        char addr[108];
        unix_addr(addr, sizeof(addr), "stale");
        const char *path = addr + 5;
        unlink(path);
        make_stale(path);
        ward_ipc_conn *c;
        ASSERT_ERRNO(ward_ipc_connect(addr, NULL, &c), ECONNREFUSED);
        serve_and_call(addr);
        ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
}

TEST(abstract)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "abstract");
        serve_and_call(addr);
        /* and again on the same name: nothing was left behind */
        serve_and_call(addr);
}

static void expect_bad(const char *addr, const char *what)
{
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_server *srv = NULL;
        int r = ward_ipc_server_new(loop, addr, NULL, tu_echo_plus1, NULL, &srv);
        if (r != -EINVAL && r != -ENAMETOOLONG) {
                TEST_FAIL("server on %s: %d (%s), want -EINVAL or -ENAMETOOLONG", what, r,
                          ward_strerror(r));
        }
        ASSERT_TRUE(srv == NULL);
        ward_ipc_conn *c = NULL;
        r = ward_ipc_connect(addr, NULL, &c);
        if (r != -EINVAL && r != -ENAMETOOLONG) {
                TEST_FAIL("connect to %s: %d (%s), want -EINVAL or -ENAMETOOLONG", what, r,
                          ward_strerror(r));
        }
        ASSERT_TRUE(c == NULL);
        ward_loop_free(loop);
}

TEST(bad_addresses)
{
        char longpath[300], longabs[300];
        memset(longpath, 0, sizeof(longpath));
        strcpy(longpath, "unix:/tmp/");
        memset(longpath + strlen(longpath), 'x', 200);
        memset(longabs, 0, sizeof(longabs));
        longabs[0] = '@';
        memset(longabs + 1, 'y', 200);
        struct sockaddr_un sun;
        ASSERT_TRUE(strlen(longpath) - 5 > sizeof(sun.sun_path));

        expect_bad("", "\"\"");
        expect_bad("tcp:x", "tcp:x");
        expect_bad("tcp:127.0.0.1:80", "tcp:127.0.0.1:80");
        expect_bad("unix:", "unix:");
        expect_bad("@", "@");
        expect_bad("/tmp/no-scheme.sock", "a bare path");
        expect_bad(longpath, "a path longer than sun_path");
        expect_bad(longabs, "an abstract name longer than sun_path");
}

/* A path of exactly the longest length sun_path holds works. */
TEST(longest_path)
{
        struct sockaddr_un sun;
        char addr[200];
        int n = snprintf(addr, sizeof(addr), "unix:/tmp/ward-test-%d-", (int)getpid());
        size_t max = sizeof(sun.sun_path) - 1 + 5; /* room for the NUL */
        while ((size_t)n < max) {
                addr[n++] = 'L';
        }
        addr[n] = '\0';
        unlink(addr + 5);
        serve_and_call(addr);
}

TEST(nobody_listens)
{
        char addr[108];
        ward_ipc_conn *c = NULL;
        tu_addr(addr, sizeof(addr), "nobody");
        int r = ward_ipc_connect(addr, NULL, &c);
        ASSERT_TRUE(r == -ECONNREFUSED || r == -ENOENT);
        unix_addr(addr, sizeof(addr), "nobody");
        unlink(addr + 5);
        r = ward_ipc_connect(addr, NULL, &c);
        ASSERT_TRUE(r == -ECONNREFUSED || r == -ENOENT);
        ASSERT_TRUE(c == NULL);
}

/* A second server on a live address fails, and leaves the first one working. */
static void second_server(const char *addr)
{
        struct tu_server cfg = {.addr = addr, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_server *s2 = NULL;
        ASSERT_ERRNO(ward_ipc_server_new(loop, addr, NULL, tu_echo_plus1, NULL, &s2), EADDRINUSE);
        ASSERT_TRUE(s2 == NULL);
        ward_loop_free(loop);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        tu_client_calls(c, 3, 10);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST(second_server_addr_in_use)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "twice");
        second_server(addr);
        unix_addr(addr, sizeof(addr), "twice");
        unlink(addr + 5);
        second_server(addr);
}

TEST_MAIN()
