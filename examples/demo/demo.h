/* ward-demo, the orchestrator: what its files share. demo.c runs the
 * sequence; demo-rundir.c prepares the run directory; demo-proc.c starts
 * the guardians (`ward run --json`) and reads what they say; demo-look.c
 * runs the ward commands that look at the system; demo-shm.c checks
 * /dev/shm; demo-summary.c prints the screens (or --json). */
#ifndef WARD_DEMO_H
#define WARD_DEMO_H

#include "demo-common.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DEMO_MAX_PIDS 64
#define DEMO_MAX_LINES 64
#define DEMO_LINE 1024

/* a copy of some lines of a command's output, for the summary */
struct demo_lines {
        char line[DEMO_MAX_LINES][DEMO_LINE];
        int n;
};

/* one `ward run --json -- PROG...`: the guardian and its worker */
struct demo_proc {
        const char *name; /* "hal", "platform", "app" */
        pid_t pid;        /* the guardian */
        int out;          /* its stdout: the events and the worker's output */
        int worker;       /* the worker started last */
        int status;       /* the guardian's exit status once reaped, else -1 */
        int eof;
        char buf[16384];
        size_t len;
        char line[DEMO_LINE]; /* the line demo_proc_next returned */
};

struct demo_path {
        char name[32];
        unsigned long calls;
        uint64_t median_ns;
};

struct demo {
        /* where things are */
        char bin[PATH_MAX], lib[PATH_MAX], ward[PATH_MAX + 8];
        char dir[PATH_MAX]; /* the run directory */
        char trace_dir[PATH_MAX + 8], dumps[PATH_MAX + 8];
        char hal_addr[64], frame_addr[64], platform_addr[64];
        unsigned long calls, crash_after;
        int json;
        uint64_t t0;
        /* what happened */
        struct demo_proc proc[3];
        int pids[DEMO_MAX_PIDS]; /* every process we started, and their workers */
        int npids;
        int hal_pid, first_serve_pid, serve_pid, app_pid;
        struct {
                int pid;
                char signal[32], core[PATH_MAX + 64], report[PATH_MAX + 64];
                long long core_bytes;
                struct demo_lines frames;
                uint64_t at_ns, restarted_ns;
        } crash;
        struct demo_path path[4];
        int npaths;
        unsigned restarts, failed;
        uint64_t slowest_ns;
        struct demo_lines ps_tree, locks, trace_call;
        char trace_text[PATH_MAX + 16], trace_json[PATH_MAX + 16];
        long trace_events, trace_processes;
        long long trace_json_bytes;
        int trace_json_ok;
        struct demo_lines shm_left, shm_removed;
        struct demo_lines problems; /* what went wrong: the run fails */
        int status_hal, status_platform, status_app;
        double seconds;
};

enum { DEMO_HAL, DEMO_PLATFORM, DEMO_APP };

/* set by SIGINT or SIGTERM: every wait gives up, everything is stopped */
extern volatile int demo_interrupted;

/* demo_say: a progress line (stdout; stderr under --json) */
void demo_say(const struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* demo_problem: note what went wrong (the run then exits 1) */
void demo_problem(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* demo-rundir.c: empty (or create) d->dir and its trace and dump dirs;
 * refuses a directory that holds other things than an earlier run.
 * 0, or -errno with the reason in err */
int demo_rundir_prepare(struct demo *d, char *err, size_t size);

/* demo-proc.c */
void demo_add_pid(struct demo *d, int pid);
int demo_proc_start(struct demo *d, int which, char *const argv[]);
/* the next line within timeout, NULL at its end, its timeout or a signal */
const char *demo_proc_next(struct demo *d, int which, uint64_t deadline_ns);
/* read lines until one starts with prefix (an event: "{\"event\":\"crashed\"") */
const char *demo_proc_until(struct demo *d, int which, const char *prefix, uint64_t deadline_ns);
/* SIGTERM, read to the end, reap (SIGKILL after the grace); the exit status */
int demo_proc_stop(struct demo *d, int which);
void demo_stop_all(struct demo *d);
/* demo_json_field: the string (or number, as text) of member key of the
 * JSON object line: 0, -ENOENT (no such member), -EINVAL (not an object, or
 * the member is neither), -ENAMETOOLONG (it does not fit out) */
int demo_json_field(const char *line, const char *key, char *out, size_t size);

/* demo-look.c: run `ward ARGS...` (NULL-terminated; stderr into
 * DIR/ward.log); its exit status, and its stdout in *out (malloc'd,
 * NUL-terminated; the caller frees it) when out is not NULL */
int demo_ward(struct demo *d, const char *const *args, char **out);
void demo_lines_add(struct demo_lines *l, const char *s, size_t len);
int demo_look_crash(struct demo *d);
int demo_look_ps(struct demo *d);
int demo_look_locks(struct demo *d);
int demo_look_trace(struct demo *d);

/* demo-shm.c: our processes' files in /dev/shm; the ones of processes that
 * are gone are removed (listed in shm_removed), live ones listed in shm_left */
void demo_shm_check(struct demo *d);

/* demo-summary.c */
void demo_print_summary(struct demo *d);
void demo_print_json(struct demo *d);

#endif
