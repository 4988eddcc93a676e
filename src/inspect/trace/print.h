/* Turning records back into text: SITE records parsed (untrusted bytes),
 * event messages formatted printf-style from the captured arguments, and the
 * text line `<ns>-<tid> : [<pid> <level>] message`. Used by `ward trace
 * merge`, `tail` and `recover` (and usable by any reader). */
#ifndef WARD_TRACE_PRINT_H
#define WARD_TRACE_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "trace/layout.h"

/* ward__trace_put: ward__buf_put inlined for the hot path of printing:
 * bytes that fit go in with one memcpy. */
static inline void ward__trace_put(struct ward__buf *b, const void *data, size_t n)
{
        if (b->cap - b->len > n) {
                __builtin_memcpy(b->p + b->len, data, n);
                b->len += n;
        } else {
                ward__buf_put(b, data, n);
        }
}

static inline void ward__trace_putc(struct ward__buf *b, char c)
{
        if (b->cap - b->len > 1) {
                b->p[b->len++] = (uint8_t)c;
        } else {
                ward__buf_putc(b, (uint8_t)c);
        }
}

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

/* A SITE record parsed, with its format compiled: for printing many events
 * of one site without parsing its format again. The strings and the
 * compiled format point into the record, which must outlive it. */
struct ward__trace_op;
struct ward__trace_csite {
        struct ward__trace_site_info info;
        struct ward__trace_op *ops;
        size_t nops;
};

/* ward__trace_csite_init: parse the SITE record rec (len bytes) and compile
 * its format. Returns 0, -EBADMSG (as ward__trace_parse_site) or -ENOMEM;
 * ward__trace_csite_free frees it in every case. */
int ward__trace_csite_init(struct ward__trace_csite *c, const uint8_t *rec, size_t len);
void ward__trace_csite_free(struct ward__trace_csite *c);

/* ward__trace_format_compiled: ward__trace_format_message with a compiled
 * site (the same text, faster). */
int ward__trace_format_compiled(const struct ward__trace_csite *c, const uint8_t *args, size_t len,
                                struct ward__buf *out);

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
 *   <ns>-<tid> : [<pid> <level> <category>] <message>  (an event with a category)
 *   <ns>-<tid> : [<pid>] *** N events lost ***
 * site is the event's SITE record (NULL when unknown: the line says so). */
void ward__trace_print_record(struct ward__buf *out, uint64_t ns, uint32_t pid, uint32_t tid,
                              const uint8_t *site, size_t site_len, const uint8_t *rec, size_t len);

/* ward__trace_print_time_tid: the start of a line, "<ns>-<tid> : ". */
void ward__trace_print_time_tid(struct ward__buf *out, uint64_t ns, uint32_t tid);

/* ward__trace_print_body: the rest of the line from "[<pid>" on, with its
 * newline; site is the event's compiled SITE record, or NULL when unknown. */
void ward__trace_print_body(struct ward__buf *out, uint32_t pid,
                            const struct ward__trace_csite *site, const uint8_t *rec, size_t len);

/* ward__trace_sort_lines: sort text lines by their leading timestamp
 * (stable). */
void ward__trace_sort_lines(struct ward__buf *lines);

#endif
