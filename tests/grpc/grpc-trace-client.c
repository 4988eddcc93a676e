/* grpc-trace-client ADDRESS: examples/calc's stubs calling Add through a
 * grpc: ADDRESS inside a span of its own (test.Outer/Run), for
 * test_client_trace.py, which runs it with and without WARD_TRACE: a stub
 * call, a ward_rpc_call, then two stub calls on a ward_loop. Prints
 * "outer TRACE SPAN" (the span's ids in hex; zeros with tracing off), then
 * each check; exit 0 when every call gave 42. */
#include <inttypes.h>
#include <stdio.h>

#include <ward/ward.h>

#include "calc.pb-c.h"

#define ASYNC_CALLS 2

static int failures;

static void check(int ok, const char *what, int err)
{
        printf("%s: %s (%s)\n", ok ? "ok" : "FAIL", what, ward_strerror(err));
        failures += !ok;
}

struct answers {
        ward_loop *loop; /* stopped after ASYNC_CALLS answers; NULL: synchronous */
        int n, right;
};

static void on_result(const Calc__Result *res, void *closure_data)
{
        struct answers *a = closure_data;
        a->right += res && res->value == 42;
        if (++a->n == ASYNC_CALLS && a->loop) {
                ward_loop_stop(a->loop);
        }
}

static Calc__BinaryOp forty_two(void)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        op.a = 40;
        op.b = 2;
        return op;
}

static void sync_calls(const char *address)
{
        ward_rpc_client *c = NULL;
        struct answers a = {0};
        Calc__BinaryOp op = forty_two();
        ProtobufCMessage *out = NULL;
        int r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &c);
        check(r == 0, "open", r);
        if (r < 0) {
                return;
        }
        calc__calculator__add(ward_rpc_client_service(c), &op, on_result, &a);
        check(a.right == 1, "a stub call is 42", ward_rpc_client_last_error(c));
        r = ward_rpc_call(c, 0, &op.base, 30000000000ull, &out);
        check(r == 0 && out && ((Calc__Result *)out)->value == 42, "ward_rpc_call is 42", r);
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c);
}

static void async_calls(const char *address)
{
        ward_rpc_client *c = NULL;
        struct answers a = {0};
        Calc__BinaryOp op = forty_two();
        int r = ward_loop_new(&a.loop);
        if (r == 0) {
                r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &c);
        }
        if (r == 0) {
                r = ward_rpc_client_attach(c, a.loop);
        }
        check(r == 0, "open and attach to a loop", r);
        for (int i = 0; r == 0 && i < ASYNC_CALLS; i++) {
                calc__calculator__add(ward_rpc_client_service(c), &op, on_result, &a);
        }
        if (r == 0) {
                r = ward_loop_run(a.loop);
        }
        check(r == 0 && a.right == ASYNC_CALLS, "two calls on a loop are 42", r);
        ward_rpc_client_free(c);
        ward_loop_free(a.loop);
}

int main(int argc, char **argv)
{
        struct ward_rpc_trace_ctx outer, saved;
        if (argc != 2) {
                fprintf(stderr, "usage: grpc-trace-client ADDRESS\n");
                return 2;
        }
        ward_rpc_span_begin("test.Outer", "Run", NULL, &outer, &saved);
        printf("outer %016" PRIx64 "%016" PRIx64 " %016" PRIx64 "\n", outer.trace_hi,
               outer.trace_lo, outer.span);
        sync_calls(argv[1]);
        async_calls(argv[1]);
        ward_rpc_span_end("test.Outer", "Run", &saved);
        return failures ? 1 : 0;
}
