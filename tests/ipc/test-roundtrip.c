/* Synchronous calls of every interesting size, in every wait mode, through the
 * copy path and the zero-copy path; payloads checked byte for byte both ways. */
#include "ipc-util.h"

static const size_t sizes[] = {0, 1, 64, 1024, 8192, 16384, 16385, 65536, 1u << 20};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* The request carries tu_pattern(seed 0); the server checks it, then replies
 * with each byte + 1 and status = len (or -1 when the request was wrong). */
static void on_copy(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        size_t len = ward_ipc_msg_len(m);
        const uint8_t *in = ward_ipc_msg_data(m);
        int ok = tu_check_pattern(in, len, 0, 0) == -1;
        TU_CHILD_CHECK(ok);
        uint8_t *out = malloc(len ? len : 1);
        TU_CHILD_CHECK(out != NULL);
        if (!out) {
                return;
        }
        for (size_t i = 0; i < len; i++) {
                out[i] = (uint8_t)(in[i] + 1);
        }
        int r = ward_ipc_reply(c, ward_ipc_msg_call_id(m), ok ? (int32_t)len : -1, out, len);
        TU_CHILD_CHECK(r >= 0);
        free(out);
}

/* Same, but the reply is built in place in the server's pool. */
static void on_zero_copy(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        size_t len = ward_ipc_msg_len(m);
        const uint8_t *in = ward_ipc_msg_data(m);
        int ok = tu_check_pattern(in, len, 0, 0) == -1;
        TU_CHILD_CHECK(ok);
        ward_ipc_buf *b;
        int r = ward_ipc_buf_alloc(c, len, TU_SEC, &b);
        TU_CHILD_CHECK(r >= 0);
        if (r < 0) {
                return;
        }
        uint8_t *out = ward_ipc_buf_data(b);
        for (size_t i = 0; i < len; i++) {
                out[i] = (uint8_t)(in[i] + 1);
        }
        r = ward_ipc_reply_buf(c, ward_ipc_msg_call_id(m), ok ? (int32_t)len : -1, b);
        TU_CHILD_CHECK(r >= 0);
}

static void check_reply(const ward_ipc_msg *rep, size_t len)
{
        ASSERT_EQ(ward_ipc_msg_status(rep), (int32_t)len);
        ASSERT_EQ(ward_ipc_msg_len(rep), len);
        ASSERT_NE(ward_ipc_msg_call_id(rep), 0);
        long bad = tu_check_pattern(ward_ipc_msg_data(rep), len, 0, 1);
        if (bad != -1) {
                TEST_FAIL("reply of %zu bytes differs at byte %ld", len, bad);
        }
}

static void call_copy(ward_ipc_conn *c, size_t len)
{
        uint8_t *req = malloc(len ? len : 1);
        ASSERT_TRUE(req != NULL);
        tu_fill(req, len, 0);
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call(c, len ? req : NULL, len, 5 * TU_SEC, &rep));
        check_reply(rep, len);
        ward_ipc_msg_release(c, rep);
        free(req);
}

static void call_zero_copy(ward_ipc_conn *c, size_t len)
{
        ward_ipc_buf *b;
        ASSERT_OK(ward_ipc_buf_alloc(c, len, 5 * TU_SEC, &b));
        ASSERT_TRUE(ward_ipc_buf_data(b) != NULL);
        tu_fill(ward_ipc_buf_data(b), len, 0);
        const ward_ipc_msg *rep;
        ASSERT_OK(ward_ipc_call_buf(c, b, 5 * TU_SEC, &rep));
        check_reply(rep, len);
        ward_ipc_msg_release(c, rep);
}

static void run_mode(enum ward_ipc_wait wait, ward_ipc_msg_fn handler, const char *tag,
                     void (*call)(ward_ipc_conn *, size_t), const size_t *lens, size_t nlens)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), tag);
        struct ward_ipc_options o = tu_opts(wait);
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = handler};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        /* twice over, so the second round reuses ring and pool space */
        for (int round = 0; round < 2; round++) {
                for (size_t i = 0; i < nlens; i++) {
                        call(c, lens[i]);
                }
        }
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
        fprintf(stderr, "   %s %s: %zu sizes ok\n", tag, tu_wait_name(wait), nlens);
}

TEST(copy_block)
{
        run_mode(WARD_IPC_WAIT_BLOCK, on_copy, "copy", call_copy, sizes, NSIZES);
}

TEST(copy_spin_then_block)
{
        run_mode(WARD_IPC_WAIT_SPIN_THEN_BLOCK, on_copy, "copy", call_copy, sizes, NSIZES);
}

