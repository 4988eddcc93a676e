/* The measured lock loops of `ward bench locks`: each runs in a worker
 * process of its own (so the preload variant can be a plain program under
 * LD_PRELOAD), the same loop for every variant. */
#ifndef BENCH_LOCKS_OPS_H
#define BENCH_LOCKS_OPS_H

enum variant { V_PTHREAD, V_WARD, V_WARD_ORDER, V_PRELOAD, V_COUNT };
enum lock_case { C_UNCONTENDED, C_CONTENDED, C_NESTED, C_COUNT };

extern const char *const variant_names[V_COUNT];
extern const char *const case_names[C_COUNT];

/* ops_run: time n operations of case c with variant v in this process and
 * return ns per operation (a lock+unlock; a nested A->B pair counts as one).
 * A second thread exists throughout, so glibc takes its atomic paths.
 * Negative on failure. */
double ops_run(enum variant v, enum lock_case c, long n);

#endif
