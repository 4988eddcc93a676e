/* grpc-client PORT DEAD_PORT: examples/calc's generated stubs, unchanged,
 * calling a gRPC server (test_client.py's, in Python) through a
 * "grpc:127.0.0.1:PORT" address, synchronously and on a ward_loop. The server answers Add, fails it
 * for a < 0 with INVALID_ARGUMENT "negative", sleeps 2 s for a == 1000, and does not have Div.
 * DEAD_PORT has no server. Prints each check; exit 0 when all pass.
 * grpc-client --expect 42|unavailable ADDRESS: one Add(40, 2) at ADDRESS
 * (test_client_tls.py: grpcs: and grpc: addresses of a TLS server), which
 * must give 42, or fail UNAVAILABLE (-ECONNRESET) within its 10 s.
 * grpc-client --restart ADDRESS: across a restart of the server at ADDRESS
 * (test_client.py): Add through three clients, then "stopped?" on stdout
 * and a line on stdin once the server is down; then Add again through
 * each: without options.reconnect, or without marking Add idempotent, the
 * call fails -ECONNRESET; with both it answers 42 once the server (started
 * again after "waiting" on stdout) is back. */
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

/* ---- asynchronous: the client attached to a loop ---- */

#define ASYNC_CALLS 20

struct async_state {
        ward_loop *loop;
        ward_rpc_client *client;
        int answered, right, failed_right;
};

static void on_async(const Calc__Result *res, void *closure_data)
{
        struct async_state *st = closure_data;
        if (res) {
                st->right += res->value == 42;
        } else {
                st->failed_right +=
                    ward_rpc_client_last_error(st->client) == -WARD_E_HANDLER_ERROR &&
                    strcmp(ward_rpc_client_last_message(st->client), "negative") == 0;
        }
        if (++st->answered == ASYNC_CALLS + 1) {
                ward_loop_stop(st->loop);
        }
}

static void on_abandoned(const Calc__Result *res, void *closure_data)
{
        *(int *)closure_data = res ? 1 : -1;
}

static void check_async(const char *port)
{
        char address[64];
        struct async_state st = {0};
        snprintf(address, sizeof(address), "grpc:127.0.0.1:%s", port);
        int r = ward_loop_new(&st.loop);
        if (r == 0) {
                r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &st.client);
        }
        if (r == 0) {
                r = ward_rpc_client_attach(st.client, st.loop);
        }
        check(r == 0, "open and attach to a loop", r, NULL);
        if (r < 0) {
                ward_rpc_client_free(st.client);
                ward_loop_free(st.loop);
                return;
        }
        ProtobufCService *svc = ward_rpc_client_service(st.client);
        for (int i = 0; i <= ASYNC_CALLS; i++) { /* ASYNC_CALLS sums of 42, one failure */
                Calc__BinaryOp op = CALC__BINARY_OP__INIT;
                op.a = i < ASYNC_CALLS ? i : -1;
                op.b = 42 - i;
                calc__calculator__add(svc, &op, on_async, &st);
        }
        check(st.answered == 0, "stub calls on a loop return before their answers", 0, NULL);
        r = ward_loop_run(st.loop);
        check(r == 0 && st.right == ASYNC_CALLS && st.failed_right == 1,
              "20 asynchronous calls are 42, the failing one -WARD_E_HANDLER_ERROR", r, NULL);
        /* freed with a slow call in flight: its closure gets NULL at once */
        Calc__BinaryOp slow = CALC__BINARY_OP__INIT;
        int got = 0;
        slow.a = 1000;
        calc__calculator__add(svc, &slow, on_abandoned, &got);
        ward_rpc_client_free(st.client);
        check(got == -1, "free with a call in flight: its closure gets NULL", 0, NULL);
        for (int i = 0; i < 20; i++) { /* the cancelled call comes back: the channel goes */
                ward_loop_run_once(st.loop, 50000000ull);
        }
        ward_loop_free(st.loop);
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

