/* W3C traceparent parsing and formatting, tracestate checking: see
 * traceparent.h. */
#include <errno.h>
#include <string.h>

#include "grpc/traceparent.h"

/* hex_digit: the value of lowercase hex digit ch, or -1. */
static int hex_digit(char ch)
{
        if (ch >= '0' && ch <= '9') {
                return ch - '0';
        }
        if (ch >= 'a' && ch <= 'f') {
                return ch - 'a' + 10;
        }
        return -1;
}

/* hex_u64: n (1..16) lowercase hex digits at p into *ret; 0, or -1. */
static int hex_u64(const char *p, size_t n, uint64_t *ret)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                int d = hex_digit(p[i]);
                if (d < 0) {
                        return -1;
                }
                v = v << 4 | (uint64_t)d;
        }
        *ret = v;
        return 0;
}

int ward__traceparent_parse(const char *p, size_t len, struct ward__traceparent *ret)
{
        struct ward__traceparent tp = {0};
        uint64_t flags = 0;
        memset(ret, 0, sizeof(*ret));
        if (!p || len != WARD__TRACEPARENT_LEN || p[0] != '0' || p[1] != '0' || p[2] != '-' ||
            p[35] != '-' || p[52] != '-') {
                return -EINVAL;
        }
        if (hex_u64(p + 3, 16, &tp.trace_hi) < 0 || hex_u64(p + 19, 16, &tp.trace_lo) < 0 ||
            hex_u64(p + 36, 16, &tp.span) < 0 || hex_u64(p + 53, 2, &flags) < 0) {
                return -EINVAL;
        }
        if ((!tp.trace_hi && !tp.trace_lo) || !tp.span) {
                return -EINVAL;
        }
        tp.flags = (uint8_t)flags;
        *ret = tp;
        return 0;
}

/* put_hex: v as n lowercase hex digits at p. */
static void put_hex(char *p, uint64_t v, size_t n)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = n; i > 0; i--) {
                p[i - 1] = digits[v & 15];
                v >>= 4;
        }
}

void ward__traceparent_format(const struct ward__traceparent *tp, char *buf)
{
        memcpy(buf, "00-", 3);
        put_hex(buf + 3, tp->trace_hi, 16);
        put_hex(buf + 19, tp->trace_lo, 16);
        buf[35] = '-';
        put_hex(buf + 36, tp->span, 16);
        buf[52] = '-';
        put_hex(buf + 53, tp->flags, 2);
        buf[WARD__TRACEPARENT_LEN] = '\0';
}

int ward__tracestate_check(const char *p, size_t len)
{
        if (!p || len == 0 || len > WARD__TRACESTATE_MAX) {
                return -EINVAL;
        }
        for (size_t i = 0; i < len; i++) {
                if (p[i] < 0x20 || p[i] > 0x7e) {
                        return -EINVAL;
                }
        }
        return 0;
}
