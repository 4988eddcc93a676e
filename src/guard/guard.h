/* The worker's side of the guardian (ward/guard.h): the state the crash
 * handler reads, and the steps ward_guard_start and libward-crash.so share.
 * The handler runs in any thread at any moment: everything it reads is set
 * before the handlers are installed and not changed afterwards, except the
 * atomics. */
#ifndef WARD_GUARD_GUARD_H
#define WARD_GUARD_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include <ward/guard.h>

/* Set by a guardian role that could not guard (and the program is executed
 * as a plain worker): why, one line. The worker starts in fallback mode. */
#define WARD__GUARD_ENV_FALLBACK "WARD_GUARD_FALLBACK"
/* Set by the guardian role to its pid: a direct child of it that finds no
 * WARD_GUARD_FD does not execute itself as a guardian again (no chain of
 * guardians when a guardian starts its worker without the socket). */
#define WARD__GUARD_ENV_GUARDIAN "WARD_GUARD_GUARDIAN"
/* The library the guardian role loads, unless WARD_INSPECT_LIBRARY names another. */
#define WARD__GUARD_INSPECT_LIBRARY "libward-inspect.so.0"
#define WARD__GUARD_ENV_INSPECT "WARD_INSPECT_LIBRARY"

#define WARD__GUARD_HANDSHAKE_DEFAULT_NS 5000000000ull
#define WARD__GUARD_ACK_DEFAULT_NS 30000000000ull
#define WARD__GUARD_WHY_MAX 256
#define WARD__GUARD_NOTE_HEAD_MAX 128

struct ward__guard {
        int state;        /* enum ward_guard_state; atomic */
        int fd;           /* the guardian's socket; -1 without */
        int pid;          /* the guarded process (a child it forks is not guarded) */
        int guardian_pid; /* for PR_SET_PTRACER; 0 unknown */
        int fallback_fd;  /* where the note goes */
        /* which open files fd and fallback_fd were: a program that closes
         * its descriptors after ward_guard_start (a daemon's set-up) may get
         * those numbers back for files of its own, which ward must not write */
        struct ward__guard_file {
                uint64_t dev, ino;
        } fd_file, fallback_file;
        uint64_t ack_timeout_ns;
        uint64_t send_timeout_ns;                  /* ward_guard_ready: the handshake timeout */
        uint64_t heartbeat_deadline_ns;            /* what READY said the guardian enforces */
        uint64_t beat_seq;                         /* atomic */
        int crashing;                              /* the tid of the thread that reports; atomic */
        char why[WARD__GUARD_WHY_MAX];             /* fallback: why */
        char note_head[WARD__GUARD_NOTE_HEAD_MAX]; /* "ward: process PID (COMM) " */
};

extern struct ward__guard ward__guard;

/* ward__guard_worker_start: the worker case of ward_guard_start (env
 * WARD_GUARD_FD set; it is removed): handshake, then the handlers. o holds
 * the caller's options with defaults filled in. Returns 0 guarded, 1
 * fallback (why in ward__guard.why). Main thread, once. */
int ward__guard_worker_start(const struct ward_guard_options *o);

/* ward__guard_fallback_start: no guardian, for the reason why: the handlers
 * with the note only. Returns 1. */
int ward__guard_fallback_start(const struct ward_guard_options *o, const char *why);

/* ward__guard_handshake: HELLO (with SCM_CREDENTIALS) on fd, then wait up
 * to timeout_ns for READY; *ret_deadline gets READY's heartbeat deadline.
 * Returns 0, -ETIMEDOUT, -EPROTO (not a READY), -EPIPE / -ECONNRESET (the
 * guardian went away), -errno of the socket; a line in why. */
int ward__guard_handshake(int fd, uint64_t heartbeat_ns, uint64_t timeout_ns,
                          uint64_t *ret_deadline, char *why, size_t n);

/* ward__guard_file_note: remember which open file fd is (fstat). */
void ward__guard_file_note(int fd, struct ward__guard_file *f);

/* ward__guard_file_same: is fd still the open file f? Async-signal-safe. */
int ward__guard_file_same(int fd, const struct ward__guard_file *f);

struct ward__guard_msg;

/* ward__guard_send_within: send record m on fd, waiting at most timeout_ns
 * for room (0: not at all). Returns 0, -ETIMEDOUT (no room in time; with 0:
 * at once), -EPIPE (the guardian is gone), -errno. Async-signal-safe. */
int ward__guard_send_within(int fd, const struct ward__guard_msg *m, uint64_t timeout_ns);

/* ward__guard_wait_readable: does fd have a record before deadline
 * (ward_now_ns)? 0, -ETIMEDOUT, -EPIPE (hang-up without data), -errno.
 * Async-signal-safe. */
int ward__guard_wait_readable(int fd, uint64_t deadline);

/* ward__guard_handlers_install: the note's head, the fallback fd, the crash
 * handlers for every fatal signal (SA_ONSTACK), and the calling thread's
 * alternate stack. Returns 0 or -errno. */
int ward__guard_handlers_install(const struct ward_guard_options *o);

/* ward__guard_note_prepare: the note's head for this process. */
void ward__guard_note_prepare(void);

/* ward__guard_note_write: the one-line note without a guardian: head,
 * signal, code, address, thread, then reason. Async-signal-safe. */
void ward__guard_note_write(int signo, int code, uint64_t addr, int tid, const char *reason);

/* ward__guard_thread_enter: ward_guard_thread_init when guarding is on (threads
 * ward starts call it first). */
void ward__guard_thread_enter(void);

/* ward__guard_guardian_role: argv[1] is the role argument: run the guardian
 * and exit with the worker's status. Never returns. */
_Noreturn void ward__guard_guardian_role(int argc, char **argv, const struct ward_guard_options *o);

#endif
