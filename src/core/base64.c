/* Base64 encoding and decoding: see base64.h. */
#include <errno.h>

#include "core/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ward__base64_encode(struct ward__buf *out, const uint8_t *data, size_t n)
{
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)data[i] << 16;
                v |= i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0;
                v |= i + 2 < n ? data[i + 2] : 0;
                char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
                             i + 1 < n ? alphabet[(v >> 6) & 63] : '=',
                             i + 2 < n ? alphabet[v & 63] : '='};
                ward__buf_put(out, q, 4);
        }
}

static int sextet(char c)
{
        if (c >= 'A' && c <= 'Z') {
                return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
                return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
                return c - '0' + 52;
        }
        return c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
}

int ward__base64_decode(struct ward__buf *out, const char *text, size_t n)
{
        size_t pad = 0;
        while (pad < 2 && n > 0 && text[n - 1] == '=') {
                n--;
                pad++;
        }
        if (n % 4 == 1 || (pad && (n + pad) % 4 != 0)) {
                return -EINVAL;
        }
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < n; i++) {
                int s = sextet(text[i]);
                if (s < 0) {
                        return -EINVAL;
                }
                acc = (acc << 6) | (uint32_t)s;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        ward__buf_putc(out, (uint8_t)(acc >> bits));
                        acc &= (1u << bits) - 1;
                }
        }
        return 0;
}
