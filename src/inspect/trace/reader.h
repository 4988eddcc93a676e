/* The public trace reader (ward/trace-read.h) as reader.c and recover.c share
 * it: a checked view of a buffers file and where the next poll starts. */
#ifndef WARD_INSPECT_TRACE_READER_H
#define WARD_INSPECT_TRACE_READER_H

#include <stdint.h>

#include <ward/trace-read.h>

#include "inspect/trace/live.h"

struct ward_trace_reader {
        struct ward__trace_live live;
        uint64_t *pos; /* per slot: where the next poll starts */
};

#endif
