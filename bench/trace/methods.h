/* The methods `ward bench trace` measures, each run in a child process of
 * its own (tracing starts once per process). */
#ifndef BENCH_TRACE_METHODS_H
#define BENCH_TRACE_METHODS_H

#include <stdint.h>

enum method { M_FLOOR, M_WARD, M_WARD_DISABLED, M_FPRINTF, M_SNPRINTF, M_LTTNG, M_COUNT };

extern const char *const method_names[M_COUNT];

/* The result of one measurement: ns per event, per thread (mean of the
 * threads), and the events lost (ward only). */
struct result {
        double ns_per_event;
        uint64_t lost;
        int ok;
};

/* measure: run method with threads threads of events events each, in a child
 * process. tmpdir holds files the method writes. */
struct result measure(enum method m, int threads, long events, const char *tmpdir,
                      const char *bindir);

/* measure_merge: events per second `ward trace merge` decodes, formats and
 * writes (to /dev/null) from a trace of events events; 0 on failure. */
double measure_merge(long events, const char *tmpdir, const char *bindir);

#endif
