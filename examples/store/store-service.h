/* The Store service of examples/store, ready to add to a ward_rpc_server:
 *   ward_rpc_server_add(srv, &store_service.base);
 * One store per process (the service is a global, like calc_service). */
#ifndef WARD_EXAMPLE_STORE_SERVICE_H
#define WARD_EXAMPLE_STORE_SERVICE_H

#include <ward/rpc.h>

#include "store.pb-c.h"

/* At most this many distinct keys; a Put of one more fails the call. */
#define STORE_MAX_KEYS 1024

extern Store__Store_Service store_service;

/* store_service_set_calculator: the calc.Calculator client that Sum adds
 * through (not owned; NULL: none, Sum fails). Thread class: owner-thread (the
 * thread that runs the handlers). */
void store_service_set_calculator(ward_rpc_client *calc);

/* store_service_clear: forget every key and free its memory. */
void store_service_clear(void);

#endif
