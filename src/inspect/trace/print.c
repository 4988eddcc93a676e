/* Records back to text: see print.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/trace/print.h"

/* The formats below are built here from checked pieces, never taken from a
 * file as they are. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static const char *take_str(const uint8_t **p, const uint8_t *end)
{
        const uint8_t *nul = *p < end ? memchr(*p, 0, (size_t)(end - *p)) : NULL;
        if (!nul) {
                return NULL;
        }
        const char *s = (const char *)*p;
        *p = nul + 1;
        return s;
}

int ward__trace_parse_site(const uint8_t *rec, size_t len, struct ward__trace_site_info *ret)
{
        struct ward__trace_rec h;
        struct ward__trace_site_rec s;
        if (!rec || len < sizeof(h) + sizeof(s)) {
                return -EBADMSG;
        }
        memcpy(&h, rec, sizeof(h));
        memcpy(&s, rec + sizeof(h), sizeof(s));
        if (h.kind != WARD__TRACE_REC_SITE || h.size > len || h.size < sizeof(h) + sizeof(s) ||
            s.nargs > WARD__TRACE_MAX_ARGS || s.id == 0) {
                return -EBADMSG;
        }
        const uint8_t *p = rec + sizeof(h) + sizeof(s), *end = rec + h.size;
        if ((size_t)(end - p) < s.nargs) {
                return -EBADMSG;
        }
        *ret = (struct ward__trace_site_info){
            .id = s.id, .line = s.line, .level = s.level, .kind = s.kind, .nargs = s.nargs};
        for (unsigned i = 0; i < s.nargs; i++) {
                ret->types[i] = *p++;
                if (ret->types[i] < WARD__TRACE_T_I32 || ret->types[i] > WARD__TRACE_T_PTR) {
                        return -EBADMSG;
                }
        }
        ret->fmt = take_str(&p, end);
        ret->file = take_str(&p, end);
        ret->func = take_str(&p, end);
        ret->category = take_str(&p, end);
        return ret->fmt && ret->file && ret->func && ret->category ? 0 : -EBADMSG;
}

/* A captured argument. */
struct arg {
        uint8_t type;
        uint64_t bits; /* integers, doubles (as bits), pointers */
        const char *s; /* strings: not NUL-terminated */
        uint16_t len;
};

/* next_arg: the next argument from *p; -1 when the bytes end early. */
static int next_arg(uint8_t type, const uint8_t **p, const uint8_t *end, struct arg *a)
{
        size_t n = type == WARD__TRACE_T_I32 || type == WARD__TRACE_T_U32 ? 4
                   : type == WARD__TRACE_T_STR                            ? 2
                                                                          : 8;
        a->type = type;
        a->bits = 0;
        if ((size_t)(end - *p) < n) {
                return -1;
        }
        if (type == WARD__TRACE_T_STR) {
                memcpy(&a->len, *p, 2);
                *p += 2;
                if ((size_t)(end - *p) < a->len) {
                        return -1;
                }
                a->s = (const char *)*p;
                *p += a->len;
                return 0;
        }
        memcpy(&a->bits, *p, n);
        if (type == WARD__TRACE_T_I32) {
                a->bits = (uint64_t)(int64_t)(int32_t)(uint32_t)a->bits; /* sign-extend */
        }
        *p += n;
        return 0;
}

int ward__trace_parse_rpc_span(const struct ward__trace_site_info *site, const uint8_t *args,
                               size_t len, struct ward__trace_rpc_span *ret)
{
        static const uint8_t want[] = {WARD__TRACE_T_STR, WARD__TRACE_T_STR, WARD__TRACE_T_U64,
                                       WARD__TRACE_T_U64, WARD__TRACE_T_U64, WARD__TRACE_T_U64};
        struct arg a[6];
        const uint8_t *p = args, *end = args + len;
        if ((site->kind != WARD__TRACE_SITE_CALL_BEGIN &&
             site->kind != WARD__TRACE_SITE_SERVE_BEGIN) ||
            site->nargs != 6 || memcmp(site->types, want, sizeof(want)) != 0) {
                return -EBADMSG;
        }
        for (unsigned i = 0; i < 6; i++) {
                if (next_arg(want[i], &p, end, &a[i]) < 0) {
                        return -EBADMSG;
                }
        }
        *ret = (struct ward__trace_rpc_span){.service = a[0].s,
                                             .method = a[1].s,
                                             .service_len = a[0].len,
                                             .method_len = a[1].len,
                                             .trace_hi = a[2].bits,
                                             .trace_lo = a[3].bits,
                                             .span = a[4].bits,
                                             .parent = a[5].bits};
        return 0;
}

