/* The Calculator service: the handlers protoc-c's dispatcher calls. */
#include <stdio.h>

#include "calc-service.h"

static void calc_add(Calc__Calculator_Service *svc, const Calc__BinaryOp *in,
                     Calc__Result_Closure done, void *closure_data)
{
        Calc__Result out = CALC__RESULT__INIT;
        (void)svc;
        out.value = in->a + in->b;
        done(&out, closure_data);
}

static void calc_div(Calc__Calculator_Service *svc, const Calc__BinaryOp *in,
                     Calc__Result_Closure done, void *closure_data)
{
        Calc__Result out = CALC__RESULT__INIT;
        (void)svc;
        if (in->b == 0) {
                done(NULL, closure_data); /* the caller gets -WARD_E_HANDLER_ERROR */
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
