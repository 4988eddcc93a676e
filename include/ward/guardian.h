/* ward/guardian.h (libward-inspect): the guardian's side. It starts a worker
 * (a program of its own, or the embedded program re-executed), talks to it
 * over a SOCK_SEQPACKET pair, captures it from outside when it crashes or
 * misses its heartbeat (ward/core.h), and restarts it by policy.
 * `ward run` and ward_guard_start()'s guardian role (ward/guard.h, which
 * finds ward_guardian_run with dlsym) both call it.
 * Link with libward-inspect (pkg-config ward-inspect, ward::inspect). */
#ifndef WARD_GUARDIAN_H
#define WARD_GUARDIAN_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

enum ward_guardian_restart {
        WARD_GUARDIAN_RESTART_ON_FAILURE = 0, /* a crash, a hang or a non-zero exit */
        WARD_GUARDIAN_RESTART_NO = 1,
        WARD_GUARDIAN_RESTART_ALWAYS = 2,
};

/* What happened, told to the caller's callback (a library never prints). */
enum ward_guardian_event_kind {
        WARD_GUARDIAN_STARTED = 1,  /* a worker was started (pid) */
        WARD_GUARDIAN_READY,        /* the worker handshook (guarded) */
        WARD_GUARDIAN_CRASHED,      /* it crashed (signo, code, addr; core, report) */
        WARD_GUARDIAN_HUNG,         /* it missed its heartbeat (core, report) */
        WARD_GUARDIAN_EXITED,       /* it ended (status) */
        WARD_GUARDIAN_RESTARTING,   /* a restart after delay_ns */
        WARD_GUARDIAN_GIVING_UP,    /* the burst limit, or the policy, says stop */
        WARD_GUARDIAN_ON_CRASH_RAN, /* the on-crash command ended (status, or timed out) */
        WARD_GUARDIAN_WARNING,      /* something went wrong that did not stop it (message) */
};

struct ward_guardian_event {
        enum ward_guardian_event_kind kind;
        int pid;             /* the worker */
        int signo, code;     /* CRASHED */
        uint64_t addr;       /* CRASHED */
        int status;          /* EXITED, ON_CRASH_RAN: a wait(2) status; -1 timed out */
        uint64_t delay_ns;   /* RESTARTING */
        const char *core;    /* CRASHED, HUNG: the core's path, or NULL */
        const char *report;  /* CRASHED, HUNG: the text report's path, or NULL */
        const char *message; /* WARNING, GIVING_UP: one line */
};

struct ward_guardian_options {
        uint32_t size;       /* sizeof(struct ward_guardian_options) */
        const char *path;    /* the worker's program; NULL: argv[0] searched in PATH */
        char *const *argv;   /* NULL-terminated; argv[0] required */
        const char *preload; /* a library for LD_PRELOAD (ward run: libward-crash.so); NULL none */
        enum ward_guardian_restart restart;
        uint64_t backoff_min_ns;  /* first restart delay; 0: 100 ms */
        uint64_t backoff_max_ns;  /* the cap of the doubling; 0: 30 s */
        unsigned burst;           /* at most this many restarts in burst_window_ns; 0: 5 */
        uint64_t burst_window_ns; /* 0: 60 s */
        uint64_t stable_ns;       /* up this long, the back-off resets; 0: 60 s */
        const char *dump_dir;     /* cores and reports (made if missing); NULL: "." */
        uint64_t dump_max_bytes;  /* budget of dump_dir's ward files; 0: 1 GiB */
        unsigned dump_max_count;  /* 0: 20 cores */
        int full_core;            /* keep private writable mappings */
        const char *on_crash; /* a shell command run with the core and report paths; NULL none */
        uint64_t on_crash_timeout_ns; /* 0: 30 s */
        uint64_t heartbeat_ns; /* the deadline between heartbeats; 0: the worker's own, or none */
        uint64_t handshake_timeout_ns; /* 0: 5 s */
        uint64_t grace_ns;             /* SIGTERM to SIGKILL; 0: 5 s */
        const char *listen;            /* a ward address the guardian listens on and hands to
                                        * every worker; NULL none */
        int notify;                    /* nonzero: sd_notify when NOTIFY_SOCKET is set */
        void (*event)(void *arg, const struct ward_guardian_event *ev); /* NULL: none */
        void *event_arg;
        /* appended: when READY=1 goes to systemd. 0: when the worker sends
         * STARTED (ward_guard_ready); nonzero: when it handshakes, or when
         * its handshake timed out (a program that never says it is ready). */
        int ready_at_hello;
};

/* ward_guardian_run: start the worker and guard it until it ends for good
 * (a clean exit under on-failure, the policy, the burst limit, or SIGTERM or
 * SIGINT to the calling process, which are forwarded to the worker: grace,
 * then SIGKILL). Returns the last worker's wait(2) status (>= 0), or -errno
 * when nothing could be started (-ENOENT, -EACCES of the program, -EINVAL
 * options, -errno of the dump directory or of the --listen socket); a
 * one-line message in err (err_size may be 0). Before the first worker, it
 * runs on_crash again for the dumps a failed upload left queued.
 * Thread class: the main thread of a process that does nothing else (it
 * installs handlers for SIGTERM, SIGINT and SIGCHLD and reaps its children). */
WARD_API int ward_guardian_run(const struct ward_guardian_options *o, char *err, size_t err_size);

WARD_END_DECLS

#endif
