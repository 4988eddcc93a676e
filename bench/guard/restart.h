/* bench/guard/restart.h: the restart rows of `ward bench guard`. */
#ifndef WARD_BENCH_GUARD_RESTART_H
#define WARD_BENCH_GUARD_RESTART_H

/* The medians, in ms: a crash to the restarted worker's main() (no
 * back-off), the capture inside it (the crash to the guardian's CRASHED
 * event), the rest of it (that event to the new main(), per cycle), and a
 * bare spawn of the same program to its main(). */
struct restart_rows {
        double crash_to_main, capture, after_capture, bare;
};

/* restart_measure: runs cycles of a guarded worker crashing and coming back
 * under ward_guardian_run (in a child process), and runs bare spawns of it.
 * 0, or -1 with the reason on stderr. */
int restart_measure(int runs, const char *dir, struct restart_rows *ret);

#endif
