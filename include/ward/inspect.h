/* ward/inspect.h: every header of libward-inspect, the library that looks at
 * other processes and at files (link with -lward-inspect, or pkg-config
 * ward-inspect, or CMake ward::inspect). What an application links to run
 * is libward (ward/ward.h). */
#ifndef WARD_INSPECT_H
#define WARD_INSPECT_H

#include <ward/core.h>
#include <ward/debug.h>
#include <ward/guardian.h>
#include <ward/lock-inspect.h>
#include <ward/proc.h>
#include <ward/shm.h>
#include <ward/spawn.h>
#include <ward/stack.h>
#include <ward/symbolize.h>
#include <ward/trace-read.h>
#include <ward/watch.h>

#endif
