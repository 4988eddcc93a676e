/* ward/ward.h: everything ward offers, in one include. */
#ifndef WARD_WARD_H
#define WARD_WARD_H

#include <ward/api.h>
#include <ward/error.h>
#include <ward/guard.h>
#include <ward/ipc.h>
#include <ward/lock.h>
#include <ward/loop.h>
#include <ward/rpc-json.h>
#include <ward/rpc.h>
#include <ward/time.h>
#include <ward/trace.h>

#endif
