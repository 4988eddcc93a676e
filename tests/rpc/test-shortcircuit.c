/* Short-circuit calls: a client of an address served in the same process and
 * thread (or by a thread that borrowed the server's loop) calls straight into
 * the dispatcher, with the same results as a remote call of the same service. */
#include <pthread.h>
#include <time.h>

#include <ward/ward.h>

#include "calc-service.h"
#include "rpc-util.h"

#define SECOND 1000000000ull

static void on_result(const Calc__Result *res, void *closure_data)
{
        int64_t *out = closure_data;
        *out = res ? res->value : INT64_MIN;
}

/* results: the answers one client gives, to compare local and remote. */
struct results {
        int64_t sum, quotient;
        int div0_status, echo_status;
        size_t echo_len;
        int echo_ok;
};

static struct results exercise(ward_rpc_client *c)
{
        struct results r = {0};
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        op.a = 84;
        op.b = 2;
        calc__calculator__add(ward_rpc_client_service(c), &op, on_result, &r.sum);
        ASSERT_EQ(ward_rpc_call(c, 1, &op.base, SECOND, &out), 0);
        r.quotient = ((Calc__Result *)out)->value;
        protobuf_c_message_free_unpacked(out, NULL);
        op.b = 0;
        r.div0_status = ward_rpc_call(c, 1, &op.base, SECOND, &out);
        ASSERT_TRUE(out == NULL);

        static uint8_t big[1 << 20];
        for (size_t i = 0; i < sizeof(big); i++) {
                big[i] = (uint8_t)(i * 7);
        }
        Calc__Blob blob = CALC__BLOB__INIT;
        blob.data.data = big;
        blob.data.len = sizeof(big);
        r.echo_status = ward_rpc_call(c, 2, &blob.base, 5 * SECOND, &out);
        if (out) {
                Calc__Blob *back = (Calc__Blob *)out;
                r.echo_len = back->data.len;
                r.echo_ok =
                    back->data.len == sizeof(big) && memcmp(back->data.data, big, sizeof(big)) == 0;
                protobuf_c_message_free_unpacked(out, NULL);
        }
        return r;
}

TEST(local_and_remote_agree)
{
        char local_addr[108], remote_addr[108];
        rt_addr(local_addr, sizeof(local_addr), "sc-local");
        pid_t child =
            rt_start_one(remote_addr, sizeof(remote_addr), "sc-remote", &calc_service.base);

        ward_loop *loop;
        ward_rpc_server *srv;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, local_addr, NULL, &srv));
        ASSERT_OK(ward_rpc_server_add(srv, &calc_service.base));

        ward_rpc_client *local, *remote;
        ASSERT_OK(ward_rpc_client_open(local_addr, &calc__calculator__descriptor, NULL, &local));
        ASSERT_OK(ward_rpc_client_open(remote_addr, &calc__calculator__descriptor, NULL, &remote));
        /* the local client never touches the server's socket: no connection */
        struct results l = exercise(local);
        ASSERT_EQ(ward_ipc_server_count(ward_rpc_server_ipc(srv)), 0);
        struct results r = exercise(remote);

        ASSERT_EQ(l.sum, 86);
        ASSERT_EQ(l.sum, r.sum);
        ASSERT_EQ(l.quotient, 42);
        ASSERT_EQ(l.quotient, r.quotient);
        ASSERT_EQ(l.div0_status, -WARD_E_HANDLER_ERROR);
        ASSERT_EQ(l.div0_status, r.div0_status);
        ASSERT_EQ(l.echo_status, 0);
        ASSERT_EQ(r.echo_status, 0);
        ASSERT_TRUE(l.echo_ok);
        ASSERT_TRUE(r.echo_ok);

        ward_rpc_client_free(local);
        ward_rpc_client_free(remote);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
        rt_server_stop(child);
}

TEST(server_gone_means_remote_or_error)
{
        char addr[108];
        rt_addr(addr, sizeof(addr), "sc-gone");
        ward_loop *loop;
        ward_rpc_server *srv;
        ward_rpc_client *c = NULL;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_rpc_server_new(loop, addr, NULL, &srv));
        ward_rpc_server_free(srv);
        /* the registry forgot it, and nobody listens: a plain connect error */
        ASSERT_ERRNO(ward_rpc_client_open(addr, &calc__calculator__descriptor, NULL, &c),
                     ECONNREFUSED);
        ward_loop_free(loop);
}

struct borrowed {
        ward_loop *loop;
        ward_rpc_server *srv;
        const char *addr;
        int64_t sum;
        unsigned connections;
};

/* call_while_borrowed: take the server's sleeping loop, then open a client of
 * its address and call it: it must short-circuit, as on the owner thread (a
 * connection could not even be accepted while this thread holds the loop). */
static void *call_while_borrowed(void *arg)
{
        struct borrowed *b = arg;
        int i = 0;
        while (ward_loop_try_acquire(b->loop) != 0) {
                ASSERT_TRUE(++i < 100000);
                nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
        }
        ward_rpc_client *c;
        ASSERT_OK(ward_rpc_client_open(b->addr, &calc__calculator__descriptor, NULL, &c));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 40;
        op.b = 2;
        calc__calculator__add(ward_rpc_client_service(c), &op, on_result, &b->sum);
        b->connections = ward_ipc_server_count(ward_rpc_server_ipc(b->srv));
        ward_rpc_client_free(c);
        ward_loop_release(b->loop);
        ward_loop_stop(b->loop);
        return NULL;
}

TEST(a_thread_that_borrowed_the_loop_calls_straight_in)
{
        char addr[108];
        rt_addr(addr, sizeof(addr), "sc-borrowed");
        struct borrowed b = {.addr = addr, .sum = INT64_MIN};
        ASSERT_OK(ward_loop_new(&b.loop));
        ASSERT_OK(ward_rpc_server_new(b.loop, addr, NULL, &b.srv));
        ASSERT_OK(ward_rpc_server_add(b.srv, &calc_service.base));
        pthread_t tid;
        ASSERT_EQ(pthread_create(&tid, NULL, call_while_borrowed, &b), 0);
        ASSERT_OK(ward_loop_run(b.loop));
        ASSERT_EQ(pthread_join(tid, NULL), 0);
        ASSERT_EQ(b.sum, 42);
        ASSERT_EQ(b.connections, 0);
        ward_rpc_server_free(b.srv);
        ward_loop_free(b.loop);
}

TEST_MAIN()
