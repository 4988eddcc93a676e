/* ward/trace.h: a tracer that does not change the program's timing.
 *
 *   WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", i, name);
 *
 * On the hot path an event stores a timestamp (the TSC), the id of its call
 * site and the raw bytes of its arguments into the calling thread's own
 * buffer: no lock, no formatting, no syscall, no malloc. The argument types
 * are captured at compile time (C11 _Generic); strings are copied (up to
 * WARD_TRACE_STR_MAX bytes). Formatting happens only when someone reads.
 *
 * Each thread's buffer is a ring in a shared-memory file of the process
 * (/dev/shm/ward-trace.<pid>, mode 0600), so a background flusher writing
 * <dir>/<name>.trace.<tid>, a live `ward trace tail PID` in another process,
 * and `ward trace recover` after a crash all read the same bytes. A full
 * buffer drops events (counted exactly, recorded in the stream) unless the
 * block policy is chosen.
 *
 * Tracing starts with ward_trace_start() or, at program start, from the
 * environment: WARD_TRACE=LEVEL[:DIR] (LEVEL: error, warn, info, debug,
 * verbose or 1-5). A disabled event (tracing off, or a level above the current
 * one) costs one predictable branch and does not evaluate its arguments, like
 * assert().
 *
 * The macros need GCC or Clang (C11's _Generic, which both also accept in
 * C99 modes); the functions are plain C and C++.
 */
#ifndef WARD_TRACE_H
#define WARD_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ward/api.h>
#include <ward/time.h>

WARD_BEGIN_DECLS

/* Levels: an event is recorded when its level <= the current level. */
enum ward_trace_level {
        WARD_TRACE_OFF = 0,
        WARD_TRACE_ERROR = 1,
        WARD_TRACE_WARN = 2,
        WARD_TRACE_INFO = 3,
        WARD_TRACE_DEBUG = 4,
        WARD_TRACE_VERBOSE = 5,
};

/* What a full buffer does to the traced thread. */
enum ward_trace_policy {
        WARD_TRACE_DROP = 0,  /* drop the event, count it, record the loss (default) */
        WARD_TRACE_BLOCK = 1, /* wait for the flusher (for tests; changes timing) */
};

struct ward_trace_options {
        uint32_t size;         /* sizeof(struct ward_trace_options) (ward/api.h) */
        int level;             /* WARD_TRACE_ERROR.. (0: WARD_TRACE_INFO) */
        const char *dir;       /* where trace files go (NULL: the current directory) */
        const char *name;      /* file name prefix (NULL: the program's name) */
        size_t buffer_size;    /* per thread, a power of two >= 64 KiB (0: 32 MiB) */
        unsigned max_threads;  /* threads tracing at once (0: 256) */
        uint64_t rotate_bytes; /* start a new file past this size (0: 64 MiB; at least 8 KiB) */
        unsigned rotate_keep;  /* files kept per thread, the current one included (0: 4) */
        uint64_t flush_interval_ns; /* how often the flusher runs (0: 10 ms) */
        int policy;                 /* enum ward_trace_policy */
};

/* ward_trace_start: start tracing with o (NULL: defaults). Creates the shared
 * buffers file and the flusher thread. Errors: -EALREADY (already started),
 * -EINVAL (bad options), -ENOMEM, or -errno from creating the buffers file or
 * the directory. Thread class: any-thread (not concurrently with stop). */
WARD_API int ward_trace_start(const struct ward_trace_options *o);

/* ward_trace_stop: flush everything, stop the flusher, remove the buffers file.
 * Events traced meanwhile by other threads may be dropped. NULL-safe to call
 * when not started. Thread class: any-thread. */
WARD_API void ward_trace_stop(void);

/* ward_trace_set_level / get_level: the current level (0 turns events off
 * without stopping). Errors: -EINVAL for a level outside 0..5.
 * Thread class: any-thread. */
WARD_API int ward_trace_set_level(int level);
WARD_API int ward_trace_get_level(void);

/* ward_trace_flush: write every thread's pending events to its file now.
 * Safe in a signal handler (before abort(), in a crash handler): no lock, no
 * malloc; a buffer the flusher is writing at that moment is skipped (its
 * events stay in the shared file for `ward trace recover`). Returns the number
 * of events written, or -ENOTCONN when tracing is not started.
 * Thread class: async-signal-safe. */
