/* store-server ADDRESS [CALC_ADDRESS]: serve the Store on ADDRESS until SIGTERM
 * or SIGINT. With CALC_ADDRESS, Sum adds through the Calculator there (another
 * process); without, Sum fails the call. */
#include <signal.h>
#include <stdio.h>

#include <ward/ward.h>

#include "calc.pb-c.h"
#include "store-service.h"

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

static int serve(ward_loop *loop, const char *address)
{
        ward_rpc_server *srv = NULL;
        int r = ward_loop_add_signal(loop, SIGTERM, on_signal, NULL, NULL);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_signal, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_rpc_server_new(loop, address, NULL, &srv);
        }
        if (r >= 0) {
                r = ward_rpc_server_add(srv, &store_service.base);
        }
        if (r >= 0) {
                printf("store-server: serving store.Store on %s\n", address);
                fflush(stdout);
                r = ward_loop_run(loop);
        }
        ward_rpc_server_free(srv);
        return r;
}

int main(int argc, char **argv)
{
        const char *address = argc > 1 ? argv[1] : "@ward-store";
        ward_loop *loop = NULL;
        ward_rpc_client *calc = NULL;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int r = 0;
        if (argc > 2) {
                r = ward_rpc_client_open(argv[2], &calc__calculator__descriptor, NULL, &calc);
                store_service_set_calculator(calc);
        }
        if (r >= 0) {
                r = ward_loop_new(&loop);
        }
        if (r >= 0) {
                r = serve(loop, address);
        }
        if (r < 0) {
                fprintf(stderr, "store-server: %s\n", ward_strerror(r));
        }
        store_service_set_calculator(NULL);
        ward_rpc_client_free(calc);
        store_service_clear();
        ward_loop_free(loop);
        return r < 0 ? 1 : 0;
}
