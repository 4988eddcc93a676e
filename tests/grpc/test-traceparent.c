/* The W3C traceparent parser the gRPC bridge reads callers' trace contexts
 * with (src/grpc/traceparent.c): the one valid form, and the malformed ones
 * it refuses whole; and the check of the tracestate it passes on. */
#include <errno.h>
#include <string.h>

#include "grpc/traceparent.h"
#include "test.h"

#define VALID "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* parse: s (a C string) through the parser. */
static int parse(const char *s, struct ward__traceparent *tp)
{
        return ward__traceparent_parse(s, strlen(s), tp);
}

TEST(valid_round_trip)
{
        struct ward__traceparent tp;
        char back[WARD__TRACEPARENT_LEN + 1];
        ASSERT_OK(parse(VALID, &tp));
        ASSERT_EQ(tp.trace_hi, 0x4bf92f3577b34da6ull);
        ASSERT_EQ(tp.trace_lo, 0xa3ce929d0e0e4736ull);
        ASSERT_EQ(tp.span, 0x00f067aa0ba902b7ull);
        ASSERT_EQ(tp.flags, 1);
        ward__traceparent_format(&tp, back);
        ASSERT_STREQ(back, VALID);
}

TEST(malformed_refused_whole)
{
        static const char *bad[] = {
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",     /* short */
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* long */
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version */
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* uppercase */
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace */
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span */
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* separator */
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", /* not hex */
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct ward__traceparent tp = {1, 1, 1, 1};
                ASSERT_ERRNO(parse(bad[i], &tp), EINVAL);
                ASSERT_EQ(tp.trace_hi | tp.trace_lo | tp.span | tp.flags, 0);
        }
}

TEST(embedded_nul_refused)
{
        char buf[WARD__TRACEPARENT_LEN];
        struct ward__traceparent tp;
        memcpy(buf, VALID, sizeof(buf));
        buf[20] = '\0';
        ASSERT_ERRNO(ward__traceparent_parse(buf, sizeof(buf), &tp), EINVAL);
}

TEST(tracestate_checked)
{
        char big[WARD__TRACESTATE_MAX + 1];
        memset(big, 'a', sizeof(big));
        ASSERT_OK(ward__tracestate_check("congo=t61rcWkgMzE", 17));
        ASSERT_OK(ward__tracestate_check(big, WARD__TRACESTATE_MAX));
        ASSERT_ERRNO(ward__tracestate_check(big, WARD__TRACESTATE_MAX + 1), EINVAL);
        ASSERT_ERRNO(ward__tracestate_check("", 0), EINVAL);
        ASSERT_ERRNO(ward__tracestate_check("a=b\nc", 5), EINVAL);
        ASSERT_ERRNO(ward__tracestate_check("a=\x80", 3), EINVAL);
        ASSERT_ERRNO(ward__tracestate_check("a\0b", 3), EINVAL);
}

TEST_MAIN()
