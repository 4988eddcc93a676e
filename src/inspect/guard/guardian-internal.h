/* The guardian loop's parts (ward/guardian.h), one file each: the worker's
 * start and handshake, the capture of a crash or a hang, the dump
 * directory's budget and upload queue, the restart policy, sd_notify, the
 * listening socket it hands on, the signals it forwards and the files a
 * dead worker leaves in /dev/shm. Everything runs on the thread that called
 * ward_guardian_run. */
#ifndef WARD_INSPECT_GUARDIAN_INTERNAL_H
#define WARD_INSPECT_GUARDIAN_INTERNAL_H

/* at most this many systemd sockets (LISTEN_FDS) are handed on to a worker */
#define WARD__GUARDIAN_SYSTEMD_FDS_MAX 16
/* at most this many ended workers wait for their tidying (guardian.c) */
#define WARD__GUARDIAN_LEFT_MAX 4

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ward/guardian.h>
#include <ward/spawn.h>
#include <ward/time.h>

/* The restart policy: back-off, burst limit and reset (guardian-policy.c). */
struct ward__restart_policy {
        enum ward_guardian_restart restart;
        uint64_t min_ns, max_ns, window_ns, stable_ns;
        unsigned burst;
        uint64_t next_delay_ns; /* the delay of the next restart */
        uint64_t *times;        /* the last burst restart times (a ring) */
        unsigned n_times, head;
};

/* What ward__policy_next decided. */
enum ward__policy_verdict {
        WARD__POLICY_RESTART = 0, /* after *delay_ns */
        WARD__POLICY_DONE,        /* the policy ends it (a clean exit, restart=no) */
        WARD__POLICY_BURST,       /* the burst limit ends it */
};

/* ward__policy_init: the policy of o (defaults filled). -EINVAL, -ENOMEM. */
int ward__policy_init(struct ward__restart_policy *p, const struct ward_guardian_options *o);
void ward__policy_free(struct ward__restart_policy *p);

/* ward__policy_next: a worker that ran up_ns ended at now_ns (monotonic),
 * failed or not: restart it (and after how long), or stop? A restart is
 * counted against the burst limit. */
enum ward__policy_verdict ward__policy_next(struct ward__restart_policy *p, int failed,
                                            uint64_t up_ns, uint64_t now_ns, uint64_t *delay_ns);

/* The guardian's state. */
struct ward__guardian {
        struct ward_guardian_options o; /* the caller's, with defaults filled */
        char *err;
        size_t err_size;
        int sig_fd;      /* readable: a SIGTERM or SIGINT arrived */
        int stop_signal; /* the signal that asked us to stop, 0 none */
        int listen_fd;   /* the socket handed to workers, -1 none */
        int notify_fd;   /* the NOTIFY_SOCKET datagram socket, -1 none */
        struct ward__restart_policy policy;
        /* the current worker */
        ward_proc *proc;
        int pid;
        int sock;             /* our end of the pair, -1 closed */
        int guarded;          /* it handshook */
        uint64_t started_ns;  /* monotonic */
        uint64_t hello_until; /* the handshake deadline, 0 once past */
        uint64_t beat_ns;     /* the heartbeat deadline enforced, 0 none */
        uint64_t beat_due;    /* when the next beat is due, 0 none */
        int worker_ready;     /* this worker said it is ready */
        int told_ready;       /* READY=1 sent to systemd (once) */
        int status;           /* the last worker's wait status */
        /* what ended workers left, tidied once the next one handshook */
        int left_pids[WARD__GUARDIAN_LEFT_MAX]; /* their /dev/shm files */
        int n_left;
        int left_dump;   /* one left a dump: the dump budget is due */
        char core[4096]; /* its dump's core and report, "" none */
        char report[4096];
};

/* ward__guardian_event: tell the caller (when it listens). */
void ward__guardian_event(struct ward__guardian *g, const struct ward_guardian_event *ev);
/* ward__guardian_warn: a WARNING event with a formatted message. */
void ward__guardian_warn(struct ward__guardian *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ward__worker_start: socketpair, the worker's environment (WARD_GUARD_FD,
 * LD_PRELOAD, WARD_LISTEN_*), ward_proc_spawn. -errno of spawn. */
int ward__worker_start(struct ward__guardian *g);
/* ward__worker_recv: one record from the worker into *m; on the handshake
 * (want_creds) the sender's credentials must be the worker's. 1 a record,
 * 0 nothing now, -EPIPE the worker closed its end, -EPROTO / -EINVAL /
 * -EPERM a bad record (the conversation is over). */
