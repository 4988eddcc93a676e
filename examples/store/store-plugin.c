/* The entry points that make the Store loadable by `ward serve`. Sum calls the
 * Calculator on the loader's own address: when libcalc.so is loaded into the
 * same `ward serve` those calls are short-circuited (the client is opened here,
 * on the loader's thread, where the server lives); otherwise they end in
 * "unknown service" and Sum fails the call. */
#include <ward/rpc.h>

#include "calc.pb-c.h"
#include "store-service.h"

int ward_service_init(ward_rpc_server *srv, const char *address);
void ward_service_fini(void);

static ward_rpc_client *calc;

int ward_service_init(ward_rpc_server *srv, const char *address)
{
        int r = ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, &calc);
        if (r < 0) {
                return r;
        }
        store_service_set_calculator(calc);
        r = ward_rpc_server_add(srv, &store_service.base);
        if (r < 0) {
                ward_service_fini();
        }
        return r;
}

void ward_service_fini(void)
{
        store_service_set_calculator(NULL);
        calc = ward_rpc_client_free(calc);
        store_service_clear();
}
