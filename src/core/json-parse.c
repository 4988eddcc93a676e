/* JSON parser: see json-parse.h. Recursive descent, nesting bounded by
 * WARD__JSON_MAX_DEPTH; nodes and decoded strings live in blocks owned by the
 * document and are freed together. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json-parse.h"
#include "core/utf8.h"

struct block {
        struct block *next;
        size_t used, size;
        _Alignas(max_align_t) char data[];
};

struct ward__json_doc {
        struct block *blocks;
};

struct parser {
        const char *s;
        size_t len, pos;
        unsigned line;
        size_t line_start;
        struct ward__json_doc *doc;
        char *err;
        size_t err_size;
        int nomem;
};

static void *doc_alloc(struct parser *p, size_t size)
{
        size = (size + 15) & ~(size_t)15;
        struct block *b = p->doc->blocks;
        if (!b || b->size - b->used < size) {
                size_t bsize = size > 16384 ? size : 16384;
                b = malloc(sizeof(*b) + bsize);
                if (!b) {
                        p->nomem = 1;
                        return NULL;
                }
                *b = (struct block){.next = p->doc->blocks, .size = bsize};
                p->doc->blocks = b;
        }
        void *r = b->data + b->used;
        b->used += size;
        return r;
}

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (p->err_size) {
                snprintf(p->err, p->err_size, "JSON line %u, column %zu: %s", p->line,
                         p->pos - p->line_start + 1, msg);
        }
        return -EINVAL;
}

static void skip_space(struct parser *p)
{
        while (p->pos < p->len) {
                char c = p->s[p->pos];
                if (c == '\n') {
                        p->line++;
                        p->line_start = p->pos + 1;
                } else if (c != ' ' && c != '\t' && c != '\r') {
                        return;
                }
                p->pos++;
        }
}

static int peek(const struct parser *p)
{
        return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* what: the character at the error, for the message. */
static const char *what(int c, char buf[16])
{
        if (c < 0) {
                return "the end of the input";
        }
        snprintf(buf, 16, c >= 0x20 && c < 0x7f ? "'%c'" : "byte 0x%02x", c);
        return buf;
}

static int parse_value(struct parser *p, struct ward__json *v, int depth);

static int parse_literal(struct parser *p, struct ward__json *v, const char *word,
                         enum ward__json_type t)
{
        size_t n = strlen(word);
        if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
                char w[16];
                return fail(p, "unexpected %s (expected a value)", what(peek(p), w));
        }
        p->pos += n;
        v->type = t;
        return 0;
}

static size_t digits(struct parser *p)
{
        size_t start = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
                p->pos++;
        }
        return p->pos - start;
}

static int parse_number(struct parser *p, struct ward__json *v)
{
        size_t start = p->pos;
        if (peek(p) == '-') {
                p->pos++;
        }
        size_t lead = p->pos;
        size_t n = digits(p);
        if (n == 0 || (n > 1 && p->s[lead] == '0')) {
                return fail(p, "bad number (no leading zeros, at least one digit)");
        }
        if (peek(p) == '.') {
                p->pos++;
                if (digits(p) == 0) {
                        return fail(p, "bad number (a digit must follow '.')");
                }
        }
        if (peek(p) == 'e' || peek(p) == 'E') {
                p->pos++;
                if (peek(p) == '+' || peek(p) == '-') {
                        p->pos++;
                }
                if (digits(p) == 0) {
                        return fail(p, "bad number (a digit must follow the exponent)");
                }
        }
        v->type = WARD__JSON_NUMBER;
        v->text = p->s + start;
        v->len = p->pos - start;
        return 0;
}

static int hex4(struct parser *p, uint32_t *ret)
{
        uint32_t v = 0;
        if (p->len - p->pos < 4) {
                return fail(p, "\\u needs four hex digits");
        }
        for (int i = 0; i < 4; i++) {
                char c = p->s[p->pos++];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0) {
                        return fail(p, "\\u needs four hex digits");
                }
                v = v * 16 + (uint32_t)d;
        }
        *ret = v;
        return 0;
}

/* parse_unicode_escape: after "\u": one code point, joining surrogate pairs. */
static int parse_unicode_escape(struct parser *p, uint32_t *cp)
{
        uint32_t lo;
        if (hex4(p, cp) < 0) {
                return -EINVAL;
        }
        if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
                return fail(p, "lone low surrogate in \\u escape");
        }
        if (*cp < 0xD800 || *cp > 0xDBFF) {
                return 0;
        }
        if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                return fail(p, "high surrogate not followed by a low one");
        }
        p->pos += 2;
        if (hex4(p, &lo) < 0) {
                return -EINVAL;
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
                return fail(p, "high surrogate not followed by a low one");
        }
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        return 0;
}

static int parse_escape(struct parser *p, uint8_t *out, size_t *n)
{
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        char c = p->pos < p->len ? p->s[p->pos] : 0;
        const char *k = c ? strchr(from, c) : NULL;
        p->pos++;
        if (k) {
                out[(*n)++] = (uint8_t)to[k - from];
                return 0;
        }
        uint32_t cp;
        if (c != 'u') {
                p->pos--;
                return fail(p, "unknown escape");
        }
        if (parse_unicode_escape(p, &cp) < 0) {
                return -EINVAL;
        }
        *n += ward__utf8_encode(cp, out + *n);
        return 0;
}

/* parse_string: at '"'; the decoded bytes into *ret, *ret_len. The decoded
 * string is never longer than its source, so one allocation suffices. */