WARD_API int ward_trace_flush(void);

/* ward_trace_dropped: events dropped so far because a buffer was full, over
 * all threads. Thread class: any-thread. */
WARD_API uint64_t ward_trace_dropped(void);

/* ward_trace_parse_level: "error".."verbose", "off" or "0".."5" to a level;
 * -EINVAL otherwise. Thread class: any-thread. */
WARD_API int ward_trace_parse_level(const char *s);

/* ---- what the macros expand to (not for direct use) ---- */

#define WARD_TRACE_STR_MAX 1024 /* longest string argument kept, in bytes */
#define WARD__TRACE_MAX_ARGS 8

enum ward__trace_type {
        WARD__TRACE_T_I32 = 1,
        WARD__TRACE_T_U32 = 2,
        WARD__TRACE_T_I64 = 3,
        WARD__TRACE_T_U64 = 4,
        WARD__TRACE_T_F64 = 5,
        WARD__TRACE_T_STR = 6,
        WARD__TRACE_T_PTR = 7,
};

enum ward__trace_site_kind {
        WARD__TRACE_SITE_EVENT = 0,
        WARD__TRACE_SITE_SPAN_BEGIN = 1,
        WARD__TRACE_SITE_SPAN_END = 2,
        WARD__TRACE_SITE_COUNTER = 3,
        /* span begins of RPC calls, arguments (str service, str method, u64
         * trace id high, u64 trace id low, u64 span id, u64 parent span id):
         * a call (its flow goes out to the handler whose parent is this
         * span) and a handler (its flow comes in from span parent) */
        WARD__TRACE_SITE_CALL_BEGIN = 4,
        WARD__TRACE_SITE_SERVE_BEGIN = 5,
};

/* Site kinds that open a span (exports pair them with SPAN_END). */
#define WARD__TRACE_SITE_OPENS_SPAN(k)                                                             \
        ((k) == WARD__TRACE_SITE_SPAN_BEGIN || (k) == WARD__TRACE_SITE_CALL_BEGIN ||               \
         (k) == WARD__TRACE_SITE_SERVE_BEGIN)

/* A call site: static, one per macro use. id is 0 until the site is first hit
 * and registered in the process's shared dictionary. */
struct ward__trace_site {
        uint32_t id;
        uint8_t level, kind, nargs, reserved;
        const char *fmt, *file, *func, *category;
        int line;
        const uint8_t *types;
};

union ward__trace_arg {
        int64_t i;
        uint64_t u;
        double d;
        const char *s;
        const void *p;
};

/* A thread's producer state (process memory; the ring is shared). */
struct ward__trace_thread {
        uint8_t *ring;
        uint64_t mask;          /* ring size - 1 */
        uint64_t write;         /* next position to write (total bytes) */
        uint64_t limit;         /* write may reach this without checking the reader */
        uint64_t *shared_write; /* published position, in the slot header */
};

/* Record header (docs/trace-format.md). */
struct ward__trace_rec {
        uint16_t size;
        uint8_t kind;
        uint8_t nargs;
        uint32_t site;
        uint64_t tsc;
};

enum {
        WARD__TRACE_REC_EVENT = 1,
        WARD__TRACE_REC_PAD = 2,
        WARD__TRACE_REC_LOST = 3,
        WARD__TRACE_REC_SITE = 4,
        WARD__TRACE_REC_TIME = 5, /* files of version 3: the time base of packed events */
};

WARD_API extern int ward__trace_level;
WARD_API extern __thread struct ward__trace_thread *ward__trace_self
    __attribute__((tls_model("initial-exec")));

/* ward__trace_slow: the first event of a thread or a site, or a full buffer:
 * returns the thread state with room for need bytes at write, or NULL (the
 * event is dropped). */
WARD_API struct ward__trace_thread *ward__trace_slow(struct ward__trace_site *site, size_t need);

/* The clock events are stamped with: the TSC on x86, where reading it costs a
 * few nanoseconds, else ward_now_ns (CLOCK_MONOTONIC nanoseconds). Defining
 * WARD_TRACE_NO_TSC chooses the portable clock on x86 too; libward and all
 * code that traces must then be built with it (the header check in tests/
 * compiles that path on every machine). */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(WARD_TRACE_NO_TSC)
