/* What every benchmark shows while it runs: on a terminal, one line of
 * stderr overwritten in place (which row, run k of n); nothing when stderr
 * is piped or a file, so that logs and --json output stay clean. */
#ifndef BENCH_COMMON_PROGRESS_H
#define BENCH_COMMON_PROGRESS_H

/* bench_progress: "BENCH: ROW, run K of N" over the previous line, when
 * stderr is a terminal. row may be NULL. Single-threaded: the benchmark's
 * main thread. */
void bench_progress(const char *bench, const char *row, unsigned k, unsigned n);

/* bench_progress_done: clear the progress line (when one was shown), before
 * the results or an error are printed. */
void bench_progress_done(void);

#endif
