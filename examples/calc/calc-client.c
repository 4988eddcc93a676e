/* calc-client ADDRESS A B: add and divide through the generated stubs. */
#include <stdio.h>
#include <stdlib.h>

#include <ward/ward.h>

#include "calc.pb-c.h"

/* The generated stubs deliver replies to a closure; without a loop it runs
 * before the stub returns. */
static void on_result(const Calc__Result *res, void *closure_data)
{
        int64_t *out = closure_data;
        *out = res ? res->value : INT64_MIN;
}

int main(int argc, char **argv)
{
        const char *address = argc > 1 ? argv[1] : "@ward-calc";
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ward_ipc_conn *conn = NULL;
        ward_rpc_client *client = NULL;
        int64_t sum = 0;
        op.a = argc > 2 ? atoll(argv[2]) : 6;
        op.b = argc > 3 ? atoll(argv[3]) : 7;
        int r = ward_ipc_connect(address, NULL, &conn);
        if (r >= 0) {
                r = ward_rpc_client_new(conn, &calc__calculator__descriptor, &client);
        }
        if (r < 0) {
                fprintf(stderr, "calc-client: %s\n", ward_strerror(r));
                ward_ipc_conn_close(conn);
                return 1;
        }
        /* 1. through the generated caller stub */
        calc__calculator__add(ward_rpc_client_service(client), &op, on_result, &sum);
        printf("%lld + %lld = %lld\n", (long long)op.a, (long long)op.b, (long long)sum);
        /* 2. the one-line synchronous helper: 0, -errno (transport) or -WARD_E_*
         * (the server's answer) */
        ProtobufCMessage *out = NULL;
        r = ward_rpc_call(client, 1 /* Div */, &op.base, 1000000000ull, &out);
        if (r == 0) {
                printf("%lld / %lld = %lld\n", (long long)op.a, (long long)op.b,
                       (long long)((Calc__Result *)out)->value);
        } else { /* with the handler's own text, when it gave one (ward_rpc_fail) */
                const char *why = ward_rpc_client_last_message(client);
                printf("%lld / %lld: %s%s%s\n", (long long)op.a, (long long)op.b, ward_strerror(r),
                       why[0] ? ": " : "", why);
        }
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(client);
        ward_ipc_conn_close(conn);
        return r == 0 || r == -WARD_E_HANDLER_ERROR ? 0 : 1;
}
