/* Parsing JSON text (RFC 8259) into a tree, for input that crosses a trust
 * boundary (a command line, a file): every byte is checked, nesting is
 * bounded, strings are decoded to UTF-8 (escapes included) and numbers are
 * kept as their text, so a consumer converts them at the precision it needs. */
#ifndef WARD_CORE_JSON_PARSE_H
#define WARD_CORE_JSON_PARSE_H

#include <stddef.h>

#define WARD__JSON_MAX_DEPTH 100

enum ward__json_type {
        WARD__JSON_NULL,
        WARD__JSON_FALSE,
        WARD__JSON_TRUE,
        WARD__JSON_NUMBER,
        WARD__JSON_STRING,
        WARD__JSON_ARRAY,
        WARD__JSON_OBJECT,
};

struct ward__json {
        enum ward__json_type type;
        unsigned line, col;         /* where the value starts, from 1 */
        unsigned key_line, key_col; /* in an object: where the member's name starts */
        const char *key;            /* in an object: the member's name (decoded) */
        size_t key_len;
        const char *text;        /* NUMBER: the literal; STRING: the decoded bytes */
        size_t len;              /* of text (a decoded string may hold NULs) */
        struct ward__json *kids; /* ARRAY, OBJECT: the first element or member */
        struct ward__json *next; /* the next sibling */
};

struct ward__json_doc;

/* ward__json_parse: parse text (len bytes; it need not be NUL-terminated).
 * On success returns 0, *ret_doc (free with ward__json_doc_free) and
 * *ret_root (owned by the doc). On failure returns -EINVAL and writes a
 * message with the line and column into err (err_size bytes), or -ENOMEM. */
int ward__json_parse(const char *text, size_t len, struct ward__json_doc **ret_doc,
                     const struct ward__json **ret_root, char *err, size_t err_size);

void ward__json_doc_free(struct ward__json_doc *doc);

/* ward__json_type_name: "null", "a number", "an object", ... for messages. */
const char *ward__json_type_name(enum ward__json_type t);

#endif
