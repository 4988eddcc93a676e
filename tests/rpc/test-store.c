/* The Store example (examples/store): Put and Get give the same results in
 * process (short-circuit) and from another process; a missing key and the
 * (STORE_MAX_KEYS + 1)th distinct key fail the call. Sum adds through the
 * Calculator: short-circuited in one process or in one `ward serve`, over a
 * socket from the standalone store-server, and it fails with no calculator. */
#include "calc-service.h"
#include "rpc-util.h"
#include "store-service.h"

#define SECOND 1000000000ull

/* put: the call's status; *ret_count is the Ack's key count when it is OK. */
static int put(ward_rpc_client *c, const char *key, const char *value, unsigned *ret_count)
{
        Store__Item item = STORE__ITEM__INIT;
        ProtobufCMessage *out = NULL;
        item.key = (char *)key;
        item.value.data = (uint8_t *)value;
        item.value.len = strlen(value);
        int s = ward_rpc_call(c, 0 /* Put */, &item.base, SECOND, &out);
        if (s == 0 && ret_count) {
                *ret_count = ((Store__Ack *)out)->count;
        }
        protobuf_c_message_free_unpacked(out, NULL);
        return s;
}

/* get: the call's status; the value, as a string, in buf when it is OK. */
static int get(ward_rpc_client *c, const char *key, char *buf, size_t size)
{
        Store__Key k = STORE__KEY__INIT;
        ProtobufCMessage *out = NULL;
        k.key = (char *)key;
        int s = ward_rpc_call(c, 1 /* Get */, &k.base, SECOND, &out);
        if (s == 0) {
                const Store__Item *item = (const Store__Item *)out;
                ASSERT_STREQ(item->key, key);
                ASSERT_TRUE(item->value.len < size);
                if (item->value.len) { /* an empty bytes field has data NULL */
                        memcpy(buf, item->value.data, item->value.len);
                }
                buf[item->value.len] = '\0';
        }
        protobuf_c_message_free_unpacked(out, NULL);
        return s;
}

/* sum: the call's status; the sum in *ret when it is OK. */
static int sum(ward_rpc_client *c, const char *a, const char *b, int64_t *ret)
{
        Store__Pair p = STORE__PAIR__INIT;
        ProtobufCMessage *out = NULL;
        p.a = (char *)a;
        p.b = (char *)b;
        int s = ward_rpc_call(c, 2 /* Sum */, &p.base, SECOND, &out);
        if (s == 0) {
                *ret = ((Store__Number *)out)->value;
        }
        protobuf_c_message_free_unpacked(out, NULL);
        return s;
}

/* exercise: the same calls and expectations for any client of an empty store. */
static void exercise(ward_rpc_client *c)
{
        char buf[64], key[32];
        unsigned count = 0;
        RT_EXPECT_STATUS(put(c, "a", "1", &count), 0);
        ASSERT_EQ(count, 1);
        RT_EXPECT_STATUS(put(c, "b", "hello", &count), 0);
        ASSERT_EQ(count, 2);
        RT_EXPECT_STATUS(put(c, "a", "22", &count), 0); /* replaced, not added */
        ASSERT_EQ(count, 2);
        RT_EXPECT_STATUS(put(c, "empty", "", &count), 0);
        RT_EXPECT_STATUS(get(c, "a", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "22");
        RT_EXPECT_STATUS(get(c, "b", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "hello");
        RT_EXPECT_STATUS(get(c, "empty", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "");
        RT_EXPECT_STATUS(get(c, "missing", buf, sizeof(buf)), -WARD_E_HANDLER_ERROR);

        for (unsigned i = count; i < STORE_MAX_KEYS; i++) {
                snprintf(key, sizeof(key), "fill-%u", i);
                RT_EXPECT_STATUS(put(c, key, key, &count), 0);
        }
        ASSERT_EQ(count, STORE_MAX_KEYS);
        RT_EXPECT_STATUS(put(c, "one-too-many", "x", NULL), -WARD_E_HANDLER_ERROR);
        RT_EXPECT_STATUS(get(c, "one-too-many", buf, sizeof(buf)), -WARD_E_HANDLER_ERROR);
        RT_EXPECT_STATUS(put(c, "b", "still room to replace", &count), 0);
        ASSERT_EQ(count, STORE_MAX_KEYS);
        RT_EXPECT_STATUS(get(c, "b", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "still room to replace");
        snprintf(key, sizeof(key), "fill-%u", STORE_MAX_KEYS - 1);
        RT_EXPECT_STATUS(get(c, key, buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, key);
}

TEST(local_and_remote_agree)
{
        char local_addr[64], remote_addr[64];
        store_service_clear();
        pid_t child =
            rt_start_one(remote_addr, sizeof(remote_addr), "store-remote", &store_service.base);
        rt_addr(local_addr, sizeof(local_addr), "store-local");
        ward_loop *loop;
        ward_rpc_server *srv;
        ward_rpc_client *local, *remote;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, local_addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &store_service.base));
        ASSERT_OK(ward_rpc_client_open(local_addr, &store__store__descriptor, NULL, &local));
        ASSERT_OK(ward_rpc_client_open(remote_addr, &store__store__descriptor, NULL, &remote));
        exercise(local);
        ASSERT_EQ(ward_ipc_server_count(ward_rpc_server_ipc(srv)), 0); /* short-circuited */
        exercise(remote);
        ward_rpc_client_free(local);
        ward_rpc_client_free(remote);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
        store_service_clear();
        rt_server_stop(child);
}

TEST(sum_in_process)
{
        char addr[64];
        int64_t v = 0;
        ward_loop *loop;
        ward_rpc_server *srv;
        ward_rpc_client *calc, *store;
        store_service_clear();
        rt_addr(addr, sizeof(addr), "store-sum");
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &calc_service.base));
        ASSERT_OK(ward_rpc_server_add(srv, &store_service.base));
        ASSERT_OK(ward_rpc_client_open(addr, &calc__calculator__descriptor, NULL, &calc));
        ASSERT_OK(ward_rpc_client_open(addr, &store__store__descriptor, NULL, &store));
        RT_EXPECT_STATUS(put(store, "x", "40", NULL), 0);
        RT_EXPECT_STATUS(put(store, "y", "-2", NULL), 0);
        RT_EXPECT_STATUS(put(store, "z", "forty", NULL), 0);
        RT_EXPECT_STATUS(sum(store, "x", "y", &v), -WARD_E_HANDLER_ERROR); /* no calculator */
        store_service_set_calculator(calc);
        RT_EXPECT_STATUS(sum(store, "x", "y", &v), 0);
        ASSERT_EQ(v, 38);
        RT_EXPECT_STATUS(sum(store, "x", "z", &v), -WARD_E_HANDLER_ERROR); /* not a number */
        RT_EXPECT_STATUS(sum(store, "x", "nope", &v), -WARD_E_HANDLER_ERROR);
        ASSERT_EQ(ward_ipc_server_count(ward_rpc_server_ipc(srv)), 0);
        store_service_set_calculator(NULL);
        ward_rpc_client_free(store);
        ward_rpc_client_free(calc);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
        store_service_clear();
}

/* ---- the shipped programs: ward serve with libstore.so, store-server ---- */

static pid_t start_program(char *const argv[])
{
        ASSERT_TRUE(access(argv[0], X_OK) == 0);
        pid_t pid = tu_fork();
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout)) {
                        _exit(3);
                }
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

