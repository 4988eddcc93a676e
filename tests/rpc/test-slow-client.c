/* A client that stops reading its replies does not hold an RPC server's loop:
 * with the default options, a reply that finds no room for send_timeout_ns
 * (5 s) drops that client, whose calls then end with -ECONNRESET, and the
 * server goes on serving others. The store example serves: a small Get
 * answers a big value, so the replies fill the client's side while the
 * requests never fill the server's. */
#include <poll.h>

#include "ipc/ipc-internal.h"
#include "rpc-util.h"
#include "store-service.h"

#define VALUE (512u << 10) /* the default pool (4 MiB) holds 7 such replies */
#define GETS 12

static int done, got, failed, last_error;

static void on_item(const Store__Item *item, void *data)
{
        ward_rpc_client *c = data;
        done++;
        if (item) {
                got++;
                ASSERT_EQ(item->value.len, VALUE);
        } else {
                failed++;
                last_error = ward_rpc_client_last_error(c);
        }
}

static void put_value(ward_rpc_client *c)
{
        static uint8_t value[VALUE];
        Store__Item item = STORE__ITEM__INIT;
        ProtobufCMessage *out = NULL;
        item.key = "big";
        item.value.data = value;
        item.value.len = sizeof(value);
        ASSERT_OK(ward_rpc_call(c, 0 /* Put */, &item.base, 5 * TU_SEC, &out));
        protobuf_c_message_free_unpacked(out, NULL);
}

TEST(server_drops_client_that_never_reads)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "slow-client", &store_service.base);
        ward_loop *loop;
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        ASSERT_OK(ward_loop_new(&loop));
        rt_connect(addr, &store__store__descriptor, &conn, &c);
        put_value(c);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop)); /* calls are asynchronous now */
        Store__Key key = STORE__KEY__INIT;
        key.key = "big";
        for (int i = 0; i < GETS; i++) {
                store__store__get(ward_rpc_client_service(c), &key, on_item, c);
        }
        ASSERT_EQ(done, 0);
        /* read nothing until the server hangs up: its BYE on the socket (a
         * hang here is the server stuck on our replies; ctest's timeout) */
        uint64_t t0 = ward_now_ns();
        struct pollfd p = {.fd = conn->sock, .events = POLLIN};
        while (poll(&p, 1, -1) < 0 && errno == EINTR) {
        }
        fprintf(stderr, "   the server hung up after %" PRIu64 " ms\n", tu_ms_since(t0));
        rt_drive_until(loop, &done, GETS, 10000);
        fprintf(stderr, "   %d replies arrived, %d calls failed: %d (%s)\n", got, failed,
                last_error, ward_strerror(last_error));
        ASSERT_TRUE(got > 0 && failed > 0);
        ASSERT_ERRNO(last_error, ECONNRESET);
        ASSERT_ERRNO(ward_ipc_conn_get_error(conn), ECONNRESET);
        rt_disconnect(conn, c);
        ward_loop_free(loop);

        /* the server serves the next client */
        rt_connect(addr, &store__store__descriptor, &conn, &c);
        ProtobufCMessage *out = NULL;
        ASSERT_OK(ward_rpc_call(c, 1 /* Get */, &key.base, 5 * TU_SEC, &out));
        ASSERT_EQ(((Store__Item *)out)->value.len, VALUE);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST_MAIN()