#define WARD__TRACE_TSC 1
#else
#define WARD__TRACE_TSC 0
#endif

static inline uint64_t ward__trace_clock(void)
{
#if WARD__TRACE_TSC
        return __builtin_ia32_rdtsc();
#else
        return ward_now_ns();
#endif
}

static inline size_t ward__trace_arg_size(uint8_t type, const union ward__trace_arg *a, size_t *sl)
{
        if (type == WARD__TRACE_T_STR) {
                /* memchr stops at the first NUL (C11 7.24.5.1): strnlen without
                 * needing POSIX feature macros in users' code */
                const char *end = a->s ? (const char *)memchr(a->s, 0, WARD_TRACE_STR_MAX) : NULL;
                *sl = !a->s ? 0 : end ? (size_t)(end - a->s) : WARD_TRACE_STR_MAX;
                return 2 + *sl;
        }
        return type == WARD__TRACE_T_I32 || type == WARD__TRACE_T_U32 ? 4 : 8;
}

static inline uint8_t *ward__trace_put_arg(uint8_t *p, uint8_t type, const union ward__trace_arg *a,
                                           size_t sl)
{
        if (type == WARD__TRACE_T_STR) {
                uint16_t n = (uint16_t)sl;
                memcpy(p, &n, 2);
                memcpy(p + 2, a->s ? a->s : "", sl);
                return p + 2 + sl;
        }
        if (type == WARD__TRACE_T_I32 || type == WARD__TRACE_T_U32) {
                uint32_t v = (uint32_t)a->u;
                memcpy(p, &v, 4);
                return p + 4;
        }
        memcpy(p, a, 8);
        return p + 8;
}

/* ward__trace_emit: the hot path, inlined into each call site so that the
 * constant argument types fold away. Long for a fast path on purpose. */
static inline __attribute__((always_inline)) void ward__trace_emit(struct ward__trace_site *site,
                                                                   const union ward__trace_arg *a)
{
        uint64_t tsc = ward__trace_clock();
        size_t sl[WARD__TRACE_MAX_ARGS + 1];
        size_t need = sizeof(struct ward__trace_rec);
        for (unsigned k = 0; k < site->nargs; k++) {
                need += ward__trace_arg_size(site->types[k], &a[k], &sl[k]);
        }
        need = (need + 7) & ~(size_t)7;
        struct ward__trace_thread *t = ward__trace_self;
        uint32_t id = __atomic_load_n(&site->id, __ATOMIC_RELAXED);
        if (__builtin_expect(!t || !id || t->write + need > t->limit, 0)) {
                t = ward__trace_slow(site, need);
                if (!t) {
                        return;
                }
                id = site->id;
        }
        uint64_t w = t->write;
        uint8_t *p = t->ring + (w & t->mask);
        struct ward__trace_rec h = {(uint16_t)need, WARD__TRACE_REC_EVENT, site->nargs, id, tsc};
        memcpy(p, &h, sizeof(h));
        p += sizeof(h);
        for (unsigned k = 0; k < site->nargs; k++) {
                p = ward__trace_put_arg(p, site->types[k], &a[k], sl[k]);
        }
        t->write = w + need;
        __atomic_store_n(t->shared_write, w + need, __ATOMIC_RELEASE);
}

#if !defined(__cplusplus)

static inline union ward__trace_arg ward__trace_i(int64_t v)
{
        union ward__trace_arg a;
        a.i = v;
        return a;
}
static inline union ward__trace_arg ward__trace_u(uint64_t v)
{
        union ward__trace_arg a;
        a.u = v;
        return a;
}
static inline union ward__trace_arg ward__trace_d(double v)
{
        union ward__trace_arg a;
        a.d = v;
        return a;
}
static inline union ward__trace_arg ward__trace_s(const char *v)
{
        union ward__trace_arg a;
        a.s = v;
        return a;
}
static inline union ward__trace_arg ward__trace_p(const void *v)
{
        union ward__trace_arg a;
        a.p = v;
        return a;
}

