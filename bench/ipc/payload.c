/* payload.c: how the mechanisms fill and touch payloads. */
#include <string.h>

#include "mech.h"

void fill(void *p, size_t len, uint8_t v)
{
        memset(p, v, len);
}

/* The first and last cache line; they are one line when len <= BENCH_LINE. */
static size_t line_len(size_t len)
{
        return len < BENCH_LINE ? len : BENCH_LINE;
}

void touch_write(void *p, size_t len, uint8_t v)
{
        size_t l = line_len(len);
        memset(p, v, l);
        memset((char *)p + len - l, v, l);
}

static uint64_t sum_line(const volatile uint8_t *p, size_t l)
{
        uint64_t s = 0;
        for (size_t i = 0; i < l; i++) {
                s += p[i];
        }
        return s;
}

uint64_t touch_read(const void *p, size_t len)
{
        size_t l = line_len(len);
        const volatile uint8_t *b = p;
        return sum_line(b, l) + sum_line(b + len - l, l);
}
