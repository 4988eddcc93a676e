/* ipc can trace: one translation unit holds every internal header of libward's
 * parts, ward/trace.h and ipc/layout.h among them (both defined WARD__REC_PAD,
 * and trace/layout.h and ipc/pool.h both WARD__SLOT_FREE), and an event about
 * an ipc record reaches a trace file. That this file compiles is most of the
 * test. */
#include <ward/ward.h>

#include "core/address.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/fdpass.h"
#include "core/json-parse.h"
#include "core/json-write.h"
#include "core/pid.h"
#include "core/procstat.h"
#include "core/shm.h"
#include "core/utf8.h"
#include "ipc/calls.h"
#include "ipc/handshake.h"
#include "ipc/ipc-internal.h"
#include "ipc/ipc-test-hooks.h"
#include "ipc/layout.h"
#include "ipc/pool.h"
#include "ipc/ring.h"
#include "ipc/server-internal.h"
#include "ipc/wake.h"
#include "lock/glibc.h"
#include "lock/layout.h"
#include "lock/order.h"
#include "lock/registry.h"
#include "lock/stat.h"
#include "loop/loop-internal.h"
#include "rpc/arena.h"
#include "rpc/json-schema.h"
#include "rpc/rpc-internal.h"
#include "rpc/wire.h"
#include "trace/layout.h"
#include "trace/tracer.h"

#include "test.h"
#include "trace/trace-count.h"

_Static_assert(sizeof(struct ward__ipc_rec) == 24, "an ipc record header is 24 bytes");
_Static_assert(sizeof(struct ward__trace_rec) == 16, "a trace record header is 16 bytes");

TEST(ipc_record_traced)
{
        char *dir = make_temp_dir();
        ASSERT_TRUE(dir != NULL);
        struct ward_trace_options o = {.size = sizeof(o), .level = WARD_TRACE_INFO, .dir = dir};
        ASSERT_OK(ward_trace_start(&o));
        struct ward__ipc_rec rec = {.size = 8, .type = WARD__IPC_REC_REQUEST, .call_id = 7};
        WARD_TRACE(WARD_TRACE_INFO, "ipc record type %u, %u bytes, call %llu", rec.type, rec.size,
                   (unsigned long long)rec.call_id);
        ward_trace_stop();
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 1);
        ASSERT_EQ(c.lost, 0);
        remove_dir(dir);
}

TEST_MAIN()
