/* Reflection: a server describes the services it hosts and the messages they
 * use, as `ward list` prints them. */
#include <string.h>

#include <ward/ward.h>

#include "calc-service.h"
#include "reflect.pb-c.h"
#include "rpc-util.h"

#define SECOND 1000000000ull

static const Ward__Reflect__Message *find_message(const Ward__Reflect__Description *d,
                                                  const char *name)
{
        for (size_t i = 0; i < d->n_messages; i++) {
                if (strcmp(d->messages[i]->name, name) == 0) {
                        return d->messages[i];
                }
        }
        return NULL;
}

TEST(describes_calc)
{
        char addr[108];
        pid_t pid = rt_start_one(addr, sizeof(addr), "reflect", &calc_service.base);
        ward_ipc_conn *conn;
        Ward__Reflect__Description *d = NULL;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        ASSERT_EQ(ward_rpc_describe(conn, SECOND, &d), 0);

        ASSERT_EQ(d->n_services, 1);
        const Ward__Reflect__Service *s = d->services[0];
        ASSERT_STREQ(s->name, "calc.Calculator");
        ASSERT_TRUE(s->schema_hash == ward_rpc_service_hash(&calc__calculator__descriptor));
        ASSERT_EQ(s->n_methods, 4);
        ASSERT_STREQ(s->methods[0]->name, "Add");
        ASSERT_STREQ(s->methods[0]->input, "calc.BinaryOp");
        ASSERT_STREQ(s->methods[0]->output, "calc.Result");
        ASSERT_TRUE(!s->methods[0]->one_way);
        ASSERT_STREQ(s->methods[3]->name, "Log");
        ASSERT_TRUE(s->methods[3]->one_way);

        const Ward__Reflect__Message *op = find_message(d, "calc.BinaryOp");
        ASSERT_TRUE(op != NULL);
        ASSERT_EQ(op->n_fields, 2);
        ASSERT_STREQ(op->fields[1]->name, "b");
        ASSERT_EQ(op->fields[1]->number, 2);
        ASSERT_STREQ(op->fields[1]->type, "int64");
        ASSERT_TRUE(find_message(d, "calc.Blob") != NULL);
        ASSERT_TRUE(find_message(d, "ward.NoReply") != NULL);
        protobuf_c_message_free_unpacked(&d->base, NULL);

        /* the connection still serves ordinary calls afterwards */
        ward_rpc_client *c;
        ProtobufCMessage *out = NULL;
        Calc__BinaryOp in = CALC__BINARY_OP__INIT;
        in.a = 1;
        in.b = 2;
        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c));
        ASSERT_EQ(ward_rpc_call(c, 0, &in.base, SECOND, &out), 0);
        ASSERT_EQ(((Calc__Result *)out)->value, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c);
        ward_ipc_conn_close(conn);
        rt_server_stop(pid);
}

TEST(bad_arguments)
{
        Ward__Reflect__Description *d = NULL;
        ASSERT_ERRNO(ward_rpc_describe(NULL, SECOND, &d), EINVAL);
}

TEST_MAIN()
