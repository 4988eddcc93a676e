/* Reading a trace file (<name>.trace.<tid>, docs/trace-format.md). The file
 * is untrusted: the header is checked, every record's size is checked against
 * what is left, SITE records are parsed before use, and the first record that
 * does not parse ends the file with an error that says where, after every
 * event before it. */
#ifndef WARD_TRACE_TFILE_H
#define WARD_TRACE_TFILE_H

#include <stddef.h>
#include <stdint.h>

#include "trace/layout.h"

struct ward__trace_tfile;

/* One record of a file, with its time, as the ring had it (a packed event
 * of a version 3 file is unpacked). rec points into the file's bytes, or for
 * a packed event into the reader's own buffers: valid until the file is
 * closed, or for a packed event until the second ward__trace_tfile_next
 * after the one that returned it. site is the event's SITE record (EVENT
 * only), valid until the file is closed. */
struct ward__trace_fev {
        uint64_t ns;  /* CLOCK_MONOTONIC */
        uint8_t kind; /* WARD__TRACE_REC_EVENT or WARD__TRACE_REC_LOST */
        const uint8_t *rec;
        size_t len;
        const uint8_t *site;
        size_t site_len;
};

/* ward__trace_tfile_open: read path. Errors: -errno (open, read), -EBADMSG
 * (not a trace file, bad header); a message in err. */
int ward__trace_tfile_open(const char *path, struct ward__trace_tfile **ret, char *err,
                           size_t err_size);
/* ward__trace_tfile_open_mem: the same for a file's size bytes at data,
 * which stay the caller's and must outlive the reader; name is for messages. */
int ward__trace_tfile_open_mem(const void *data, size_t size, const char *name,
                               struct ward__trace_tfile **ret, char *err, size_t err_size);

void ward__trace_tfile_close(struct ward__trace_tfile *f);

/* The checked header of an open file. */
const struct ward__trace_file_hdr *ward__trace_tfile_hdr(const struct ward__trace_tfile *f);

/* ward__trace_tfile_next: the next EVENT or LOST record, in time order
 * (see ward__trace_tfile_fixed_times). Returns 1, 0 at the
 * end, or -EBADMSG when the rest of the file does not parse (message in err:
 * the path, the offset and what is wrong); later calls return 0. */
int ward__trace_tfile_next(struct ward__trace_tfile *f, struct ward__trace_fev *ev, char *err,
                           size_t err_size);

/* ward__trace_tfile_fixed_times: events so far whose time was out of order
 * or impossible (damage) and was replaced by a neighbour's, so that what is
 * read is always in time order. */
uint64_t ward__trace_tfile_fixed_times(const struct ward__trace_tfile *f);

/* ward__trace_tfile_read: bytes of the file read so far (the read-ahead
 * included); ward__trace_tfile_size: its size. */
size_t ward__trace_tfile_read(const struct ward__trace_tfile *f);
size_t ward__trace_tfile_size(const struct ward__trace_tfile *f);

/* ward__trace_tfile_path: the path the file was opened by. */
const char *ward__trace_tfile_path(const struct ward__trace_tfile *f);

#endif
