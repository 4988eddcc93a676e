/* A growable byte buffer for building output (JSON text, protobuf bytes). A
 * failed allocation is remembered and later appends are ignored, so builders
 * append freely and check once at the end. */
#ifndef WARD_CORE_BUF_H
#define WARD_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ward__buf {
        uint8_t *p;
        size_t len, cap;
        int failed; /* an allocation failed: the contents are incomplete */
};

/* ward__buf_put: append n bytes of data. */
void ward__buf_put(struct ward__buf *b, const void *data, size_t n);
void ward__buf_putc(struct ward__buf *b, uint8_t c);
void ward__buf_puts(struct ward__buf *b, const char *s);
/* ward__buf_printf: append formatted text (no NUL). */
void ward__buf_printf(struct ward__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* ward__buf_insert: insert n bytes at offset at (<= len). */
void ward__buf_insert(struct ward__buf *b, size_t at, const void *data, size_t n);
/* ward__buf_take_str: NUL-terminate and hand the bytes over (the caller frees
 * them); NULL when an allocation failed. The buffer is empty afterwards. */
char *ward__buf_take_str(struct ward__buf *b);
void ward__buf_free(struct ward__buf *b);

#endif
