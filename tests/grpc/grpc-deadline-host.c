/* grpc-deadline-host: a bridge of its own (ward_grpc_server_new_dispatch)
 * whose every method answers, as its reply's bytes, the time left it was
 * given for the call: whole milliseconds in decimal, or "none" for a call
 * without a deadline. tests/grpc/test_serve.py checks that gRPC's
 * grpc-timeout arrives as that time (what ward gateway passes on as the ward
 * call's timeout). Prints "gRPC on port N", runs until SIGTERM. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <ward/grpc.h>
#include <ward/ward.h>

static int time_left(void *ctx, const char *service, const char *method, const void *req,
                     size_t len, uint64_t timeout_ns, ward_rpc_bytes_fn fn, void *arg)
{
        (void)ctx, (void)service, (void)method, (void)req, (void)len;
        char text[32];
        if (timeout_ns == UINT64_MAX) {
                snprintf(text, sizeof(text), "none");
        } else {
                snprintf(text, sizeof(text), "%" PRIu64, timeout_ns / 1000000);
        }
        fn(arg, 0, (const uint8_t *)text, strlen(text), NULL);
        return 0;
}

static void on_term(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

int main(void)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL); /* before gRPC starts its threads */
        ward_loop *loop = NULL;
        ward_grpc_server *g = NULL;
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_term, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_grpc_server_new_dispatch(loop, "127.0.0.1:0", NULL, time_left, NULL, &g);
        }
        if (r >= 0) {
                printf("grpc-deadline-host: gRPC on port %d\n", ward_grpc_server_port(g));
                fflush(stdout);
                r = ward_loop_run(loop);
        }
        if (r < 0) {
                fprintf(stderr, "grpc-deadline-host: %s\n", ward_strerror(r));
        }
        ward_grpc_server_free(g);
        ward_loop_free(loop);
        return r < 0;
}
