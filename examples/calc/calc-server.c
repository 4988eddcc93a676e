/* calc-server ADDRESS: serve the Calculator on ADDRESS until SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>

#include <ward/ward.h>

#include "calc-service.h"

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

int main(int argc, char **argv)
{
        const char *address = argc > 1 ? argv[1] : "@ward-calc";
        ward_loop *loop = NULL;
        ward_rpc_server *srv = NULL;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_signal, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_signal, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_rpc_server_new(loop, address, NULL, &srv);
        }
        if (r >= 0) {
                r = ward_rpc_server_add(srv, &calc_service.base);
        }
        if (r >= 0) {
                printf("calc-server: serving calc.Calculator on %s\n", address);
                fflush(stdout);
                r = ward_loop_run(loop);
        }
        if (r < 0) {
                fprintf(stderr, "calc-server: %s\n", ward_strerror(r));
        }
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
        return r < 0 ? 1 : 0;
}