/* open_retry: a client of desc at addr once the program there answers. */
static ward_rpc_client *open_retry(const char *addr, const ProtobufCServiceDescriptor *desc)
{
        ward_rpc_client *c = NULL;
        for (int i = 0; i < 500; i++) {
                if (ward_rpc_client_open(addr, desc, NULL, &c) == 0) {
                        return c;
                }
                tu_sleep_ms(10);
        }
        TEST_FAIL("no server on %s after 5 s", addr);
}

/* serve_sum: Put two numbers and Sum them on the store at addr. */
static int serve_sum(const char *addr, int64_t *ret)
{
        ward_rpc_client *c = open_retry(addr, &store__store__descriptor);
        RT_EXPECT_STATUS(put(c, "x", "40", NULL), 0);
        RT_EXPECT_STATUS(put(c, "y", "2", NULL), 0);
        int s = sum(c, "x", "y", ret);
        ward_rpc_client_free(c);
        return s;
}

TEST(ward_serve_sum_is_shortcircuited)
{
        char both[64], alone[64];
        int64_t v = 0;
        ASSERT_TRUE(access(WARD_LIB_DIR "/libstore.so", R_OK) == 0);
        rt_addr(both, sizeof(both), "serve-both");
        rt_addr(alone, sizeof(alone), "serve-alone");
        char *argv_both[] = {WARD_BIN_DIR "/ward",
                             "serve",
                             "--listen",
                             both,
                             "--load",
                             WARD_LIB_DIR "/libcalc.so",
                             "--load",
                             WARD_LIB_DIR "/libstore.so",
                             NULL};
        char *argv_alone[] = {WARD_BIN_DIR "/ward",        "serve", "--listen", alone, "--load",
                              WARD_LIB_DIR "/libstore.so", NULL};
        pid_t p_both = start_program(argv_both);
        pid_t p_alone = start_program(argv_alone);
        /* libstore.so loaded after libcalc.so: Sum reaches the Calculator in process */
        RT_EXPECT_STATUS(serve_sum(both, &v), 0);
        ASSERT_EQ(v, 42);
        /* no libcalc.so: Put and Get work, Sum fails */
        RT_EXPECT_STATUS(serve_sum(alone, &v), -WARD_E_HANDLER_ERROR);
        rt_server_stop(p_both);
        rt_server_stop(p_alone);
}

TEST(store_server_standalone)
{
        char calc_addr[64], with[64], without[64];
        int64_t v = 0;
        pid_t p_calc = rt_start_one(calc_addr, sizeof(calc_addr), "calc", &calc_service.base);
        rt_addr(with, sizeof(with), "store-with-calc");
        rt_addr(without, sizeof(without), "store-without-calc");
        char *argv_with[] = {WARD_BIN_DIR "/store-server", with, calc_addr, NULL};
        char *argv_without[] = {WARD_BIN_DIR "/store-server", without, NULL};
        pid_t p_with = start_program(argv_with);
        pid_t p_without = start_program(argv_without);
        RT_EXPECT_STATUS(serve_sum(with, &v), 0); /* over a socket to p_calc */
        ASSERT_EQ(v, 42);
        RT_EXPECT_STATUS(serve_sum(without, &v), -WARD_E_HANDLER_ERROR);
        rt_server_stop(p_with);
        rt_server_stop(p_without);
        rt_server_stop(p_calc);
}

TEST_MAIN()
