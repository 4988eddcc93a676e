/* grpc-client PORT DEAD_PORT: examples/calc's generated stubs, unchanged,
 * calling a gRPC server (test_client.py's, in Python) through a
 * "grpc:127.0.0.1:PORT" address. The server answers Add, fails it for a < 0
 * with INVALID_ARGUMENT "negative", sleeps 2 s for a == 1000, and does not
 * have Div. DEAD_PORT has no server. Prints each check; exit 0 when all pass. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>

#include "calc.pb-c.h"

static int failures;

static void check(int ok, const char *what, int err, const char *msg)
{
        printf("%s: %s (%s%s%s)\n", ok ? "ok" : "FAIL", what, ward_strerror(err),
               msg && *msg ? ": " : "", msg ? msg : "");
        failures += !ok;
}

static void on_result(const Calc__Result *res, void *closure_data)
{
        int64_t *out = closure_data;
        *out = res ? res->value : INT64_MIN;
}

/* add: a + b through the stub; *err is the call's ward error. */
static int64_t add(ward_rpc_client *c, int64_t a, int64_t b, int *err)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        int64_t sum = INT64_MIN;
        op.a = a;
        op.b = b;
        calc__calculator__add(ward_rpc_client_service(c), &op, on_result, &sum);
        *err = ward_rpc_client_last_error(c);
        return sum;
}

static void check_server(const char *port)
{
        char address[64];
        ward_rpc_client *c = NULL;
        int err;
        snprintf(address, sizeof(address), "grpc:127.0.0.1:%s", port);
        int r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &c);
        check(r == 0, "open", r, NULL);
        if (r < 0) {
                return;
        }
        int64_t sum = add(c, 40, 2, &err);
        check(sum == 42 && err == 0, "Add(40, 2) through the stub is 42", err, NULL);
        /* the one-line helper too */
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 20;
        op.b = 22;
        ProtobufCMessage *out = NULL;
        r = ward_rpc_call(c, 0, &op.base, 5000000000ull, &out);
        check(r == 0 && out && ((Calc__Result *)out)->value == 42, "ward_rpc_call Add is 42", r,
              NULL);
        protobuf_c_message_free_unpacked(out, NULL);
        sum = add(c, -1, 2, &err);
        check(sum == INT64_MIN && err == -WARD_E_HANDLER_ERROR &&
                  strcmp(ward_rpc_client_last_message(c), "negative") == 0,
              "INVALID_ARGUMENT is -WARD_E_HANDLER_ERROR with its message", err,
              ward_rpc_client_last_message(c));
        r = ward_rpc_call(c, 1 /* Div */, &op.base, 5000000000ull, &out);
        check(r == -WARD_E_UNKNOWN_METHOD && !out, "UNIMPLEMENTED is -WARD_E_UNKNOWN_METHOD", r,
              ward_rpc_client_last_message(c));
        ward_rpc_client_set_timeout(c, 200000000ull); /* 0.2 s; the server sleeps 2 s */
        sum = add(c, 1000, 0, &err);
        check(sum == INT64_MIN && err == -ETIMEDOUT, "DEADLINE_EXCEEDED is -ETIMEDOUT", err,
              ward_rpc_client_last_message(c));
        ward_rpc_client_set_timeout(c, 5000000000ull);
        sum = add(c, 1, 41, &err);
        check(sum == 42 && err == 0, "the next call answers", err, NULL);
        ward_rpc_client_free(c);
}

static void check_no_server(const char *port)
{
        char address[64];
        ward_rpc_client *c = NULL;
        int err;
        snprintf(address, sizeof(address), "grpc:127.0.0.1:%s", port);
        int r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &c);
        check(r == 0, "open (nothing connects yet)", r, NULL);
        if (r < 0) {
                return;
        }
        int64_t sum = add(c, 40, 2, &err);
        check(sum == INT64_MIN && err == -ECONNRESET, "no server: UNAVAILABLE is -ECONNRESET", err,
              ward_rpc_client_last_message(c));
        ward_rpc_client_free(c);
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: grpc-client PORT DEAD_PORT\n");
                return 2;
        }
        check_server(argv[1]);
        check_no_server(argv[2]);
        ward_rpc_client *c = NULL;
        int r = ward_rpc_client_open("grpc:", &calc__calculator__descriptor, NULL, &c);
        check(r == -EINVAL, "grpc: without a target is -EINVAL", r, NULL);
        return failures ? 1 : 0;
}
