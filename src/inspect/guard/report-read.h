/* Reading a crash report back (the JSON ward__core_report_write writes):
 * the threads and their frames, as `ward symbolize` needs them. The file
 * comes from another machine: every field is checked, sizes are bounded,
 * and a report that does not fit says where. */
#ifndef WARD_INSPECT_GUARD_REPORT_READ_H
#define WARD_INSPECT_GUARD_REPORT_READ_H

#include <stddef.h>
#include <stdint.h>

#define WARD__REPORT_MAX_THREADS 4096
#define WARD__REPORT_MAX_FRAMES 1024
#define WARD__REPORT_MAX_BYTES (64u << 20)

struct ward__report_frame {
        uint64_t pc;
        char function[128];
        uint64_t offset; /* pc minus function's start */
        char module[256];
        char build_id[129]; /* lower-case hex, "" when none */
        uint64_t module_offset;
        char file[256];
        int line;
};

struct ward__report_thread {
        int tid;
        int crashed;
        char name[64];
        size_t n_frames;
        struct ward__report_frame *frames;
};

struct ward__report {
        int pid;
        int signo; /* 0: a snapshot */
        size_t n_threads;
        struct ward__report_thread *threads;
};

/* ward__report_read: parse text (len bytes) into *ret (free it with
 * ward__report_free, also after a failure). Members the reader does not know
 * are skipped; those it knows must have their type and range.
 * Errors: -EINVAL with a message naming the place in err (err_size bytes),
 * -E2BIG (more than the limits above), -ENOMEM. Any thread. */
int ward__report_read(const char *text, size_t len, struct ward__report *ret, char *err,
                      size_t err_size);

void ward__report_free(struct ward__report *r);

#endif
