/* ward/guard.h (libward): the worker's side of the guardian. A program calls
 * ward_guard_start() first thing in main(); it re-executes itself as its own
 * guardian (the same PID, so a shell or systemd keeps seeing the process it
 * started), which starts the program again as the worker, handshakes with it
 * and, when the worker crashes or hangs, captures it from outside
 * (ward/core.h), then restarts it by policy (ward/guardian.h).
 *
 * In the worker, ward_guard_start() installs a crash handler for SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP and SIGSYS on an alternate signal
 * stack (so a stack overflow is caught too). On a crash the first crashing
 * thread tells the guardian where its siginfo_t and ucontext_t are, waits
 * for its acknowledgement, then restores the default action and re-raises,
 * so the process ends by the signal it got. Without a guardian (none
 * answered, or it died) the handler writes a one-line note to a file
 * descriptor opened in advance and re-raises, so the system's own core
 * handling takes over.
 *
 * What main() must look like:
 *
 *     int main(int argc, char **argv)
 *     {
 *             struct ward_guard_options go = {.size = sizeof(go)};
 *             int g = ward_guard_start(&argc, &argv, &go);
 *             if (g < 0) { ...bad options... }
 *             if (g == 1) { ...fallback: ward_guard_status() says why... }
 *             ...the program, threads, files...
 *             ward_guard_ready();               when it serves
 *     }
 *
 * Nothing before ward_guard_start() should start threads, open files
 * without O_CLOEXEC or have effects that must not happen twice: the process
 * that calls it first becomes the guardian by execv() and never returns
 * from it, and the worker runs main() again from the top.
 *
 * A child the worker forks keeps the handlers but is not guarded: its
 * crash writes the note, and its heartbeats return -ENOTCONN.
 *
 * Unmodified programs get the same worker side from libward-crash.so
 * (LD_PRELOAD, as `ward run` does).
 * Link with libward (pkg-config ward, ward::ward); the guardian role loads
 * libward-inspect.so.0 with dlopen when it runs. */
#ifndef WARD_GUARD_H
#define WARD_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

struct ward_guardian_options;

struct ward_guard_options {
        uint32_t size;                 /* sizeof(struct ward_guard_options) */
        uint64_t handshake_timeout_ns; /* the worker waits this long for READY; 0: 5 s */
        uint64_t heartbeat_ns;         /* the heartbeat deadline the worker asks its guardian for
                                        * (ward_guard_heartbeat); 0: none */
        uint64_t ack_timeout_ns;       /* the crashing thread waits this long for the guardian's
                                        * acknowledgement; 0: 30 s */
        /* The embedded guardian's policy (restart, dumps, on-crash command...);
         * NULL: its defaults. Its path and argv are ignored: the guardian runs
         * this program (/proc/self/exe) with this process's arguments. */
        const struct ward_guardian_options *guardian;
        int fallback_fd; /* where the crash note goes without a guardian (opened by the
                          * caller, kept open); -1 or 0 (a zeroed field): a duplicate
                          * of stderr made when the handlers are installed */
};

/* What ward_guard_status says. */
enum ward_guard_state {
        WARD_GUARD_OFF = 0,      /* ward_guard_start was not called (or failed) */
        WARD_GUARD_ON = 1,       /* guarded: a guardian answered */
        WARD_GUARD_FALLBACK = 2, /* handlers installed, no guardian: crashes go to the
                                  * system's core handling after a note */
};

/* ward_guard_start: make this process a guarded worker. Call it first in
 * main() with main's argc and argv, before any thread starts. Three cases:
 *   - argv[1] is the guardian's role argument ("--ward-role=guardian"): this
 *     process is the guardian. It loads libward-inspect.so.0 (the library
 *     search path; the environment variable WARD_INSPECT_LIBRARY names
 *     another file), runs ward_guardian_run() on this program with the
 *     arguments after the role argument, and exits with the last worker's
 *     status (its exit code, or 128 + its signal). Never returns. If the
 *     library cannot be loaded or the guardian cannot start, it executes the
 *     program as a plain worker that starts in fallback mode and says why.
 *   - WARD_GUARD_FD is set (the guardian started this process): handshake
 *     (HELLO with this process's credentials, then READY within
 *     handshake_timeout_ns), install the handlers on an alternate stack for
 *     the calling thread. Returns 0 (guarded), or 1 (fallback: handlers
 *     installed, no guardian; ward_guard_status says why).
 *   - neither: execv("/proc/self/exe") with the role argument inserted as
 *     argv[1]: this process becomes its own guardian (never returns). If the
 *     exec fails: fallback mode, returns 1.
 * argc and argv are left as they are in the worker (the guardian never
 * returns), o may be NULL (defaults). Errors: -EINVAL (options, argc < 1),
 * -EALREADY (called before in this process). Main thread, once, before any
 * other thread exists. */
WARD_API int ward_guard_start(int *argc, char ***argv, const struct ward_guard_options *o);

/* ward_guard_status: the guard state of this process (enum ward_guard_state)
 * and, in why (n bytes, NUL-terminated; why may be NULL with n 0), one line
 * saying why it is in fallback mode ("" otherwise). Any thread. */
WARD_API int ward_guard_status(char *why, size_t n);

/* ward_guard_heartbeat: tell the guardian this process is alive (a BEAT
 * record; never blocks: a full socket drops the beat). Call it more often
 * than the heartbeat deadline. Returns 0, -ENOTCONN (not guarded), -EAGAIN
 * (dropped), -EPIPE (the guardian is gone). Async-signal-safe; any thread. */
WARD_API int ward_guard_heartbeat(void);

/* ward_guard_ready: tell the guardian the application is ready to serve
 * (a STARTED record; `ward run` reports READY=1 to systemd then). Waits at
 * most the handshake timeout for room on the socket. Returns 0, -ENOTCONN
 * (not guarded), -ETIMEDOUT (the guardian reads nothing), -EPIPE (the
 * guardian is gone), -errno of send. Any thread. */
WARD_API int ward_guard_ready(void);

/* ward_guard_thread_init: give the calling thread an alternate signal stack
 * (so a stack overflow in it reaches the crash handler). Threads started by
 * ward itself and, under libward-crash.so, every thread get one
 * automatically; call it first in threads the program starts itself. The
 * stack is freed when the thread exits. A no-op when the thread has one
 * already or ward_guard_start was not called. Returns 0, -ENOMEM, -errno
 * of sigaltstack. Any thread, for itself. */
WARD_API int ward_guard_thread_init(void);

WARD_END_DECLS

#endif
