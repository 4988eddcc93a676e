/* calc-grpc-server [HOST:]PORT: the Calculator for gRPC clients (and for
 * ward clients on @ward-calc-grpc), until SIGTERM or SIGINT, which let the
 * calls in flight finish first. docs/grpc.md walks through it. */
#include <signal.h>
#include <stdio.h>

#include <ward/grpc.h>
#include <ward/ward.h>

#include "calc-service.h"

static ward_grpc_server *grpc_srv;

static void stop_loop(void *loop)
{
        ward_loop_stop(loop);
}

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        /* no new calls; done when the last one in flight has answered (at most 10 s) */
        ward_grpc_server_shutdown(grpc_srv, 10000000000ull, stop_loop, ward_source_get_loop(s));
}

int main(int argc, char **argv)
{
        const char *address = argc > 1 ? argv[1] : "127.0.0.1:50051";
        ward_loop *loop = NULL;
        ward_rpc_server *srv = NULL;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL); /* before gRPC starts its threads */
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_signal, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_signal, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_rpc_server_new(loop, "@ward-calc-grpc", NULL, &srv);
        }
        if (r >= 0) {
                r = ward_rpc_server_add(srv, &calc_service.base);
        }
        if (r >= 0) { /* every hosted service, at /calc.Calculator/Add and so on */
                r = ward_grpc_server_new(srv, address, NULL, &grpc_srv);
        }
        if (r >= 0) {
                printf("calc-grpc-server: gRPC on port %d\n", ward_grpc_server_port(grpc_srv));
                fflush(stdout);
                r = ward_loop_run(loop);
        }
        if (r < 0) {
                fprintf(stderr, "calc-grpc-server: %s\n", ward_strerror(r));
        }
        ward_grpc_server_free(grpc_srv); /* before the services it calls */
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
        return r < 0 ? 1 : 0;
}
