/* Strict UTF-8 decoding and encoding: see utf8.h. */
#include "core/utf8.h"

static int is_cont(uint8_t c)
{
        return (c & 0xC0) == 0x80;
}

size_t ward__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000}; /* no overlongs */
        size_t len = s[0] < 0x80             ? 1
                     : (s[0] & 0xE0) == 0xC0 ? 2
                     : (s[0] & 0xF0) == 0xE0 ? 3
                     : (s[0] & 0xF8) == 0xF0 ? 4
                                             : 0;
        if (len == 0 || len > n) {
                return 0;
        }
        uint32_t v = len == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> len));
        for (size_t i = 1; i < len; i++) {
                if (!is_cont(s[i])) {
                        return 0;
                }
                v = (v << 6) | (s[i] & 0x3F);
        }
        if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
                return 0;
        }
        *cp = v;
        return len;
}

size_t ward__utf8_encode(uint32_t cp, uint8_t *out)
{
        if (cp < 0x80) {
                out[0] = (uint8_t)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (uint8_t)(0xC0 | (cp >> 6));
                out[1] = (uint8_t)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
                return 0;
        }
        if (cp < 0x10000) {
                out[0] = (uint8_t)(0xE0 | (cp >> 12));
                out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (uint8_t)(0x80 | (cp & 0x3F));
                return 3;
        }
        if (cp > 0x10FFFF) {
                return 0;
        }
        out[0] = (uint8_t)(0xF0 | (cp >> 18));
        out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (uint8_t)(0x80 | (cp & 0x3F));
        return 4;
}