static int parse_string(struct parser *p, const char **ret, size_t *ret_len)
{
        size_t end = ++p->pos;
        while (end < p->len && p->s[end] != '"') {
                end += p->s[end] == '\\' ? 2 : 1;
        }
        uint8_t *out = doc_alloc(p, end - p->pos + 1);
        size_t n = 0;
        if (!out) {
                return -ENOMEM;
        }
        for (;;) {
                int c = peek(p);
                uint32_t cp;
                if (c < 0) {
                        return fail(p, "unterminated string");
                } else if (c == '"') {
                        break;
                } else if (c == '\\') {
                        p->pos++;
                        if (parse_escape(p, out, &n) < 0) {
                                return -EINVAL;
                        }
                } else if (c < 0x20) {
                        return fail(p, "control character in a string (escape it)");
                } else {
                        size_t l =
                            ward__utf8_decode((const uint8_t *)p->s + p->pos, p->len - p->pos, &cp);
                        if (l == 0) {
                                return fail(p, "invalid UTF-8 in a string");
                        }
                        memcpy(out + n, p->s + p->pos, l);
                        n += l;
                        p->pos += l;
                }
        }
        p->pos++;
        out[n] = '\0';
        *ret = (const char *)out;
        *ret_len = n;
        return 0;
}

static struct ward__json *new_node(struct parser *p)
{
        struct ward__json *v = doc_alloc(p, sizeof(*v));
        if (v) {
                *v = (struct ward__json){.line = p->line,
                                         .col = (unsigned)(p->pos - p->line_start + 1)};
        }
        return v;
}

/* parse_items: the elements of an array or the members of an object, after the
 * opening bracket. */
static int parse_items(struct parser *p, struct ward__json *v, int depth, char close)
{
        struct ward__json **tail = &v->kids;
        skip_space(p);
        if (peek(p) == close) {
                p->pos++;
                return 0;
        }
        for (;;) {
                skip_space(p);
                struct ward__json *kid = new_node(p);
                if (!kid) {
                        return -ENOMEM;
                }
                if (close == '}') {
                        if (peek(p) != '"') {
                                return fail(p, "expected a member name in quotes");
                        }
                        int r = parse_string(p, &kid->key, &kid->key_len);
                        if (r < 0) {
                                return r;
                        }
                        skip_space(p);
                        if (peek(p) != ':') {
                                return fail(p, "expected ':' after the member name");
                        }
                        p->pos++;
                        skip_space(p);
                        kid->key_line = kid->line;
                        kid->key_col = kid->col;
                        kid->line = p->line;
                        kid->col = (unsigned)(p->pos - p->line_start + 1);
                }
                int r = parse_value(p, kid, depth + 1);
                if (r < 0) {
                        return r;
                }
                *tail = kid;
                tail = &kid->next;
                skip_space(p);
                int c = peek(p);
                p->pos++;
                if (c == close) {
                        return 0;
                }
                if (c != ',') {
                        p->pos--;
                        return fail(p, "expected ',' or '%c'", close);
                }
        }
}

static int parse_value(struct parser *p, struct ward__json *v, int depth)
{
        if (depth >= WARD__JSON_MAX_DEPTH) {
                return fail(p, "nested deeper than %d levels", WARD__JSON_MAX_DEPTH);
        }
        skip_space(p);
        int c = peek(p);
        switch (c) {
        case '{':
        case '[':
                p->pos++;
                v->type = c == '{' ? WARD__JSON_OBJECT : WARD__JSON_ARRAY;
                return parse_items(p, v, depth, c == '{' ? '}' : ']');
        case '"':
                v->type = WARD__JSON_STRING;
                return parse_string(p, &v->text, &v->len);
        case 't':
                return parse_literal(p, v, "true", WARD__JSON_TRUE);
        case 'f':
                return parse_literal(p, v, "false", WARD__JSON_FALSE);
        case 'n':
                return parse_literal(p, v, "null", WARD__JSON_NULL);
        default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                        return parse_number(p, v);
                }
                char w[16];
                return fail(p, "unexpected %s (expected a value)", what(c, w));
        }
}

int ward__json_parse(const char *text, size_t len, struct ward__json_doc **ret_doc,
                     const struct ward__json **ret_root, char *err, size_t err_size)
{
        struct parser p = {.s = text, .len = len, .line = 1, .err = err, .err_size = err_size};
        if (!text || !ret_doc || !ret_root) {
                return -EINVAL;
        }
        p.doc = calloc(1, sizeof(*p.doc));
        if (!p.doc) {
                return -ENOMEM;
        }
        skip_space(&p);
        struct ward__json *root = new_node(&p);
        int r = root ? parse_value(&p, root, 0) : -ENOMEM;
        if (r == 0) {
                skip_space(&p);
                if (p.pos < p.len) {
                        r = fail(&p, "unexpected text after the value");
                }
        }
        if (p.nomem) {
                r = -ENOMEM;
        }
        if (r < 0) {
                ward__json_doc_free(p.doc);
                return r;
        }
        *ret_doc = p.doc;
        *ret_root = root;
        return 0;
}

void ward__json_doc_free(struct ward__json_doc *doc)
{
        if (!doc) {
                return;
        }
        while (doc->blocks) {
                struct block *b = doc->blocks;
                doc->blocks = b->next;
                free(b);
        }
        free(doc);
}

const char *ward__json_type_name(enum ward__json_type t)
{
        static const char *const names[] = {"null",     "false",    "true",     "a number",
                                            "a string", "an array", "an object"};
        return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}
