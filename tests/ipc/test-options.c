/* Options structs of another version (ward/api.h): a caller built against an
 * older header passes a smaller size and gets the defaults for the rest; one
 * built against a newer header may pass a larger size if the options we do
 * not know are zero, and gets -EINVAL if not. The shared helper first, then a
 * real server and client built from such structs. (Trace's options:
 * tests/trace/test-options.c.) */
#include <stddef.h>

#include "core/options.h"
#include "ipc-util.h"
#include "ipc/server-internal.h"

/* A caller's struct: ours, then whatever a newer header added. */
struct newer {
        struct ward_ipc_options o;
        uint64_t future[4];
};

TEST(copy_rules)
{
        struct ward_ipc_options def, out;
        ward_ipc_options_init(&def);
        struct newer in;
        memset(&in, 0xa5, sizeof(in)); /* garbage where the caller has nothing */

        /* older: only size and wait */
        in.o.size = offsetof(struct ward_ipc_options, spin_ns);
        in.o.wait = WARD_IPC_WAIT_BLOCK;
        out = def;
        ASSERT_OK(ward__options_copy(&out, sizeof(out), &in));
        ASSERT_EQ(out.size, sizeof(out));
        ASSERT_EQ(out.wait, WARD_IPC_WAIT_BLOCK);
        ASSERT_EQ(out.spin_ns, def.spin_ns);
        ASSERT_EQ(out.ring_bytes, def.ring_bytes);
        ASSERT_EQ(out.connect_timeout_ns, def.connect_timeout_ns);

        /* just the size: all defaults */
        in.o.size = sizeof(uint32_t);
        out = def;
        ASSERT_OK(ward__options_copy(&out, sizeof(out), &in));
        ASSERT_EQ(memcmp(&out, &def, sizeof(out)), 0);

        /* newer, its new options at zero: accepted, ours copied */
        ward_ipc_options_init(&in.o);
        in.o.size = sizeof(in);
        in.o.ring_bytes = 64u << 10;
        memset(in.future, 0, sizeof(in.future));
        out = def;
        ASSERT_OK(ward__options_copy(&out, sizeof(out), &in));
        ASSERT_EQ(out.size, sizeof(out));
        ASSERT_EQ(out.ring_bytes, 64u << 10);

        /* newer, a new option set: refused, out untouched */
        in.future[3] = 1;
        out = def;
        ASSERT_ERRNO(ward__options_copy(&out, sizeof(out), &in), EINVAL);
        ASSERT_EQ(memcmp(&out, &def, sizeof(out)), 0);

        /* sizes no struct has */
        in.future[3] = 0;
        in.o.size = 3;
        ASSERT_ERRNO(ward__options_copy(&out, sizeof(out), &in), EINVAL);
        in.o.size = 0;
        ASSERT_ERRNO(ward__options_copy(&out, sizeof(out), &in), EINVAL);
        in.o.size = WARD__OPTIONS_SIZE_MAX + 1;
        ASSERT_ERRNO(ward__options_copy(&out, sizeof(out), &in), EINVAL);
}

static void on_echo(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        if (ward_ipc_msg_call_id(m)) {
                ward_ipc_reply(c, ward_ipc_msg_call_id(m), 7, ward_ipc_msg_data(m),
                               ward_ipc_msg_len(m));
        }
}

static void serve_until_stopped(const char *addr, const struct ward_ipc_options *opts, int ready_fd)
{
        ward_loop *loop;
        ward_ipc_server *srv;
        tu_block_signal(SIGTERM);
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_server_new(loop, addr, opts, on_echo, NULL, &srv));
        /* what a caller with the older struct gets: its fields, our defaults */
        struct ward_ipc_options def;
        ward_ipc_options_init(&def);
        ASSERT_EQ(srv->opts.size, sizeof(def));
        ASSERT_EQ(srv->opts.ring_bytes, 64u << 10);
        ASSERT_EQ(srv->opts.pool_bytes, def.pool_bytes);
        ASSERT_EQ(srv->opts.inline_max, def.inline_max);
        ASSERT_EQ(srv->opts.send_timeout_ns, def.send_timeout_ns);
        ASSERT_OK(ward_loop_add_signal(loop, SIGTERM, tu_on_sigterm, NULL, NULL));
        tu_write_full(ready_fd, "r", 1);
        ASSERT_OK(ward_loop_run(loop));
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
        exit(0);
}

TEST(server_and_client_with_an_older_struct)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "older");
        /* an "older" struct: it ends before pool_bytes; the bytes after are
         * not the caller's, and garbage */
        struct newer old;
        memset(&old, 0xff, sizeof(old));
        old.o.size = offsetof(struct ward_ipc_options, pool_bytes);
        old.o.wait = WARD_IPC_WAIT_BLOCK;
        old.o.spin_ns = 0;
        old.o.ring_bytes = 64u << 10;
        int p[2];
        tu_pipe(p);
        pid_t srv = tu_fork();
        if (srv == 0) {
                close(p[0]);
                serve_until_stopped(addr, &old.o, p[1]);
        }
        close(p[1]);
        char b;
        ASSERT_EQ(tu_read_full(p[0], &b, 1, 5000), 1);
        close(p[0]);

        ward_ipc_conn *c;
        const ward_ipc_msg *reply;
        ASSERT_OK(ward_ipc_connect(addr, &old.o, &c));
        ASSERT_OK(ward_ipc_call(c, "hi", 2, 5 * TU_SEC, &reply));
        ASSERT_EQ(ward_ipc_msg_status(reply), 7);
        ASSERT_EQ(ward_ipc_msg_len(reply), 2);
        ward_ipc_conn_close(c);

        /* a newer struct whose new options are zero connects too */
        struct newer neu;
        memset(&neu, 0, sizeof(neu));
        ward_ipc_options_init(&neu.o);
        neu.o.size = sizeof(neu);
        ASSERT_OK(ward_ipc_connect(addr, &neu.o, &c));
        ASSERT_OK(ward_ipc_call(c, "hey", 3, 5 * TU_SEC, &reply));
        ASSERT_EQ(ward_ipc_msg_len(reply), 3);
        ward_ipc_conn_close(c);

        /* and one that asks for an option we do not know is refused, by both */
        neu.future[0] = 42;
        ASSERT_ERRNO(ward_ipc_connect(addr, &neu.o, &c), EINVAL);
        ward_loop *loop;
        ward_ipc_server *s2;
        char addr2[108];
        tu_addr(addr2, sizeof(addr2), "newer");
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_ERRNO(ward_ipc_server_new(loop, addr2, &neu.o, on_echo, NULL, &s2), EINVAL);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

TEST_MAIN()
