/* ward/debug.h (libward-inspect): follow a program as a debugger does, and
 * hear what happens to it: threads starting and ending, processes forking,
 * exec'ing and exiting, signals (a fault with its si_code and address),
 * libraries loaded and unloaded, and what it writes to stderr, line by line.
 * It changes nothing: every signal is given back, and a detached program
 * runs on as before. `ward debug` is built on it.
 *
 * How: ptrace (PTRACE_SEIZE with PTRACE_O_TRACEFORK, TRACEVFORK, TRACECLONE,
 * TRACEEXEC and TRACEEXIT), so children and their threads are followed too.
 * Library events come from libward-audit.so, an LD_AUDIT library put in the
 * environment of a program that ward_debug_spawn starts (so not for
 * ward_debug_attach); stderr is a pipe to the debugger, also only for a
 * spawned program. Link with libward-inspect.
 *
 * Thread class: ptrace requests must come from the thread that attached, so
 * everything here except ward_debug_interrupt is for the thread that called
 * ward_debug_spawn or ward_debug_attach (the tracer thread); the callback
 * runs on it too, inside ward_debug_run. */
#ifndef WARD_DEBUG_H
#define WARD_DEBUG_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

typedef struct ward_debug ward_debug;

enum ward_debug_kind {
        WARD_DEBUG_ATTACHED = 1,   /* ward_debug_attach: tid was there already */
        WARD_DEBUG_THREAD_START,   /* tid started in process pid */
        WARD_DEBUG_THREAD_EXIT,    /* tid ended (status: its exit code, or signo killed it) */
        WARD_DEBUG_FORK,           /* tid of pid made process child (vfork: 1 for vfork) */
        WARD_DEBUG_EXEC,           /* pid now runs text (the program's path) */
        WARD_DEBUG_EXIT,           /* process pid ended: status, or signo (and core) */
        WARD_DEBUG_SIGNAL,         /* signo reached tid: code (si_code), addr, pc, sender */
        WARD_DEBUG_LIBRARY_LOAD,   /* pid mapped library text at addr (its load bias) */
        WARD_DEBUG_LIBRARY_UNLOAD, /* pid unmapped library text */
        WARD_DEBUG_OUTPUT,         /* a line the program (or a child) wrote to stderr */
};

struct ward_debug_event {
        enum ward_debug_kind kind;
        int pid;          /* the process (thread group id); for OUTPUT the spawned program */
        int tid;          /* the thread */
        int child;        /* FORK: the new process */
        int vfork;        /* FORK: made by vfork (or posix_spawn) */
        int status;       /* THREAD_EXIT, EXIT: the exit code when signo is 0 */
        int signo;        /* SIGNAL: the signal; THREAD_EXIT, EXIT: the signal that killed it */
        int core;         /* EXIT: a core was dumped */
        int code;         /* SIGNAL: si_code (SEGV_MAPERR, SI_USER, ...) */
        int sender;       /* SIGNAL: si_pid for a signal a process sent, else 0 */
        uint64_t addr;    /* SIGNAL: the fault address (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                             SIGTRAP from the kernel); LIBRARY_*: the load bias */
        uint64_t pc;      /* SIGNAL: where the thread was */
        const char *text; /* EXEC: program; LIBRARY_*: path; OUTPUT: the line, without its
                             newline. The program's bytes: not NUL-free, not UTF-8 for sure */
        size_t len;       /* of text */
};

/* ward_debug_fn: one event, in the order things happened (for events of
 * one thread, and for any two that one caused the other). ev is valid during
 * the call only. Return 0 to go on; anything else makes ward_debug_run return
 * it. */
typedef int ward_debug_fn(void *arg, const struct ward_debug_event *ev);

/* ward_debug_spawn: start argv (argv[0] looked up in PATH) under the
 * debugger, with the caller's environment plus LD_AUDIT=audit_library and
 * its socket; stderr goes to the debugger (OUTPUT events), stdin and stdout
 * are the caller's. audit_library NULL: libward-audit.so next to
 * libward-inspect.so (lib/ward/ once installed, lib/ in the build tree); ""
 * for no library events. The program is stopped at its exec until
 * ward_debug_run. Returns 0 and *ret (the caller's: ward_debug_close), or
 * -EINVAL, -ENOENT/-EACCES (argv[0] cannot be run), -EPERM (ptrace not
 * allowed), -ENOMEM, -EMFILE. The program is a child of the caller: after
 * ward_debug_detach, reap it (waitpid(ward_debug_pid(d))). If the caller
 * dies while tracing, the program is killed (PTRACE_O_EXITKILL). */
WARD_API int ward_debug_spawn(char *const argv[], const char *audit_library, ward_debug_fn *cb,
                              void *arg, ward_debug **ret);

/* ward_debug_attach: follow the running process pid (all its threads,
 * PTRACE_SEIZE: it is not stopped). An ATTACHED event per thread comes first
 * in ward_debug_run. Returns 0 and *ret, or -EINVAL (pid <= 0, the caller
 * itself), -ESRCH, -EPERM (another user's, ptrace_scope, no
 * CAP_SYS_PTRACE), -EBUSY (already traced), -ENOMEM. */
WARD_API int ward_debug_attach(int pid, ward_debug_fn *cb, void *arg, ward_debug **ret);

/* ward_debug_run: wait for events and hand them to the callback until every
 * followed process has ended (returns 0), the callback returns nonzero
 * (returns that), ward_debug_interrupt is called (-EINTR), or timeout_ms
 * passes (-ETIMEDOUT; -1 waits for ever). May be called again. While it runs,
 * SIGCHLD is blocked in the calling thread and read from a signalfd (a
 * SIGCHLD handler of the caller's may miss some meanwhile; children that are
 * not followed are never reaped here). Tracer thread only. */
WARD_API int ward_debug_run(ward_debug *d, int timeout_ms);

/* ward_debug_interrupt: make ward_debug_run return -EINTR soon. Any thread,
 * async-signal-safe (a SIGINT handler may call it). Returns 0 or -errno. */
WARD_API int ward_debug_interrupt(ward_debug *d);

/* ward_debug_detach: stop following: every thread is let go as it was
 * (running, or stopped by a signal it got), a signal that was arriving is
 * given back, and library and stderr events end (stderr stays the pipe,
 * whose reading end ward_debug_close closes: a program that then writes to
 * stderr gets EPIPE). Returns 0 or -errno. Tracer thread only. */
WARD_API int ward_debug_detach(ward_debug *d);

/* ward_debug_pid: the process spawned or attached to. */
WARD_API int ward_debug_pid(const ward_debug *d);

/* ward_debug_close: detach what is still followed and free d (NULL is
 * fine). Tracer thread only. */
WARD_API void ward_debug_close(ward_debug *d);

/* ward_debug_event_name: "attached", "thread-start", "thread-exit", "fork",
 * "exec", "exit", "signal", "library-load", "library-unload", "output".
 * Static storage; any thread. */
WARD_API const char *ward_debug_event_name(enum ward_debug_kind kind);

WARD_END_DECLS

#endif
