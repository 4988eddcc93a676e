/* The Calculator service: the handlers protoc-c's dispatcher calls.
 *
 * A handler runs inside the process that hosts it, and `ward serve` may host
 * several services: a handler that crashes (a signed overflow trap, INT64_MIN
 * / -1 raising SIGFPE) takes every co-hosted service down with it. So the
 * handlers check what a caller can send and fail the call instead. */
#include <stdint.h>
#include <stdio.h>

#include "calc-service.h"

static void calc_add(Calc__Calculator_Service *svc, const Calc__BinaryOp *in,
                     Calc__Result_Closure done, void *closure_data)
{
        Calc__Result out = CALC__RESULT__INIT;
        (void)svc;
        if (__builtin_add_overflow(in->a, in->b, &out.value)) {
                /* overflow: the caller gets -WARD_E_HANDLER_ERROR and the message */
                ward_rpc_fail(closure_data, "the sum does not fit in int64");
                return;
        }
        done(&out, closure_data);
}

static void calc_div(Calc__Calculator_Service *svc, const Calc__BinaryOp *in,
                     Calc__Result_Closure done, void *closure_data)
{
        Calc__Result out = CALC__RESULT__INIT;
        (void)svc;
        if (in->b == 0 || (in->a == INT64_MIN && in->b == -1)) {
                /* b == 0, or a quotient that does not fit (the CPU traps):
                 * the caller gets -WARD_E_HANDLER_ERROR and the message */
                ward_rpc_fail(closure_data, in->b == 0 ? "division by zero"
                                                       : "the quotient does not fit in int64");
                return;
        }
        out.value = in->a / in->b;
        done(&out, closure_data);
}

static void calc_echo(Calc__Calculator_Service *svc, const Calc__Blob *in, Calc__Blob_Closure done,
                      void *closure_data)
{
        (void)svc;
        done(in, closure_data);
}

static void calc_log(Calc__Calculator_Service *svc, const Calc__LogLine *in,
                     Ward__NoReply_Closure done, void *closure_data)
{
        struct ward_ipc_peer peer;
        (void)svc;
        if (ward_rpc_caller(closure_data, &peer) == 0) {
                printf("  [calc] log from pid %d: %s\n", (int)peer.pid, in->text);
                fflush(stdout);
        }
        done(NULL, closure_data); /* one-way: nobody reads the answer */
}

Calc__Calculator_Service calc_service = CALC__CALCULATOR__INIT(calc_);
