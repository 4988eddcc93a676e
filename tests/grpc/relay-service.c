/* librelay.so: relay.Relay for `ward serve --load` next to libcalc.so:
 * Forward asks calc.Calculator.Add at its own address, a short-circuit call
 * from the handler's thread, so a traced call through `ward gateway` is a
 * chain of three processes' and one process's own spans
 * (tests/grpc/test_traceparent.py). A request's via, when set, is the
 * address asked instead (a grpc: one: tests/grpc/test_client_trace.py). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/rpc.h>

#include "calc.pb-c.h"
#include "relay.pb-c.h"

#define SECOND 1000000000ull

int ward_service_init(ward_rpc_server *srv, const char *address);

static char own_address[108];

static void relay_forward(Relay__Relay_Service *svc, const Relay__Pair *in, Relay__Sum_Closure done,
                          void *closure_data)
{
        (void)svc;
        ward_rpc_client *c;
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        Relay__Sum sum = RELAY__SUM__INIT;
        op.a = in->a;
        op.b = in->b;
        const char *address = in->via && *in->via ? in->via : own_address;
        if (ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &c) < 0) {
                done(NULL, closure_data);
                return;
        }
        if (ward_rpc_call(c, 0, &op.base, 5 * SECOND, &out) < 0) {
                ward_rpc_client_free(c);
                done(NULL, closure_data);
                return;
        }
        sum.value = ((Calc__Result *)out)->value;
        sum.relay_pid = (int32_t)getpid();
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c);
        done(&sum, closure_data);
}

static Relay__Relay_Service relay_service = RELAY__RELAY__INIT(relay_);

int ward_service_init(ward_rpc_server *srv, const char *address)
{
        if (strlen(address) >= sizeof(own_address)) {
                return -ENAMETOOLONG;
        }
        strcpy(own_address, address);
        return ward_rpc_server_add(srv, &relay_service.base);
}
