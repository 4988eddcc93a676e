/* The Calculator service of examples/calc, ready to add to a ward_rpc_server:
 *   ward_rpc_server_add(srv, &calc_service.base); */
#ifndef WARD_EXAMPLE_CALC_SERVICE_H
#define WARD_EXAMPLE_CALC_SERVICE_H

#include <ward/rpc.h>

#include "calc.pb-c.h"

extern Calc__Calculator_Service calc_service;

#endif
