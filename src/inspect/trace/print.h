/* Turning records back into text: SITE records parsed (untrusted bytes),
 * event messages formatted printf-style from the captured arguments, and the
 * text line of the seed's form `<ns>-<tid> : message`. Used by `ward trace
 * tail` and `recover` (and usable by any reader). */
#ifndef WARD_TRACE_PRINT_H
#define WARD_TRACE_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "trace/layout.h"

/* A parsed SITE record; the strings point into the record's bytes. */
struct ward__trace_site_info {
        uint32_t id, line;
        uint8_t level, kind, nargs;
        uint8_t types[WARD__TRACE_MAX_ARGS];
        const char *fmt, *file, *func, *category;
};

/* ward__trace_parse_site: parse a SITE record of len bytes (header included).
 * Returns 0, or -EBADMSG when it does not parse (bad size, kind, types, or a
 * string not terminated inside the record). */
int ward__trace_parse_site(const uint8_t *rec, size_t len, struct ward__trace_site_info *ret);

/* ward__trace_format_message: the message of an event of site whose argument
 * bytes are args (len bytes), appended to out. The format comes from a file:
 * each conversion is rebuilt for the captured type (never %n), a conversion
 * whose argument has another type prints as `<%d: str "x">`, a missing one as
 * `<missing>`, extra arguments are appended. Returns 0, or -EBADMSG when the
 * argument bytes are truncated (what could be formatted is appended). */
int ward__trace_format_message(const struct ward__trace_site_info *site, const uint8_t *args,
                               size_t len, struct ward__buf *out);

/* The trace context of an RPC span begin (site kinds CALL_BEGIN and
 * SERVE_BEGIN); the names point into the record, not NUL-terminated. */
struct ward__trace_rpc_span {
        const char *service, *method;
        uint16_t service_len, method_len;
        uint64_t trace_hi, trace_lo, span, parent;
};

/* ward__trace_parse_rpc_span: the context of an event of site (args: len
 * bytes). Returns 0, or -EBADMSG when the site is not an RPC span begin of
 * the expected argument types or the bytes are short. */
int ward__trace_parse_rpc_span(const struct ward__trace_site_info *site, const uint8_t *args,
                               size_t len, struct ward__trace_rpc_span *ret);

/* ward__trace_level_name: "error".."verbose", or "?". */
const char *ward__trace_level_name(unsigned level);

/* ward__trace_print_record: one text line (with its newline) for record rec
 * (len bytes) of thread tid of process pid at ns:
 *   <ns>-<tid> : [<pid> <level>] <message>      (spans: "begin NAME", "end NAME")
 *   <ns>-<tid> : [<pid>] *** N events lost ***
 * site is the event's SITE record (NULL when unknown: the line says so). */
void ward__trace_print_record(struct ward__buf *out, uint64_t ns, uint32_t pid, uint32_t tid,
                              const uint8_t *site, size_t site_len, const uint8_t *rec, size_t len);

/* ward__trace_sort_lines: sort text lines by their leading timestamp
 * (stable). */
void ward__trace_sort_lines(struct ward__buf *lines);

#endif
