/* The scan100 case of `ward bench locks`: `ward locks` on a process of 100
 * threads, 50 of them blocked on mutexes, next to eu-stack on the same
 * process. */
#ifndef BENCH_LOCKS_SCAN_H
#define BENCH_LOCKS_SCAN_H

#include <sys/types.h>

enum scanner { S_WARD_SCAN, S_WARD_STACKS, S_EU_STACK, S_EU_STACK_S, S_COUNT };

extern const char *const scanner_names[S_COUNT];

/* scan_target_main: be the target (100 threads, 50 blocked; "ready" on
 * stdout once they are); never returns. */
void scan_target_main(void);

/* scan_time: run scanner s on pid once, output discarded; milliseconds, or
 * a negative number when it could not run or failed. */
double scan_time(enum scanner s, const char *bindir, pid_t pid);

#endif
