/* greet [NAME]: a program of your own on libward (docs/project.md). It hosts
 * the Greeter service of greet.proto and calls it: the client is opened by
 * the thread that created the server, so the call is short-circuited (no
 * socket, the handler runs in this thread), and another process could call
 * the same address over ward IPC. */
#include <stdio.h>
#include <unistd.h>

#include <ward/ward.h>

#include "greet.pb-c.h"

static void greet_hello(Greet__Greeter_Service *svc, const Greet__HelloRequest *in,
                        Greet__HelloReply_Closure done, void *closure_data)
{
        char text[128];
        Greet__HelloReply out = GREET__HELLO_REPLY__INIT;
        (void)svc;
        snprintf(text, sizeof(text), "hello, %s", in->name);
        out.text = text;
        done(&out, closure_data); /* packed before it returns: text may go */
}

static Greet__Greeter_Service greeter = GREET__GREETER__INIT(greet_);

int main(int argc, char **argv)
{
        char address[64];
        ward_loop *loop = NULL;
        ward_rpc_server *server = NULL;
        ward_rpc_client *client = NULL;
        ProtobufCMessage *out = NULL;
        Greet__HelloRequest req = GREET__HELLO_REQUEST__INIT;
        req.name = argc > 1 ? argv[1] : "ward";
        snprintf(address, sizeof(address), "@greet-%d", (int)getpid());

        int r = ward_loop_new(&loop);
        if (r == 0) {
                r = ward_rpc_server_new(loop, address, NULL, &server);
        }
        if (r == 0) {
                r = ward_rpc_server_add(server, &greeter.base);
        }
        if (r == 0) {
                r = ward_rpc_client_open(address, &greet__greeter__descriptor, NULL, &client);
        }
        if (r == 0) {
                r = ward_rpc_call(client, 0 /* Hello */, &req.base, 1000000000ull, &out);
        }
        if (r == 0) {
                printf("%s\n", ((Greet__HelloReply *)out)->text);
        } else {
                fprintf(stderr, "greet: %s\n", ward_strerror(r));
        }
        protobuf_c_message_free_unpacked(out, NULL); /* the reply is the caller's */
        ward_rpc_client_free(client);
        ward_rpc_server_free(server);
        ward_loop_free(loop);
        return r == 0 ? 0 : 1;
}