/* The type of an argument, as the decoder will read it. char and short are
 * promoted, as printf's varargs would; an enum is its integer type; any other
 * pointer is printed as a pointer. */
#define WARD__TRACE_TYPE(x)                                                                        \
        __extension__ _Generic((x),                                                                \
            _Bool: WARD__TRACE_T_U32,                                                              \
            char: WARD__TRACE_T_I32,                                                               \
            signed char: WARD__TRACE_T_I32,                                                        \
            unsigned char: WARD__TRACE_T_U32,                                                      \
            short: WARD__TRACE_T_I32,                                                              \
            unsigned short: WARD__TRACE_T_U32,                                                     \
            int: WARD__TRACE_T_I32,                                                                \
            unsigned int: WARD__TRACE_T_U32,                                                       \
            long: WARD__TRACE_T_I64,                                                               \
            unsigned long: WARD__TRACE_T_U64,                                                      \
            long long: WARD__TRACE_T_I64,                                                          \
            unsigned long long: WARD__TRACE_T_U64,                                                 \
            float: WARD__TRACE_T_F64,                                                              \
            double: WARD__TRACE_T_F64,                                                             \
            long double: WARD__TRACE_T_F64,                                                        \
            char *: WARD__TRACE_T_STR,                                                             \
            const char *: WARD__TRACE_T_STR,                                                       \
            default: WARD__TRACE_T_PTR)

/* The argument's value; the expression is evaluated exactly once. */
#define WARD__TRACE_ARG(x)                                                                         \
        __extension__ _Generic((x),                                                                \
            _Bool: ward__trace_u,                                                                  \
            char: ward__trace_i,                                                                   \
            signed char: ward__trace_i,                                                            \
            unsigned char: ward__trace_u,                                                          \
            short: ward__trace_i,                                                                  \
            unsigned short: ward__trace_u,                                                         \
            int: ward__trace_i,                                                                    \
            unsigned int: ward__trace_u,                                                           \
            long: ward__trace_i,                                                                   \
            unsigned long: ward__trace_u,                                                          \
            long long: ward__trace_i,                                                              \
            unsigned long long: ward__trace_u,                                                     \
            float: ward__trace_d,                                                                  \
            double: ward__trace_d,                                                                 \
            long double: ward__trace_d,                                                            \
            char *: ward__trace_s,                                                                 \
            const char *: ward__trace_s,                                                           \
            default: ward__trace_p)(x)

/* Argument counting; the format is the first of __VA_ARGS__, so a call with
 * no arguments after it is valid C17. More than 8 arguments fails to compile
 * with a WARD__TRACE_MAP_TOO_MANY_ARGS error. */
#define WARD__TRACE_NARG(...)                                                                      \
        WARD__TRACE_NARG_(__VA_ARGS__, _TOO_MANY_ARGS, _TOO_MANY_ARGS, _TOO_MANY_ARGS,             \
                          _TOO_MANY_ARGS, 8, 7, 6, 5, 4, 3, 2, 1, 0, _)
#define WARD__TRACE_NARG_(f, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, N, ...) N
#define WARD__TRACE_CAT(a, b) WARD__TRACE_CAT_(a, b)
#define WARD__TRACE_CAT_(a, b) a##b
#define WARD__TRACE_MAP(M, ...)                                                                    \
        WARD__TRACE_CAT(WARD__TRACE_MAP, WARD__TRACE_NARG(__VA_ARGS__))(M, __VA_ARGS__)
#define WARD__TRACE_MAP0(M, f)
#define WARD__TRACE_MAP1(M, f, a) M(a)
#define WARD__TRACE_MAP2(M, f, a, b) M(a) M(b)
#define WARD__TRACE_MAP3(M, f, a, b, c) M(a) M(b) M(c)
#define WARD__TRACE_MAP4(M, f, a, b, c, d) M(a) M(b) M(c) M(d)
#define WARD__TRACE_MAP5(M, f, a, b, c, d, e) M(a) M(b) M(c) M(d) M(e)
#define WARD__TRACE_MAP6(M, f, a, b, c, d, e, g) M(a) M(b) M(c) M(d) M(e) M(g)
#define WARD__TRACE_MAP7(M, f, a, b, c, d, e, g, h) M(a) M(b) M(c) M(d) M(e) M(g) M(h)
#define WARD__TRACE_MAP8(M, f, a, b, c, d, e, g, h, i) M(a) M(b) M(c) M(d) M(e) M(g) M(h) M(i)
#define WARD__TRACE_TYPE_E(x) (uint8_t) WARD__TRACE_TYPE(x),
#define WARD__TRACE_ARG_E(x) WARD__TRACE_ARG(x),
#define WARD__TRACE_FIRST(f, ...) f

