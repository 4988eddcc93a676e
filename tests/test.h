/* tests/test.h: the small assert header every ward test uses.
 *
 * Each test file is its own executable. TEST(name) defines a case; main() comes
 * from TEST_MAIN(), which runs the cases in file order and exits 0, 1 on the
 * first failure (after printing file, line and both values), or 77 when a case
 * calls SKIP(). No fork per case and no signal handlers of its own, so tests of
 * crash handling and ptrace see the process as it is.
 */
#ifndef WARD_TEST_H
#define WARD_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/error.h>

typedef void (*test_fn)(void);
struct test_case {
        const char *name;
        test_fn fn;
};

#define TEST_MAX 128
extern struct test_case test_cases[TEST_MAX];
extern int test_count;

#define TEST(tname)                                                                                \
        static void test_##tname(void);                                                            \
        __attribute__((constructor)) static void test_register_##tname(void)                       \
        {                                                                                          \
                if (test_count < TEST_MAX) {                                                       \
                        test_cases[test_count].name = #tname;                                      \
                        test_cases[test_count].fn = test_##tname;                                  \
                        test_count++;                                                              \
                }                                                                                  \
        }                                                                                          \
        static void test_##tname(void)

#define TEST_FAIL(...)                                                                             \
        do {                                                                                       \
                fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                              \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
                exit(1);                                                                           \
        } while (0)

#define SKIP(...)                                                                                  \
        do {                                                                                       \
                fprintf(stderr, "SKIP: ");                                                         \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
                exit(77);                                                                          \
        } while (0)

#define ASSERT_TRUE(e)                                                                             \
        do {                                                                                       \
                if (!(e)) {                                                                        \
                        TEST_FAIL("%s is false", #e);                                              \
                }                                                                                  \
        } while (0)

#define ASSERT_EQ(a, b)                                                                            \
        do {                                                                                       \
                long long a_ = (long long)(a), b_ = (long long)(b);                                \
                if (a_ != b_) {                                                                    \
                        TEST_FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);                       \
                }                                                                                  \
        } while (0)

#define ASSERT_NE(a, b)                                                                            \
        do {                                                                                       \
                long long a_ = (long long)(a), b_ = (long long)(b);                                \
                if (a_ == b_) {                                                                    \
                        TEST_FAIL("%s != %s: both %lld", #a, #b, a_);                              \
                }                                                                                  \
        } while (0)

#define ASSERT_LE(a, b)                                                                            \
        do {                                                                                       \
                long long a_ = (long long)(a), b_ = (long long)(b);                                \
                if (a_ > b_) {                                                                     \
                        TEST_FAIL("%s <= %s: %lld > %lld", #a, #b, a_, b_);                        \
                }                                                                                  \
        } while (0)

/* ASSERT_OK: a ward return value (or a syscall's -errno) that must be >= 0. */
#define ASSERT_OK(e)                                                                               \
        do {                                                                                       \
                long long r_ = (long long)(e);                                                     \
                if (r_ < 0) {                                                                      \
                        TEST_FAIL("%s: %lld (%s)", #e, r_, ward_strerror((int)r_));                \
                }                                                                                  \
        } while (0)

/* ASSERT_ERRNO: e must fail with exactly -err. */
#define ASSERT_ERRNO(e, err)                                                                       \
        do {                                                                                       \
                long long r_ = (long long)(e);                                                     \
                if (r_ != -(long long)(err)) {                                                     \
                        TEST_FAIL("%s: got %lld (%s), want -%s", #e, r_, ward_strerror((int)r_),   \
                                  #err);                                                           \
                }                                                                                  \
        } while (0)

/* ASSERT_SYS: a libc call that returns -1 and sets errno on failure. */
#define ASSERT_SYS(e)                                                                              \
        do {                                                                                       \
                if ((long long)(e) == -1) {                                                        \
                        TEST_FAIL("%s: %s", #e, strerror(errno));                                  \
                }                                                                                  \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                         \
        do {                                                                                       \
                const char *a_ = (a), *b_ = (b);                                                   \
                if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                           \
                        TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",        \
                                  b_ ? b_ : "(null)");                                             \
                }                                                                                  \
        } while (0)

#define TEST_MAIN()                                                                                \
        struct test_case test_cases[TEST_MAX];                                                     \
        int test_count;                                                                            \
        int main(int argc, char **argv)                                                            \
        {                                                                                          \
                for (int i = 0; i < test_count; i++) {                                             \
                        if (argc > 1 && strcmp(argv[1], test_cases[i].name) != 0) {                \
                                continue;                                                          \
                        }                                                                          \
                        fprintf(stderr, "== %s\n", test_cases[i].name);                            \
                        test_cases[i].fn();                                                        \
                }                                                                                  \
                return 0;                                                                          \
        }

#endif
