/* ward/trace-read.h (libward-inspect): reading what ward's tracer wrote,
 * from outside the process that traced.
 *
 * - Trace files (<name>.trace.<tid>, docs/trace-format.md) of many threads,
 *   processes and runs, merged by time and written as text, Chrome/Perfetto
 *   trace-event JSON or CTF 1.8 (babeltrace2): ward_trace_merge_*.
 * - The live buffers of a tracing process (/dev/shm/ward-trace.<pid>): follow
 *   it as it runs, read or set its level, recover what a dead process never
 *   flushed: ward_trace_reader_*.
 *
 * Everything read is untrusted (any process of the user can write those
 * files): damaged input gives an error that says where, never a crash, and
 * what could be read before it is kept. Nothing here prints; messages reach
 * the caller through return values, err buffers or callbacks.
 *
 * Link with libward-inspect (pkg-config ward-inspect, CMake ward::inspect).
 * Objects are not thread-safe: one thread uses one object at a time. */
#ifndef WARD_TRACE_READ_H
#define WARD_TRACE_READ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ward/api.h>
#include <ward/trace.h>

WARD_BEGIN_DECLS

/* A message about input that could not be read (a file, a record), one line
 * without a newline, valid during the call. */
typedef void ward_trace_error_fn(void *arg, const char *message);

/* One text line (with its newline) of an event at CLOCK_MONOTONIC ns,
 * valid during the call:
 *   <ns>-<tid> : [<pid> <level>] <message> */
typedef void ward_trace_line_fn(void *arg, uint64_t ns, const char *line, size_t len);

typedef struct ward_trace_merge ward_trace_merge;

/* ward_trace_merge_open: open paths[0..n) for a merge (a directory means
 * every "*.trace.*" file in it). Files that cannot be read are reported
 * through on_error (may be NULL) and counted (ward_trace_merge_errors), the
 * others merged. A merge is read once, by one of the writers below.
 * Errors: -ENOMEM; -ENOENT when no file could be opened. *ret is the
 * caller's (ward_trace_merge_close). Any thread. */
WARD_API int ward_trace_merge_open(char *const *paths, int n, ward_trace_error_fn *on_error,
                                   void *arg, ward_trace_merge **ret);

/* Times: files of one host (one boot id) merge on CLOCK_MONOTONIC, as they
 * were written; files of several hosts are moved to CLOCK_REALTIME, each by
 * its own realtime anchor, and the writers below say so (docs/trace.md). */

/* ward_trace_merge_write_text: every record as a text line on out:
 *   <ns>-<tid> : [<pid> <level>] <message>       (lost events: *** N events lost ***)
 *   <ns>-<tid> : [<pid> <level> <category>] <message>   (events with a category)
 * after, for files of several hosts only, a first line starting with "# ".
 * Returns 0 or -EIO (out failed). A damaged file ends early: the records
 * before the damage are written and the error goes to on_error. */
WARD_API int ward_trace_merge_write_text(ward_trace_merge *m, FILE *out);

/* How text lines show time (ward_trace_merge_write_text_as). */
enum ward_trace_time {
        WARD_TRACE_TIME_MONO = 0, /* <ns>-<tid> : ...  the merge's clock in ns, as written */
        WARD_TRACE_TIME_WALL = 1, /* 2026-12-04T17:33:43.123456789Z <tid> : ...  UTC, from
                                   * each file's CLOCK_REALTIME anchor */
        WARD_TRACE_TIME_DELTA = 2 /* 0.000152334 +0.000001234 <tid> : ...  seconds since the
                                   * first event, then since the previous one */
};

/* ward_trace_parse_time: "mono", "wall" or "delta" as enum ward_trace_time,
 * or -EINVAL for anything else (NULL included). Any thread. */
WARD_API int ward_trace_parse_time(const char *s);

/* ward_trace_merge_write_text_as: ward_trace_merge_write_text with the time
 * column in the form time (enum ward_trace_time; -EINVAL for another
 * value); the rest of each line is the same. Returns 0, -EINVAL or -EIO. */
WARD_API int ward_trace_merge_write_text_as(ward_trace_merge *m, FILE *out, int time);

/* How far a merge has read: bytes of its files read so far of all of them,
 * and records merged. */
typedef void ward_trace_progress_fn(void *arg, uint64_t bytes_done, uint64_t bytes_total,
                                    uint64_t records);

/* ward_trace_merge_on_progress: have the writers call fn (arg) every 65536
 * records and once at the end (bytes_done == bytes_total), from the thread
 * that writes. fn NULL: no more calls. */
WARD_API void ward_trace_merge_on_progress(ward_trace_merge *m, ward_trace_progress_fn *fn,
                                           void *arg);

