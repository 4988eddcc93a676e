/* Growable byte buffer: see buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* reserve: room for n more bytes (and a NUL); 0 or -1 (failed is set). */
static int reserve(struct ward__buf *b, size_t n)
{
        if (b->failed) {
                return -1;
        }
        if (n < b->cap - b->len) {
                return 0;
        }
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len <= n) {
                if (cap > SIZE_MAX / 2) {
                        b->failed = 1;
                        return -1;
                }
                cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
                b->failed = 1;
                return -1;
        }
        b->p = p;
        b->cap = cap;
        return 0;
}

void ward__buf_put(struct ward__buf *b, const void *data, size_t n)
{
        if (n && reserve(b, n) == 0) {
                memcpy(b->p + b->len, data, n);
                b->len += n;
        }
}

void ward__buf_putc(struct ward__buf *b, uint8_t c)
{
        ward__buf_put(b, &c, 1);
}

void ward__buf_puts(struct ward__buf *b, const char *s)
{
        ward__buf_put(b, s, strlen(s));
}

void ward__buf_printf(struct ward__buf *b, const char *fmt, ...)
{
        char small[128];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->failed = 1;
        } else if ((size_t)n < sizeof(small)) {
                ward__buf_put(b, small, (size_t)n);
        } else if (reserve(b, (size_t)n) == 0) {
                va_start(ap, fmt);
                vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
                va_end(ap);
                b->len += (size_t)n;
        }
}

void ward__buf_insert(struct ward__buf *b, size_t at, const void *data, size_t n)
{
        if (at > b->len || reserve(b, n) < 0) {
                b->failed = 1;
                return;
        }
        memmove(b->p + at + n, b->p + at, b->len - at);
        memcpy(b->p + at, data, n);
        b->len += n;
}

char *ward__buf_take_str(struct ward__buf *b)
{
        if (reserve(b, 0) < 0) {
                ward__buf_free(b);
                return NULL;
        }
        b->p[b->len] = '\0';
        char *s = (char *)b->p;
        *b = (struct ward__buf){0};
        return s;
}

void ward__buf_free(struct ward__buf *b)
{
        free(b->p);
        *b = (struct ward__buf){0};
}