struct ward__guard_msg;
int ward__worker_recv(struct ward__guardian *g, struct ward__guard_msg *m, int want_creds);
/* ward__worker_send: a record of type t with value. 0 or -errno. */
int ward__worker_send(struct ward__guardian *g, int type, uint64_t value);
/* ward__worker_hello: check a HELLO against the child (its start time),
 * answer READY with the heartbeat deadline. 0 or -errno. */
int ward__worker_hello(struct ward__guardian *g, const struct ward__guard_msg *m);
/* ward__worker_close: our end of the pair closed, the worker freed. */
void ward__worker_close(struct ward__guardian *g);
/* ward__status_of: a wait(2) status from how a process ended. */
struct ward_proc_status;
int ward__status_of(const struct ward_proc_status *st);

/* ward__capture_crash: a CRASH record: check its thread, read its
 * ucontext_t, write the core and report, ACK, wait for the worker's end and
 * reap it (SIGKILL after the grace). Fills *status and g->core, g->report.
 * Events CRASHED. */
int ward__capture_crash(struct ward__guardian *g, const struct ward__guard_msg *m, int *status);
/* ward__capture_hang: a missed heartbeat: core and report of the live
 * process, its lock scan (a deadlock named), then SIGTERM, grace, SIGKILL.
 * Fills *status and g->core, g->report. Events HUNG. */
int ward__capture_hang(struct ward__guardian *g, int *status);

/* ward__shm_cleanup: remove /dev/shm/ward-*.PID of a reaped worker (ours
 * only). Returns how many went. */
int ward__shm_cleanup(int pid);

/* ward__dump_name: is name (a file of the dump directory, untrusted) one of
 * ward's, "core.PID.YYYYmmdd-HHMMSS" followed by "", ".txt", ".json",
 * ".locks.txt" or ".queued"? The length of the core's part (its suffix in
 * *suffix, a static string), else 0. Any thread. */
size_t ward__dump_name(const char *name, const char **suffix);

/* ward__dumps_budget: keep dir's ward dumps within max_count cores and
 * max_bytes (the oldest go first; only core.PID.STAMP and its companions). */
void ward__dumps_budget(struct ward__guardian *g);
/* ward__dumps_upload: run on_crash for core (and report) with its deadline;
 * a failure leaves the dump queued (core.queued). 0 ran and succeeded,
 * -EINTR a stop signal came meanwhile, else -errno or -ECANCELED (failed). */
int ward__dumps_upload(struct ward__guardian *g, const char *core, const char *report);
/* ward__dumps_retry: run on_crash again for every queued dump of dir. */
void ward__dumps_retry(struct ward__guardian *g);

/* ward__notify_open: the NOTIFY_SOCKET socket, if notify and it is set. */
void ward__notify_open(struct ward__guardian *g);
/* ward__notify_parse: $NOTIFY_SOCKET (untrusted), "/path" or "@abstract",
 * into *a and *len. 0, or -EINVAL (empty, relative, too long). */
int ward__notify_parse(const char *s, struct sockaddr_un *a, socklen_t *len);
/* ward__notify: send one sd_notify datagram ("READY=1", "STATUS=..."). */
void ward__notify(struct ward__guardian *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ward__listen_open: the listening socket of o->listen. -errno. */
int ward__listen_open(struct ward__guardian *g);
/* ward__listen_close: close it (and unlink a unix: path). */
void ward__listen_close(struct ward__guardian *g);

/* ward__signals_catch: SIGTERM and SIGINT make sig_fd readable (a handler
 * writing the signal's number to a pipe: the worker, started with our mask,
 * must not inherit them blocked). ward__signals_restore: the old handlers. */
int ward__signals_catch(struct ward__guardian *g);
void ward__signals_restore(struct ward__guardian *g);
/* ward__signals_take: the signal waiting in sig_fd, 0 none. */
int ward__signals_take(struct ward__guardian *g);

/* ward__wait_or_signal: wait for fd to be readable until deadline
 * (monotonic ns; 0: forever) or a stop signal. 0 readable, -ETIMEDOUT,
 * -EINTR (a stop signal, recorded in stop_signal). */
int ward__wait_or_signal(struct ward__guardian *g, int fd, uint64_t deadline);

#endif