/* ward_trace_merge_write_chrome: every record as one Chrome/Perfetto
 * trace-event JSON object on out: instants ("i"), span begin/end ("B"/"E"),
 * counters ("C"), lost events as instants, thread and process names ("M"),
 * RPC calls and handlers as spans named service/method with their trace
 * context in args, joined by flow events ("s" on the call, "f" on the
 * handler, the call's span id as id). The object's "metadata" names the
 * clock ("ward-clock": "monotonic" or "realtime") and the hosts.
 * Returns 0 or -EIO. */
WARD_API int ward_trace_merge_write_chrome(ward_trace_merge *m, FILE *out);

/* ward_trace_merge_write_ctf: every record as a CTF 1.8 trace in dir
 * (created if missing; one stream per thread) that babeltrace2 reads.
 * Returns 0 or -errno (also reported through on_error). */
WARD_API int ward_trace_merge_write_ctf(ward_trace_merge *m, const char *dir);

/* ward_trace_merge_errors: files or records that could not be read so far. */
WARD_API int ward_trace_merge_errors(const ward_trace_merge *m);

/* ward_trace_merge_close: free m (NULL is fine). */
WARD_API void ward_trace_merge_close(ward_trace_merge *m);

typedef struct ward_trace_reader ward_trace_reader;

/* open the buffers read-write, so that the level can be set */
#define WARD_TRACE_READER_WRITABLE 1u

/* ward_trace_reader_open: map the buffers file of process pid and check it.
 * flags: 0 or WARD_TRACE_READER_WRITABLE. Errors: -ENOENT (the process does
 * not trace), -EBADMSG (not a valid buffers file), -ESTALE (the file was left
 * by an earlier process with that pid), -EACCES, -EINVAL, -ENOMEM; a
 * one-line message in err (err_size may be 0). *ret is the caller's
 * (ward_trace_reader_close). The reader starts at the newest event. */
WARD_API int ward_trace_reader_open(int pid, unsigned flags, ward_trace_reader **ret, char *err,
                                    size_t err_size);

/* ward_trace_reader_open_file: the same for a buffers file named by path
 * (a copy, or the file of a process that is gone). */
WARD_API int ward_trace_reader_open_file(const char *path, unsigned flags, ward_trace_reader **ret,
                                         char *err, size_t err_size);

/* ward_trace_reader_close: unmap and free r (NULL is fine). */
WARD_API void ward_trace_reader_close(ward_trace_reader *r);

/* The process the buffers belong to; whether it still runs (not a zombie);
 * the file's path. */
WARD_API int ward_trace_reader_pid(const ward_trace_reader *r);
WARD_API int ward_trace_reader_alive(const ward_trace_reader *r);
WARD_API const char *ward_trace_reader_path(const ward_trace_reader *r);

/* ward_trace_reader_level: the process's level now (enum ward_trace_level),
 * or -EBADMSG when the file holds none that is valid. */
WARD_API int ward_trace_reader_level(const ward_trace_reader *r);

/* ward_trace_reader_set_level: change the running process's level; its
 * flusher picks it up within 20 ms. Errors: -EINVAL (not a level), -EBADF (opened
 * without WARD_TRACE_READER_WRITABLE). */
WARD_API int ward_trace_reader_set_level(ward_trace_reader *r, int level);

/* ward_trace_reader_seek: where the next poll starts: unflushed nonzero, the
 * oldest event the process's flusher has not written to its files yet; else
 * the newest (only what comes from now on). */
WARD_API void ward_trace_reader_seek(ward_trace_reader *r, int unflushed);

/* ward_trace_reader_poll: the events written since the last poll (or seek),
 * as text lines to fn, in time order across threads. Never stops the
 * process; a reader that falls a lap behind a fast producer resumes at the
 * flusher's position. Returns the number of lines, or -EINVAL, -ENOMEM. */
WARD_API long ward_trace_reader_poll(ward_trace_reader *r, ward_trace_line_fn *fn, void *arg);

/* ward_trace_reader_recover_text: the events the process has not flushed
 * (all of them, for a process that was killed), as text lines in time
 * order. Returns the number of lines or -errno. */
WARD_API long ward_trace_reader_recover_text(ward_trace_reader *r, ward_trace_line_fn *fn,
                                             void *arg);

/* ward_trace_reader_recover_files: the same events as trace files
 * DIR/<name>.trace.<tid>.recovered (dir created if missing), which
 * ward_trace_merge_open reads together with the files the process did
 * write. Returns the number of events, or -errno with a message in err. */
WARD_API long ward_trace_reader_recover_files(ward_trace_reader *r, const char *dir, char *err,
                                              size_t err_size);

WARD_END_DECLS

#endif
