/* Size limits say which limit they are: a request larger than a call on the
 * connection can carry fails with -EMSGSIZE before anything is sent, and
 * ward_rpc_max_request names the limit (the pool_bytes the server granted,
 * less the call's header); a reply larger than the connection carries fails
 * the call with -WARD_E_REPLY_TOO_LARGE, not a bare server error. The store
 * example serves: Put carries a value of any size, Get answers it. */
#include "rpc-util.h"
#include "store-service.h"

/* put: Put key with a value of len bytes; the call's result. */
static int put(ward_rpc_client *c, const char *key, size_t len, size_t *ret_packed)
{
        Store__Item item = STORE__ITEM__INIT;
        ProtobufCMessage *out = NULL;
        item.key = (char *)key;
        item.value.len = len;
        item.value.data = calloc(1, len ? len : 1);
        ASSERT_TRUE(item.value.data != NULL);
        if (ret_packed) {
                *ret_packed = protobuf_c_message_get_packed_size(&item.base);
        }
        int r = ward_rpc_call(c, 0 /* Put */, &item.base, 10 * TU_SEC, &out);
        protobuf_c_message_free_unpacked(out, NULL);
        free(item.value.data);
        return r;
}

/* value_for: the value length whose Item (key "k") packs to exactly want bytes. */
static size_t value_for(size_t want)
{
        Store__Item item = STORE__ITEM__INIT;
        item.key = "k";
        item.value.len = want - 16;
        size_t packed = protobuf_c_message_get_packed_size(&item.base);
        item.value.len += want - packed;
        ASSERT_EQ(protobuf_c_message_get_packed_size(&item.base), want);
        return item.value.len;
}

static int get(ward_rpc_client *c, const char *key, size_t *ret_len)
{
        Store__Key k = STORE__KEY__INIT;
        ProtobufCMessage *out = NULL;
        k.key = (char *)key;
        int r = ward_rpc_call(c, 1 /* Get */, &k.base, 10 * TU_SEC, &out);
        if (r == 0) {
                *ret_len = ((Store__Item *)out)->value.len;
        }
        protobuf_c_message_free_unpacked(out, NULL);
        return r;
}

TEST(request_at_and_over_the_limit)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "limits-request", &store_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &store__store__descriptor, &conn, &c);
        size_t max_len = ward_ipc_conn_get_max_len(conn);
        size_t max = ward_rpc_max_request(conn);
        fprintf(stderr, "   a message carries %zu bytes, a request %zu\n", max_len, max);
        ASSERT_EQ(max_len, 4u << 20); /* the default pool_bytes */
        ASSERT_TRUE(max < max_len && max > max_len - 64);
        size_t packed;
        ASSERT_OK(put(c, "k", value_for(max), &packed));
        ASSERT_EQ(packed, max);
        int r = put(c, "k", value_for(max + 1), &packed);
        fprintf(stderr, "   a %zu-byte request: %d (%s)\n", packed, r, ward_strerror(r));
        ASSERT_ERRNO(r, EMSGSIZE);
        ASSERT_EQ(ward_ipc_conn_get_error(conn), 0); /* nothing was sent */
        size_t len = 0;
        ASSERT_OK(get(c, "k", &len));
        ASSERT_EQ(len, value_for(max));
        ASSERT_EQ(ward_rpc_max_request(NULL), 0);
        ASSERT_EQ(ward_ipc_conn_get_max_len(NULL), 0);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(reply_over_the_limit)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "limits-reply", &store_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &store__store__descriptor, &conn, &c);
        ASSERT_OK(put(c, "big", 512u << 10, NULL));
        ASSERT_OK(put(c, "small", 100, NULL));
        rt_disconnect(conn, c);

        /* a connection with a 64 KiB pool: the 512 KiB value cannot come back */
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.pool_bytes = 64u << 10;
        ASSERT_OK(ward_ipc_connect(addr, &o, &conn));
        ASSERT_OK(ward_rpc_client_new(conn, &store__store__descriptor, &c));
        ASSERT_EQ(ward_ipc_conn_get_max_len(conn), 64u << 10);
        size_t len = 0;
        int r = get(c, "big", &len);
        fprintf(stderr, "   a 512 KiB reply over a 64 KiB pool: %d (%s)\n", r, ward_strerror(r));
        ASSERT_EQ(r, -WARD_E_REPLY_TOO_LARGE);
        ASSERT_STREQ(ward_strerror(r), "rpc: reply larger than the connection carries");
        ASSERT_STREQ(ward_rpc_status_name(WARD_RPC_REPLY_TOO_LARGE), "reply too large");
        ASSERT_OK(get(c, "small", &len)); /* the connection goes on */
        ASSERT_EQ(len, 100);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST_MAIN()