static const char *type_name(uint8_t t)
{
        static const char *const names[] = {"?", "i32", "u32", "i64", "u64", "f64", "str", "ptr"};
        return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* put_string: a captured string, cut at a NUL (as printf would stop), with
 * the precision of the spec if any. */
static void put_string(struct ward__buf *out, const char *spec, const struct arg *a)
{
        const char *nul = memchr(a->s, 0, a->len);
        int n = nul ? (int)(nul - a->s) : (int)a->len;
        const char *dot = strchr(spec, '.');
        if (dot && atoi(dot + 1) < n) {
                n = atoi(dot + 1);
        }
        char fmt[48];
        /* the caller's flags and width, with our own precision: the length */
        snprintf(fmt, sizeof(fmt), "%%%.*s.*s", (int)strcspn(spec + 1, ".s"), spec + 1);
        ward__buf_printf(out, fmt, n, a->s);
}

static void put_mismatch(struct ward__buf *out, char conv, const struct arg *a)
{
        ward__buf_printf(out, "<%%%c: %s ", conv, type_name(a->type));
        if (a->type == WARD__TRACE_T_STR) {
                ward__buf_printf(out, "\"%.*s\">", (int)a->len, a->s);
        } else {
                ward__buf_printf(out, "%" PRIu64 ">", a->bits);
        }
}

/* put_conversion: one conversion spec ("%-8.3d" without length modifiers,
 * at most 32 bytes) applied to a. */
static void put_conversion(struct ward__buf *out, const char *spec, size_t speclen, char conv,
                           const struct arg *a)
{
        char fmt[48];
        int is_int = a->type != WARD__TRACE_T_STR && a->type != WARD__TRACE_T_F64;
        int flen = (int)speclen - 1; /* without the conversion letter */
        if (strchr("diouxXc", conv) && is_int) {
                snprintf(fmt, sizeof(fmt), "%.*sll%c", flen, spec, conv == 'c' ? 'd' : conv);
                if (conv == 'c') {
                        ward__buf_putc(out, (uint8_t)a->bits);
                } else {
                        ward__buf_printf(out, fmt, (long long)a->bits);
                }
        } else if (strchr("fFeEgGaA", conv) && a->type == WARD__TRACE_T_F64) {
                double d;
                memcpy(&d, &a->bits, sizeof(d));
                snprintf(fmt, sizeof(fmt), "%.*s%c", flen, spec, conv);
                ward__buf_printf(out, fmt, d);
        } else if (conv == 's' && a->type == WARD__TRACE_T_STR) {
                char s[40];
                snprintf(s, sizeof(s), "%.*s", (int)speclen, spec);
                put_string(out, s, a);
        } else if (conv == 'p' && is_int) {
                ward__buf_printf(out, "0x%" PRIx64, a->bits);
        } else {
                put_mismatch(out, conv, a);
        }
}

/* parse_spec: after '%' at f: flags, width, precision (digits only),
 * length modifiers dropped; returns the conversion letter (0 if none) and
 * the spec without modifiers in spec. */
static char parse_spec(const char **f, char *spec, size_t *speclen)
{
        const char *p = *f;
        size_t n = 0;
        spec[n++] = '%';
        while (*p && strchr("-+ #0'", *p) && n < 20) {
                spec[n++] = *p++;
        }
        for (int d = 0; *p >= '0' && *p <= '9'; d++, p++) {
                if (d < 3) { /* widths up to 999: a file cannot ask for gigabytes */
                        spec[n++] = *p;
                }
        }
        if (*p == '.') {
                spec[n++] = *p++;
                for (int d = 0; *p >= '0' && *p <= '9'; d++, p++) {
                        if (d < 3) {
                                spec[n++] = *p;
                        }
                }
        }
        while (*p && strchr("hlLqjzt", *p)) {
                p++;
        }
        char conv = *p ? *p++ : 0;
        spec[n++] = conv;
        spec[n] = '\0';
        *speclen = n;
        *f = p;
        return conv;
}

/* Formats are compiled once per SITE record into a list of operations, so
 * that printing many events of a site neither parses its format again nor
 * calls printf for the common conversions. */
enum { OP_LIT, OP_SHOW, OP_ARG };

struct ward__trace_op {
        uint8_t kind;
        char conv;       /* OP_ARG: the conversion letter */
        uint8_t speclen; /* OP_SHOW, OP_ARG: bytes of spec */
        uint8_t fast;    /* OP_ARG: the spec is just '%' and the letter */
        uint32_t len;    /* OP_LIT: bytes at lit */
        const char *lit; /* OP_LIT: into the format (or a constant) */
        char spec[40];   /* as parse_spec made it */
};

/* compile: c->ops from c->info.fmt. -ENOMEM. */
static int compile(struct ward__trace_csite *c)
{
        size_t pcts = 0;
        for (const char *f = c->info.fmt; (f = strchr(f, '%')); f++) {
                pcts++;
        }
        c->nops = 0;
        c->ops = malloc((2 * pcts + 1) * sizeof(*c->ops));
        if (!c->ops) {
                return -ENOMEM;
        }
        for (const char *f = c->info.fmt; *f;) {
                const char *pct = strchr(f, '%');
                size_t lit = pct ? (size_t)(pct - f) : strlen(f);
                if (lit) {
                        c->ops[c->nops++] =
                            (struct ward__trace_op){.kind = OP_LIT, .lit = f, .len = (uint32_t)lit};
                }
                if (!pct) {
                        break;
                }
                f = pct + 1;
                struct ward__trace_op *op = &c->ops[c->nops++];
                size_t speclen;
                char conv = parse_spec(&f, op->spec, &speclen);
                op->speclen = (uint8_t)speclen;
                op->conv = conv;
                if (conv == '%') {
                        *op = (struct ward__trace_op){.kind = OP_LIT, .lit = "%", .len = 1};
                } else if (!conv || !strchr("diouxXcfFeEgGaAsp", conv)) {
                        op->kind = OP_SHOW; /* %n, %*d, ...: shown, not run */
                } else {
                        op->kind = OP_ARG;
                        op->fast = speclen == 2 && strchr("diuxXcsp", conv);
                }
        }
        return 0;
}

int ward__trace_csite_init(struct ward__trace_csite *c, const uint8_t *rec, size_t len)
{
        c->ops = NULL;
        c->nops = 0;
        int r = ward__trace_parse_site(rec, len, &c->info);
        return r < 0 ? r : compile(c);
}

void ward__trace_csite_free(struct ward__trace_csite *c)
{
        free(c->ops);
        c->ops = NULL;
}

/* put_u64: v in decimal, two digits a division */
static void put_u64(struct ward__buf *out, uint64_t v)
{
        static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                    "25262728293031323334353637383940414243444546474849"
                                    "50515253545556575859606162636465666768697071727374"
                                    "75767778798081828384858687888990919293949596979899";
        char d[20];
        size_t i = sizeof(d);
        while (v >= 100) {
                unsigned r = (unsigned)(v % 100);
                v /= 100;
                i -= 2;
                memcpy(d + i, pairs + 2 * r, 2);
        }
        if (v >= 10) {
                i -= 2;
                memcpy(d + i, pairs + 2 * v, 2);
        } else {
                d[--i] = (char)('0' + v);
        }
        ward__trace_put(out, d + i, sizeof(d) - i);
}

static void put_hex(struct ward__buf *out, uint64_t v, const char *digits)
{
        char d[16];
        size_t i = sizeof(d);
        do {
                d[--i] = digits[v & 15];
                v >>= 4;
        } while (v);
        ward__trace_put(out, d + i, sizeof(d) - i);
}

/* put_fast: a conversion without flags, width or precision, printed as
 * put_conversion would, without printf. */
static void put_fast(struct ward__buf *out, char conv, const struct arg *a)
{
        int is_int = a->type != WARD__TRACE_T_STR && a->type != WARD__TRACE_T_F64;
        if (conv == 's' && a->type == WARD__TRACE_T_STR) {
                const char *nul = memchr(a->s, 0, a->len);
                ward__trace_put(out, a->s, nul ? (size_t)(nul - a->s) : a->len);
        } else if (!is_int || conv == 's') {
                char spec[3] = {'%', conv, 0};
                put_conversion(out, spec, 2, conv, a);
        } else if (conv == 'd' || conv == 'i') {
                int64_t v = (int64_t)a->bits;
                if (v < 0) {
                        ward__trace_putc(out, '-');
                }
                put_u64(out, v < 0 ? 0 - a->bits : a->bits);
        } else if (conv == 'u') {
                put_u64(out, a->bits);
        } else if (conv == 'c') {
                ward__trace_putc(out, (uint8_t)a->bits);
        } else {
                if (conv == 'p') {
                        ward__trace_put(out, "0x", 2);
                }
                put_hex(out, a->bits, conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef");
        }
}

/* put_extra: an argument the format has no conversion for */
static void put_extra(struct ward__buf *out, const struct arg *a)
{
        ward__buf_puts(out, " ");
        if (a->type == WARD__TRACE_T_STR) {
                put_fast(out, 's', a);
        } else if (a->type == WARD__TRACE_T_F64) {
                put_conversion(out, "%g", 2, 'g', a);
        } else {
                put_fast(out, 'd', a);
        }
}

int ward__trace_format_compiled(const struct ward__trace_csite *c, const uint8_t *args, size_t len,
                                struct ward__buf *out)
{
        const uint8_t *p = args, *end = args + len;
        const struct ward__trace_site_info *site = &c->info;
        unsigned used = 0;
        struct arg a;
        for (size_t i = 0; i < c->nops; i++) {
                const struct ward__trace_op *op = &c->ops[i];
                if (op->kind == OP_LIT) {
                        ward__trace_put(out, op->lit, op->len);
                } else if (op->kind == OP_SHOW) {
                        ward__trace_put(out, op->spec, op->speclen);
                } else if (used >= site->nargs) {
                        ward__buf_puts(out, "<missing>");
                } else if (next_arg(site->types[used++], &p, end, &a) < 0) {
                        return -EBADMSG;
                } else if (op->fast) {
                        put_fast(out, op->conv, &a);
                } else {
                        put_conversion(out, op->spec, op->speclen, op->conv, &a);
                }
        }
        for (; used < site->nargs; used++) { /* extra arguments */
                if (next_arg(site->types[used], &p, end, &a) < 0) {
                        return -EBADMSG;
                }
                put_extra(out, &a);
        }
        return 0;
}

int ward__trace_format_message(const struct ward__trace_site_info *site, const uint8_t *args,
                               size_t len, struct ward__buf *out)
{
        struct ward__trace_csite c = {.info = *site};
        if (compile(&c) < 0) {
                out->failed = 1;
                return -ENOMEM;
        }
        int r = ward__trace_format_compiled(&c, args, len, out);
        ward__trace_csite_free(&c);
        return r;
}

const char *ward__trace_level_name(unsigned level)
{
        static const char *const names[] = {"off", "error", "warn", "info", "debug", "verbose"};
        return level < sizeof(names) / sizeof(names[0]) ? names[level] : "?";
}

/* escape_controls: control characters of out from start on (a message's
 * arguments come from the traced program) as \n, \r or \xNN, so that one
 * record is always one line and no argument can forge another. Tabs stay. */
static void escape_controls(struct ward__buf *out, size_t start)
{
        size_t i = start;
        while (i < out->len && (out->p[i] >= 0x20 || out->p[i] == '\t')) {
                i++;
        }
        if (i == out->len) {
                return; /* the common case: nothing to escape, nothing copied */
        }
        size_t n = out->len - i;
        uint8_t *tail = malloc(n);
        if (!tail) {
                out->len = i; /* cut rather than write a broken line */
                return;
        }
        memcpy(tail, out->p + i, n);
        out->len = i;
        for (size_t k = 0; k < n; k++) {
                uint8_t c = tail[k];
                if (c >= 0x20 || c == '\t') {
                        ward__trace_putc(out, (char)c);
                } else if (c == '\n' || c == '\r') {
                        ward__buf_puts(out, c == '\n' ? "\\n" : "\\r");
                } else {
                        ward__buf_printf(out, "\\x%02x", c);
                }
        }
        free(tail);
}

void ward__trace_print_body(struct ward__buf *out, uint32_t pid,
                            const struct ward__trace_csite *site, const uint8_t *rec, size_t len)
{
        struct ward__trace_rec h;
        memcpy(&h, rec, sizeof(h));
        ward__trace_putc(out, '[');
        put_u64(out, pid);
        if (h.kind == WARD__TRACE_REC_LOST && len >= 24) {
                uint64_t n;
                memcpy(&n, rec + 16, 8);
                ward__buf_puts(out, "] *** ");
                put_u64(out, n);
                ward__buf_puts(out, " events lost ***\n");
                return;
        }
        if (!site) {
                ward__buf_printf(out, "] <event of unknown site %" PRIu32 ">\n", h.site);
                return;
        }
        const struct ward__trace_site_info *info = &site->info;
        ward__trace_putc(out, ' ');
        ward__buf_puts(out, ward__trace_level_name(info->level));
        size_t start = out->len;
        if (info->category[0]) { /* as the JSON and CTF exports name it */
                ward__trace_putc(out, ' ');
                ward__buf_puts(out, info->category);
        }
        ward__buf_puts(out, WARD__TRACE_SITE_OPENS_SPAN(info->kind)   ? "] begin "
                            : info->kind == WARD__TRACE_SITE_SPAN_END ? "] end "
                                                                      : "] ");
        if (ward__trace_format_compiled(site, rec + sizeof(h), len - sizeof(h), out) < 0) {
                ward__buf_puts(out, " <truncated arguments>");
        }
        escape_controls(out, start);
        ward__trace_putc(out, '\n');
}

void ward__trace_print_time_tid(struct ward__buf *out, uint64_t ns, uint32_t tid)
{
        put_u64(out, ns);
        ward__trace_putc(out, '-');
        put_u64(out, tid);
        ward__trace_put(out, " : ", 3);
}

void ward__trace_print_record(struct ward__buf *out, uint64_t ns, uint32_t pid, uint32_t tid,
                              const uint8_t *site, size_t site_len, const uint8_t *rec, size_t len)
{
        struct ward__trace_csite c;
        int ok = site && ward__trace_csite_init(&c, site, site_len) == 0;
        ward__trace_print_time_tid(out, ns, tid);
        ward__trace_print_body(out, pid, ok ? &c : NULL, rec, len);
        if (site) {
                ward__trace_csite_free(&c);
        }
}

struct line {
        uint64_t ns;
        size_t off, len;
};

static int by_ns(const void *a, const void *b)
{
        const struct line *x = a, *y = b;
        return x->ns != y->ns ? (x->ns < y->ns ? -1 : 1) : (x->off < y->off ? -1 : 1);
}

void ward__trace_sort_lines(struct ward__buf *lines)
{
        size_t n = 0, cap = 0;
        struct line *v = NULL;
        for (size_t off = 0; off < lines->len;) {
                const uint8_t *nl = memchr(lines->p + off, '\n', lines->len - off);
                size_t len = nl ? (size_t)(nl - (lines->p + off)) + 1 : lines->len - off;
                if (n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        struct line *bigger = realloc(v, cap * sizeof(*v));
                        if (!bigger) {
                                free(v);
                                return; /* left unsorted */
                        }
                        v = bigger;
                }
                v[n++] = (struct line){strtoull((const char *)lines->p + off, NULL, 10), off, len};
                off += len;
        }
        qsort(v, n, sizeof(*v), by_ns);
        struct ward__buf sorted = {0};
        for (size_t i = 0; i < n; i++) {
                ward__trace_put(&sorted, lines->p + v[i].off, v[i].len);
        }
        free(v);
        if (!sorted.failed) {
                ward__buf_free(lines);
                *lines = sorted;
        } else {
                ward__buf_free(&sorted);
        }
}
