/* JSON string escaping: see json-write.h. */
#include "core/json-write.h"
#include "core/utf8.h"

static void put_escape(struct ward__buf *b, uint8_t c)
{
        switch (c) {
        case '"':
                ward__buf_puts(b, "\\\"");
                break;
        case '\\':
                ward__buf_puts(b, "\\\\");
                break;
        case '\n':
                ward__buf_puts(b, "\\n");
                break;
        case '\r':
                ward__buf_puts(b, "\\r");
                break;
        case '\t':
                ward__buf_puts(b, "\\t");
                break;
        default:
                ward__buf_printf(b, "\\u%04x", c);
        }
}

void ward__json_put_string(struct ward__buf *b, const char *s, size_t n)
{
        static const uint8_t replacement[] = {0xEF, 0xBF, 0xBD};
        const uint8_t *p = (const uint8_t *)s;
        ward__buf_putc(b, '"');
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len = ward__utf8_decode(p + i, n - i, &cp);
                if (len == 0) {
                        ward__buf_put(b, replacement, sizeof(replacement));
                        i++;
                } else if (cp < 0x20 || cp == '"' || cp == '\\') {
                        put_escape(b, p[i]);
                        i++;
                } else {
                        ward__buf_put(b, p + i, len);
                        i += len;
                }
        }
        ward__buf_putc(b, '"');
}