TEST(copy_spin)
{
        run_mode(WARD_IPC_WAIT_SPIN, on_copy, "copy", call_copy, sizes, NSIZES);
}

static const size_t zc_sizes[] = {64, 1u << 20};

TEST(zero_copy_block)
{
        run_mode(WARD_IPC_WAIT_BLOCK, on_zero_copy, "zc", call_zero_copy, zc_sizes, 2);
}

TEST(zero_copy_spin_then_block)
{
        run_mode(WARD_IPC_WAIT_SPIN_THEN_BLOCK, on_zero_copy, "zc", call_zero_copy, zc_sizes, 2);
}

TEST(zero_copy_spin)
{
        run_mode(WARD_IPC_WAIT_SPIN, on_zero_copy, "zc", call_zero_copy, zc_sizes, 2);
}

/* A zero-copy request answered through the copy path, and the other way round. */
TEST(mixed_paths)
{
        run_mode(WARD_IPC_WAIT_SPIN_THEN_BLOCK, on_copy, "mix1", call_zero_copy, sizes + 1,
                 NSIZES - 1);
        run_mode(WARD_IPC_WAIT_SPIN_THEN_BLOCK, on_zero_copy, "mix2", call_copy, sizes, NSIZES);
}

/* Asynchronous calls from pool buffers, several in flight at a time, each
 * reply checked; one refused (no callback) gives its buffer back, so a whole
 * pool's worth fits again. */
static int zc_async_done;

static void on_zc_async(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        ASSERT_EQ(status, 0);
        check_reply(reply, (size_t)(uintptr_t)arg);
        zc_async_done++;
}

TEST(zero_copy_async)
{
        static const size_t lens[] = {64, 16385, 1u << 20, 1u << 20};
        char addr[108];
        tu_addr(addr, sizeof(addr), "zc-async");
        struct tu_server cfg = {.addr = addr, .on_msg = on_zero_copy};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        ward_ipc_buf *b;
        tu_connect_attached(addr, &loop, &c);
        ASSERT_OK(ward_ipc_buf_alloc(c, 4u << 20, TU_SEC, &b)); /* the default pool, all of it */
        ASSERT_ERRNO(ward_ipc_call_buf_async(c, b, TU_SEC, NULL, NULL, NULL), EINVAL);
        for (int round = 1; round <= 3; round++) {
                for (size_t i = 0; i < 4; i++) {
                        uint64_t id = 0;
                        ASSERT_OK(ward_ipc_buf_alloc(c, lens[i], 5 * TU_SEC, &b));
                        tu_fill(ward_ipc_buf_data(b), lens[i], 0);
                        ASSERT_OK(ward_ipc_call_buf_async(c, b, 5 * TU_SEC, on_zc_async,
                                                          (void *)(uintptr_t)lens[i], &id));
                        ASSERT_NE(id, 0);
                }
                uint64_t t0 = ward_now_ns();
                while (zc_async_done < 4 * round && tu_ms_since(t0) < 5000) {
                        ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
                }
                ASSERT_EQ(zc_async_done, 4 * round);
        }
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* A buffer allocated and given back unsent leaves the pool usable. */
static void alloc_free_then_call(ward_ipc_conn *c, size_t len)
{
        for (int i = 0; i < 8; i++) {
                ward_ipc_buf *b;
                ASSERT_OK(ward_ipc_buf_alloc(c, len, 5 * TU_SEC, &b));
                ward_ipc_buf_free(c, b);
        }
        call_zero_copy(c, len);
}

TEST(buf_free_unsent)
{
        static const size_t lens[] = {64, 1u << 20};
        run_mode(WARD_IPC_WAIT_BLOCK, on_copy, "free", alloc_free_then_call, lens, 2);
}

/* A reply is released by the next call even when the caller never releases
 * it: 40 replies of 1 MiB pass through a 4 MiB pool. */
TEST(reply_released_by_next_call)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "no-release");
        struct tu_server cfg = {.addr = addr, .on_msg = on_zero_copy};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        size_t len = 1u << 20;
        uint8_t *req = malloc(len);
        ASSERT_TRUE(req != NULL);
        tu_fill(req, len, 0);
        for (int i = 0; i < 40; i++) {
                const ward_ipc_msg *rep;
                ASSERT_OK(ward_ipc_call(c, req, len, 5 * TU_SEC, &rep));
                check_reply(rep, len);
        }
        free(req);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* A small ring (4 KiB) caps inline payloads at 1 KiB: everything else goes
 * through the pool, and the ring wraps many times. */