/* Never called: lets the compiler check the format against the arguments. */
__attribute__((format(printf, 1, 2))) static inline void ward__trace_fmtcheck(const char *f, ...)
{
        (void)f;
}

#define WARD__TRACE(lvl, cat, kind_, ...)                                                          \
        do {                                                                                       \
                if (__builtin_expect(                                                              \
                        (lvl) <= __atomic_load_n(&ward__trace_level, __ATOMIC_RELAXED), 0)) {      \
                        static const uint8_t ward__types_[] = {                                    \
                            WARD__TRACE_MAP(WARD__TRACE_TYPE_E, __VA_ARGS__) 0};                   \
                        static struct ward__trace_site ward__site_ = {                             \
                            0,                                                                     \
                            (uint8_t)(lvl),                                                        \
                            (uint8_t)(kind_),                                                      \
                            (uint8_t)WARD__TRACE_NARG(__VA_ARGS__),                                \
                            0,                                                                     \
                            WARD__TRACE_FIRST(__VA_ARGS__, _),                                     \
                            __FILE__,                                                              \
                            __func__,                                                              \
                            (cat),                                                                 \
                            __LINE__,                                                              \
                            ward__types_};                                                         \
                        if (0) {                                                                   \
                                ward__trace_fmtcheck(__VA_ARGS__);                                 \
                        }                                                                          \
                        const union ward__trace_arg ward__args_[] = {                              \
                            WARD__TRACE_MAP(WARD__TRACE_ARG_E, __VA_ARGS__){0}};                   \
                        ward__trace_emit(&ward__site_, ward__args_);                               \
                }                                                                                  \
        } while (0)

/* WARD_TRACE(level, "format", args...): one event. level must be a constant. */
#define WARD_TRACE(level, ...) WARD__TRACE(level, "", WARD__TRACE_SITE_EVENT, __VA_ARGS__)

/* WARD_TRACE_CAT(level, "category", "format", args...): an event with a
 * category (a string literal), which exports show as the event's category. */
#define WARD_TRACE_CAT(level, category, ...)                                                       \
        WARD__TRACE(level, category, WARD__TRACE_SITE_EVENT, __VA_ARGS__)

/* WARD_SPAN_BEGIN("name") ... WARD_SPAN_END("name"): a duration on this
 * thread, at level INFO; spans nest. Exports pair them (Chrome "B"/"E"). */
#define WARD_SPAN_BEGIN(name) WARD__TRACE(WARD_TRACE_INFO, "", WARD__TRACE_SITE_SPAN_BEGIN, name)
#define WARD_SPAN_END(name) WARD__TRACE(WARD_TRACE_INFO, "", WARD__TRACE_SITE_SPAN_END, name)

/* WARD_SPAN_SCOPED("name"): a span from here to the end of the enclosing
 * block (GCC/Clang cleanup attribute). */
#define WARD_SPAN_SCOPED(name)                                                                     \
        WARD_SPAN_BEGIN(name);                                                                     \
        __attribute__((cleanup(ward__trace_span_end_at))) const char *WARD__TRACE_CAT(             \
            ward__span_, __LINE__) = (name)
static inline void ward__trace_span_end_at(const char *const *name)
{
        WARD__TRACE(WARD_TRACE_INFO, "", WARD__TRACE_SITE_SPAN_END, "%s", *name);
}

/* WARD_COUNTER("name", value): a counter sample (an integer), shown as a
 * graph by trace viewers. */
#define WARD_COUNTER(name, value)                                                                  \
        WARD__TRACE(WARD_TRACE_INFO, "", WARD__TRACE_SITE_COUNTER, name " %lld", (long long)(value))

#endif /* !__cplusplus */

WARD_END_DECLS

#endif
