/* The time column of merged text lines: see timefmt.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <ward/trace-read.h>

#include "inspect/trace/print.h"
#include "inspect/trace/timefmt.h"

int ward_trace_parse_time(const char *s)
{
        static const char *const names[] = {"mono", "wall", "delta"};
        for (int i = 0; s && i < 3; i++) {
                if (strcmp(s, names[i]) == 0) {
                        return i;
                }
        }
        return -EINVAL;
}

void ward__trace_timefmt_init(struct ward__trace_timefmt *t, int mode)
{
        *t = (struct ward__trace_timefmt){.mode = mode, .sec = -1};
}

static void put_digits(struct ward__buf *out, uint64_t v, int width)
{
        char d[20];
        int i = sizeof(d);
        do {
                d[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v || (int)sizeof(d) - i < width);
        ward__trace_put(out, d + i, sizeof(d) - (size_t)i);
}

/* put_seconds: ns as s.nnnnnnnnn */
static void put_seconds(struct ward__buf *out, uint64_t ns)
{
        put_digits(out, ns / 1000000000u, 1);
        ward__trace_putc(out, '.');
        put_digits(out, ns % 1000000000u, 9);
}

static void put_wall(struct ward__trace_timefmt *t, struct ward__buf *out, uint64_t ns,
                     int64_t shift)
{
        int64_t real = (int64_t)ns + shift; /* both below 2^62: no overflow */
        uint64_t r = real < 0 ? 0 : (uint64_t)real;
        int64_t sec = (int64_t)(r / 1000000000u);
        if (sec != t->sec) {
                time_t tt = (time_t)sec;
                struct tm tm;
                size_t n = gmtime_r(&tt, &tm)
                               ? strftime(t->date, sizeof(t->date), "%Y-%m-%dT%H:%M:%S", &tm)
                               : 0;
                t->datelen = (unsigned)n;
                t->sec = sec;
        }
        ward__trace_put(out, t->date, t->datelen);
        ward__trace_putc(out, '.');
        put_digits(out, r % 1000000000u, 9);
        ward__trace_putc(out, 'Z');
}

void ward__trace_put_time_tid(struct ward__trace_timefmt *t, struct ward__buf *out, uint64_t ns,
                              int64_t wall_shift, uint32_t tid)
{
        if (t->mode == WARD_TRACE_TIME_WALL) {
                put_wall(t, out, ns, wall_shift);
        } else if (t->mode == WARD_TRACE_TIME_DELTA) {
                if (!t->started) {
                        t->first = t->prev = ns;
                        t->started = 1;
                }
                put_seconds(out, ns > t->first ? ns - t->first : 0);
                ward__trace_put(out, " +", 2);
                put_seconds(out, ns > t->prev ? ns - t->prev : 0);
                t->prev = ns > t->prev ? ns : t->prev;
        } else {
                ward__trace_print_time_tid(out, ns, tid);
                return;
        }
        ward__trace_putc(out, ' ');
        put_digits(out, tid, 1);
        ward__trace_put(out, " : ", 3);
}
