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

/* What reading one trace back as text costs: events per second `ward trace
 * merge` decodes, formats and writes to a file, and babeltrace2 does the
 * same from ward's CTF export of the same events (0: not measured). */
struct merge_result {
        double ward, babeltrace2;
};

/* measure_merge: a trace of events events of one thread, read back by both;
 * ward 0 on failure, babeltrace2 0 when it is missing or failed. */
struct merge_result measure_merge(long events, const char *tmpdir, const char *bindir);

#endif
