/* Paced producers: ward and LTTng-UST at a fixed rate of events per second,
 * counting what reaches the files and what was lost. */
#ifndef BENCH_TRACE_PACED_H
#define BENCH_TRACE_PACED_H

#include <stddef.h>
#include <stdint.h>

enum paced_method { P_WARD, P_LTTNG, P_COUNT };

extern const char *const paced_names[P_COUNT];

/* The ward options a paced run changes (0: the default). */
struct paced_config {
        size_t buffer_size;
        uint64_t flush_interval_ns;
};

/* One paced run. lost is what the tracer itself reports (ward: events
 * dropped; LTTng: the channel's discarded events); kept is what a reader
 * finds in the files (ward: EVENT records; LTTng: babeltrace2's count). */
#define PACED_UNKNOWN UINT64_MAX /* lost, when the tracer did not say */

struct paced_result {
        uint64_t emitted, kept, lost;
        double seconds; /* the producers' time, for the rate they reached */
        int exact;      /* ward: kept + lost == emitted, and the files say lost too */
        int ok;
};

/* paced_run: threads threads, rate events/s in all, for duration_ns, in a
 * child process (ward) or the LTTng helper in a session of its own. */
struct paced_result paced_run(enum paced_method m, int threads, double rate, uint64_t duration_ns,
                              const struct paced_config *cfg, const char *tmpdir,
                              const char *bindir);

#endif
