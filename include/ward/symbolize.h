/* ward/symbolize.h (libward-inspect): a crash report from a machine without
 * debug info, named later: every frame that carries its module's build-id
 * and its offset in that module gets its function and file:line from the
 * debug files of a directory (`ward symbolize REPORT --debug-dir DIR`).
 * Link with libward-inspect (pkg-config ward-inspect, ward::inspect). */
#ifndef WARD_SYMBOLIZE_H
#define WARD_SYMBOLIZE_H

#include <stddef.h>
#include <stdio.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

struct ward_symbolize_result {
        size_t threads;   /* in the report */
        size_t frames;    /* in the report */
        size_t with_id;   /* frames with a build-id and a module offset */
        size_t found;     /* frames whose debug file was found */
        size_t with_line; /* frames that got a file:line */
};

/* ward_symbolize_report: read the JSON report at path (what ward_core_write
 * writes as CORE.json; at most 64 MiB, checked field by field: it may come
 * from anywhere) and name its frames with the debug files under debug_dir:
 * DIR/.build-id/NN/REST.debug (objcopy --only-keep-debug's output, placed
 * as /usr/lib/debug/.build-id is), DIR/.build-id/NN/REST, or a file right in
 * DIR with that build-id. A frame after the first of its thread is a return
 * address: its call is what is named. Writes every thread's frames to text
 * (as the report's text does, file:line added) and to json (NULL: not
 * written): {"threads":[{"tid","name","crashed","frames":[{"pc",
 * "function","offset","module","build_id","module_offset","file","line",
 * "symbolized","debug_file"}]}], "frames", "symbolized", "with_line"}.
 * Returns 0 and *res (may be NULL), or -ENOENT/-ENOTDIR (report or
 * directory missing), -EINVAL (not a ward report: err says where), -E2BIG,
 * -ENOMEM, -EIO (writing); a one-line message in err (err_size may be 0).
 * Thread class: any thread, one call at a time per FILE. */
WARD_API int ward_symbolize_report(const char *path, const char *debug_dir, FILE *text, FILE *json,
                                   struct ward_symbolize_result *res, char *err, size_t err_size);

WARD_END_DECLS

#endif