/* expect: one Add(40, 2) at address gives 42 (want_sum), or -ECONNRESET. */
static int expect(const char *address, int want_sum)
{
        ward_rpc_client *c = NULL;
        int err;
        int r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &c);
        check(r == 0, "open", r, NULL);
        if (r < 0) {
                return 1;
        }
        ward_rpc_client_set_timeout(c, 10000000000ull);
        int64_t sum = add(c, 40, 2, &err);
        if (want_sum) {
                check(sum == 42 && err == 0, "Add(40, 2) is 42", err, NULL);
        } else {
                check(sum == INT64_MIN && err == -ECONNRESET, "UNAVAILABLE is -ECONNRESET", err,
                      ward_rpc_client_last_message(c));
        }
        printf("  at %s\n", address);
        ward_rpc_client_free(c);
        return failures ? 1 : 0;
}

/* open_restart: a client of address, with options.reconnect = reconnect,
 * Add marked idempotent or not. */
static ward_rpc_client *open_restart(const char *address, int reconnect, int idempotent)
{
        struct ward_ipc_options o;
        ward_rpc_client *c = NULL;
        ward_ipc_options_init(&o);
        o.reconnect = (uint32_t)reconnect;
        int r = ward_rpc_client_open(address, &calc__calculator__descriptor, &o, &c);
        if (r == 0) {
                r = ward_rpc_client_set_idempotent(c, 0, idempotent);
        }
        check(r == 0, "open with reconnect and idempotent as asked", r, NULL);
        if (c) {
                ward_rpc_client_set_timeout(c, 20000000000ull);
        }
        return r == 0 ? c : ward_rpc_client_free(c);
}

static int restart(const char *address)
{
        char line[16];
        int err = 0;
        ward_rpc_client *plain = open_restart(address, 0, 1), *once = open_restart(address, 1, 0),
                        *again = open_restart(address, 1, 1);
        if (!plain || !once || !again) {
                return 1;
        }
        check(add(plain, 40, 2, &err) == 42 && add(once, 40, 2, &err) == 42 &&
                  add(again, 40, 2, &err) == 42,
              "Add through each client is 42", err, NULL);
        printf("stopped?\n");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin)) {
                return 1;
        }
        int64_t sum = add(plain, 40, 2, &err);
        check(sum == INT64_MIN && err == -ECONNRESET,
              "server down, idempotent without reconnect: -ECONNRESET", err, NULL);
        sum = add(once, 40, 2, &err);
        check(sum == INT64_MIN && err == -ECONNRESET,
              "server down, reconnect but not idempotent: -ECONNRESET", err, NULL);
        printf("waiting\n");
        fflush(stdout);
        sum = add(again, 40, 2, &err);
        check(sum == 42 && err == 0, "reconnect and idempotent: 42 from the restarted server", err,
              ward_rpc_client_last_message(again));
        ward_rpc_client_free(plain);
        ward_rpc_client_free(once);
        ward_rpc_client_free(again);
        return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
        if (argc == 3 && strcmp(argv[1], "--restart") == 0) {
                return restart(argv[2]);
        }
        if (argc == 4 && strcmp(argv[1], "--expect") == 0) {
                return expect(argv[3], strcmp(argv[2], "42") == 0);
        }
        if (argc != 3) {
                fprintf(stderr, "usage: grpc-client PORT DEAD_PORT\n");
                return 2;
        }
        check_server(argv[1]);
        check_async(argv[1]);
        check_no_server(argv[2]);
        ward_rpc_client *c = NULL;
        int r = ward_rpc_client_open("grpc:", &calc__calculator__descriptor, NULL, &c);
        check(r == -EINVAL, "grpc: without a target is -EINVAL", r, NULL);
        r = ward_rpc_client_open("grpcs:", &calc__calculator__descriptor, NULL, &c);
        check(r == -EINVAL, "grpcs: without a target is -EINVAL", r, NULL);
        return failures ? 1 : 0;
}
