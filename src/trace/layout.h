/* The shared-memory layout of a traced process's buffers
 * (/dev/shm/ward-trace.<pid>), and the trace file header: see
 * docs/trace-format.md. Shared by the tracer and by every reader. */
#ifndef WARD_TRACE_LAYOUT_H
#define WARD_TRACE_LAYOUT_H

#include <stdint.h>

#include <ward/trace.h>

#define WARD__TRACE_SHM_MAGIC "WARDSHM"
#define WARD__TRACE_FILE_MAGIC "WARDTRC"
#define WARD__TRACE_VERSION 1u          /* of the live buffers */
#define WARD__TRACE_FILE_VERSION 3u     /* of trace files the flusher writes: packed events */
#define WARD__TRACE_FILE_VERSION_RAW 2u /* records as the ring has them; readers take 1 too */
#define WARD__TRACE_FILE_HDR_V1 128u
#define WARD__TRACE_PAGE 4096u
#define WARD__TRACE_MAX_SITES 16384u
#define WARD__TRACE_SITE_STR_MAX 512u /* each string of a SITE record, at most */
/* The smallest rotate_bytes: a new file holds its header and a SITE record
 * of the largest size before it could rotate again. */
#define WARD__TRACE_ROTATE_MIN 8192u

/* The first page of the buffers file. */
struct ward__trace_shm {
        uint64_t magic; /* the bytes of WARD__TRACE_SHM_MAGIC, stored last (release) */
        uint32_t version;
        uint32_t pid;
        uint64_t start_time; /* /proc/PID/stat field 22, to detect PID reuse */
        uint64_t tsc_hz;     /* 0 until calibrated */
        uint64_t tsc_base;
        uint64_t ns_base; /* CLOCK_MONOTONIC at tsc_base */
        int32_t level;    /* written by `ward trace level` */
        uint32_t nslots;
        uint64_t slot_size; /* header page + ring */
        uint64_t dict_off;
        uint64_t dict_size;
        uint32_t nsites;    /* release-stored after each SITE record is complete */
        uint32_t dict_used; /* bytes */
        char name[64];
        uint64_t real_base; /* CLOCK_REALTIME at tsc_base */
        uint64_t slots_off; /* offset of slot 0 */
};

enum { WARD__TRACE_SLOT_FREE = 0, WARD__TRACE_SLOT_USED = 1, WARD__TRACE_SLOT_EXITED = 2 };

/* The first page of a thread slot; the ring follows. */
struct ward__trace_slot {
        uint32_t state;
        uint32_t tid;
        uint64_t write; /* producer, release-stored */
        char pad1[48];
        uint64_t read; /* flusher, release-stored */
        char pad2[56];
        uint64_t dropped; /* producer: events dropped, total */
        uint64_t flushed; /* flusher: events written to files, total */
};

/* A trace file's header: 256 bytes in versions 2 and 3; version 1 files have
 * the first 128 (a reader zeroes the rest). */
struct ward__trace_file_hdr {
        char magic[8];
        uint32_t version;
        uint32_t hdr_size;
        uint32_t pid;
        uint32_t tid;
        uint64_t tsc_hz;
        uint64_t tsc_base;
        uint64_t ns_base; /* CLOCK_MONOTONIC at tsc_base */
        uint32_t seq;     /* rotation: 0, 1, 2... */
        uint32_t reserved;
        char name[64];
        uint64_t real_base; /* CLOCK_REALTIME at tsc_base */
        /* versions 2 and 3 */
        char host[64];        /* host name, NUL-padded */
        char boot_id[40];     /* the kernel's boot id, NUL-padded */
        uint64_t anchor_mono; /* CLOCK_MONOTONIC ... */
        uint64_t anchor_real; /* ... and CLOCK_REALTIME at the same moment (file opened) */
        uint64_t reserved2;
};

/* The fixed part of a SITE record after the record header. */
struct ward__trace_site_rec {
        uint32_t id;
        uint8_t level, kind, nargs, reserved;
        uint32_t line;
        /* then nargs type bytes, then fmt, file, func, category, NUL-terminated */
};

_Static_assert(sizeof(struct ward__trace_shm) <= WARD__TRACE_PAGE, "shm header fits a page");
_Static_assert(sizeof(struct ward__trace_file_hdr) == 256, "file header is 256 bytes");
_Static_assert(__builtin_offsetof(struct ward__trace_file_hdr, host) == WARD__TRACE_FILE_HDR_V1,
               "version 2 extends version 1");
_Static_assert(sizeof(struct ward__trace_rec) == 16, "record header is 16 bytes");

#endif