TEST(small_ring)
{
        static const size_t lens[] = {0, 1, 1000, 1024, 1025, 4096, 60000};
        char addr[108];
        tu_addr(addr, sizeof(addr), "small-ring");
        struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        o.ring_bytes = 4096;
        o.inline_max = 1024;
        o.pool_bytes = 64u << 10;
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = on_copy};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        for (int round = 0; round < 50; round++) {
                for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                        call_copy(c, lens[i]);
                }
        }
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* Bigger than the pool: -EMSGSIZE, and the connection goes on working. */
TEST(too_big)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "too-big");
        struct tu_server cfg = {.addr = addr, .on_msg = on_copy};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        size_t len = 8u << 20; /* the default pool is 4 MiB */
        uint8_t *big = calloc(1, len);
        ASSERT_TRUE(big != NULL);
        const ward_ipc_msg *rep;
        ASSERT_ERRNO(ward_ipc_call(c, big, len, 5 * TU_SEC, &rep), EMSGSIZE);
        ASSERT_ERRNO(ward_ipc_send(c, big, len), EMSGSIZE);
        ward_ipc_buf *b;
        ASSERT_ERRNO(ward_ipc_buf_alloc(c, len, TU_SEC, &b), EMSGSIZE);
        /* the limit is the pool's size, and says so */
        ASSERT_EQ(ward_ipc_conn_get_max_len(c), 4u << 20);
        ASSERT_ERRNO(ward_ipc_call(c, big, (4u << 20) + 1, 5 * TU_SEC, &rep), EMSGSIZE);
        free(big);
        ASSERT_EQ(ward_ipc_conn_get_error(c), 0);
        call_copy(c, 64);
        call_copy(c, 1u << 20);
        call_copy(c, ward_ipc_conn_get_max_len(c)); /* exactly the limit */
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* The limit is what the server granted: its pool_bytes caps the client's. */
TEST(limit_is_what_the_server_granted)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "granted");
        struct ward_ipc_options so = tu_opts(WARD_IPC_WAIT_BLOCK);
        so.pool_bytes = 64u << 10;
        struct tu_server cfg = {.addr = addr, .opts = &so, .on_msg = on_copy};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c)); /* asks for 4 MiB */
        size_t max = ward_ipc_conn_get_max_len(c);
        ASSERT_EQ(max, 64u << 10);
        call_copy(c, max);
        uint8_t *big = calloc(1, max + 1);
        ASSERT_TRUE(big != NULL);
        const ward_ipc_msg *rep;
        ASSERT_ERRNO(ward_ipc_call(c, big, max + 1, 5 * TU_SEC, &rep), EMSGSIZE);
        free(big);
        call_copy(c, 100);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* A forked child holds a copy of the connection, mapping and loop included:
 * using it there fails with -ECHILD, and closing and freeing the copies there
 * (which a child that cleans up before exit does) leaves the parent's
 * connection and loop alone. */
static int async_ok;

static void on_async_ok(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c, (void)arg;
        ASSERT_EQ(status, 0);
        ASSERT_EQ(ward_ipc_msg_status(reply), 64);
        async_ok++;
}

static void async_call_on_loop(ward_ipc_conn *c, ward_loop *loop)
{
        uint8_t req[64];
        tu_fill(req, sizeof(req), 0);
        int before = async_ok;
        ASSERT_OK(ward_ipc_call_async(c, req, sizeof(req), 5 * TU_SEC, on_async_ok, NULL, NULL));
        uint64_t t0 = ward_now_ns();
        while (async_ok == before && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(loop, 10 * TU_MS));
        }
        ASSERT_EQ(async_ok, before + 1);
}

TEST(connection_after_fork)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "fork");
        struct tu_server cfg = {.addr = addr, .on_msg = on_copy};
        pid_t srv = tu_server_start(&cfg);
        ward_loop *loop;
        ward_ipc_conn *c;
        tu_connect_attached(addr, &loop, &c);
        async_call_on_loop(c, loop);
        pid_t child = tu_fork();
        if (child == 0) {
                const ward_ipc_msg *rep;
                ward_ipc_buf *b;
                ASSERT_ERRNO(ward_ipc_call(c, "x", 1, TU_SEC, &rep), ECHILD);
                ASSERT_ERRNO(ward_ipc_send(c, "x", 1), ECHILD);
                ASSERT_ERRNO(ward_ipc_buf_alloc(c, 64, TU_SEC, &b), ECHILD);
                ASSERT_ERRNO(ward_loop_run_once(loop, 0), ECHILD);
                ward_ipc_conn_close(c);
                ward_loop_free(loop);
                exit(0);
        }
        tu_expect_exit0(child, 5000);
        async_call_on_loop(c, loop);
        call_copy(c, 64);
        call_copy(c, 1u << 20);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

TEST_MAIN()
