/* ward/stack.h (libward-inspect): stacks and symbols of another process's
 * threads. Link with libward-inspect (pkg-config ward-inspect, ward::inspect). */
#ifndef WARD_STACK_H
#define WARD_STACK_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

typedef struct ward_stack ward_stack;

/* ---- One thread at a time: ward_stack_* ----
 *
 * Stacks of another process's threads without stopping them: libdwfl unwinds
 * with the target's CFI, starting from the SP and PC that
 * /proc/PID/task/TID/syscall shows for a thread blocked in a system call, and
 * reads the target's memory with process_vm_readv. No ptrace: the target keeps
 * running (a blocked thread's stack does not move while it stays blocked). */

struct ward_stack_frame {
        uint64_t pc;       /* the return address (the PC itself for frame 0) */
        char func[128];    /* the function's symbol, "" if none; an inlined frame's DWARF name */
        uint64_t func_off; /* pc minus the symbol's start (0 for an inlined frame) */
        char module[64];   /* the file's base name ("libc.so.6"), "" if none */
        char file[256];    /* source file with DWARF line info, else "" */
        int line;          /* its line, 0 without */
        int inlined;       /* 1: a function inlined into the next frame (same pc), as gdb
                              shows it; 0: a real frame */
        char build_id[65]; /* the module's GNU build-id in hex, "" if it has none */
};

struct ward_stack;

/* ward_stack_open: prepare to unwind threads of process pid: reads its
 * /proc/PID/maps and the ELF files mapped there. with_lines nonzero also
 * looks up file:line (DWARF .debug_line, or separate debug info), which is
 * slower. Returns 0 and *ret (the caller's, ward_stack_close), -ESRCH,
 * -EACCES, -ENOMEM or -EIO. Any one thread may use it. */
WARD_API int ward_stack_open(int pid, int with_lines, struct ward_stack **ret);

/* ward_stack_unwind: the stack of thread tid of st's process, from its sp
 * and pc (as the syscall file gives them), into frames[0..max), *n frames.
 * Returns 0 (with at least the first frame) or -EINVAL/-ESRCH. A stack that
 * stops early (no CFI and no frame pointer, memory gone) is not an error: *n
 * says how far it got. */
WARD_API int ward_stack_unwind(struct ward_stack *st, int tid, uint64_t sp, uint64_t pc,
                               struct ward_stack_frame *frames, size_t max, size_t *n);

/* ward_stack_symbolize: describe one code address of st's process into *f
 * (func, module, file:line as with_lines allows). return_address nonzero: pc
 * is where a call returns to, so the call itself is named. Returns 0, or
 * -ENOENT when no module covers pc. */
WARD_API int ward_stack_symbolize(struct ward_stack *st, uint64_t pc, int return_address,
                                  struct ward_stack_frame *f);

/* ward_stack_close: free st (NULL is fine). */
WARD_API void ward_stack_close(struct ward_stack *st);

/* ---- Every thread's stack: ward_proc_stacks ----
 *
 * Two modes. LIVE (the default) never stops the process: a thread blocked in
 * a system call (or stopped) is unwound from the SP and PC of
 * /proc/PID/task/TID/syscall with process_vm_readv, as above; a thread that
 * is running in user space is reported running, with no frames. STOP stops
 * every thread the way eu-stack and gdb do (PTRACE_SEIZE, PTRACE_INTERRUPT),
 * reads each one's registers (PTRACE_GETREGSET) and stack, unwinds it from
 * its registers with CFI, and detaches, leaving every thread as it was
 * (running, blocked, or stopped by a signal) and re-delivering a signal that
 * arrived meanwhile. The process is stopped only while registers and stacks
 * are read; symbols, build-ids and lines are looked up after it runs again.
 * As with every ptrace tool, a thread interrupted in epoll_wait(2),
 * sigtimedwait(2) and a few other calls sees EINTR (signal(7)); the rest are
 * restarted. */

#define WARD_PROC_STACKS_LIVE 0u     /* the default: never stop the process */
#define WARD_PROC_STACKS_STOP 1u     /* stop it (ptrace) for every thread's stack */
#define WARD_PROC_STACKS_NO_LINES 2u /* functions only: no file:line, no inlined frames */

enum ward_proc_thread_how {
        WARD_PROC_THREAD_UNWOUND = 0, /* its frames follow */
        WARD_PROC_THREAD_RUNNING,     /* LIVE: running in user space, so no frames */
        WARD_PROC_THREAD_GONE,        /* it ended while ward looked */
        WARD_PROC_THREAD_UNREADABLE,  /* no frames; error says why */
};

struct ward_proc_thread {
        int pid, tid;
        char name[16]; /* its comm (/proc/PID/task/TID/comm) */
        char state;    /* /proc state before ward looked: R S D T t Z X I, '?' unknown */
        long syscall;  /* the system call it is in (LIVE: blocked in; STOP: interrupted
                          in), -1 if none or unknown */
        enum ward_proc_thread_how how;
        int error;       /* UNREADABLE: -errno */
        size_t n_frames; /* how many frames the callback gets for this thread */
};

/* ward_proc_frame_fn: called for frame i (0 innermost .. t->n_frames - 1) of
 * thread t, threads in /proc's order (the main thread first); for a thread
 * without frames, once with f NULL and i 0. t and f are valid during the call
 * only. Return 0 to go on; anything else ends the walk and is what
 * ward_proc_stacks returns. */
typedef int ward_proc_frame_fn(void *arg, const struct ward_proc_thread *t, size_t i,
                               const struct ward_stack_frame *f);

/* ward_proc_stacks: every thread of process pid, frame by frame, to cb, in
 * the mode flags says (WARD_PROC_STACKS_*). Returns 0, cb's nonzero value,
 * or: -EINVAL (pid <= 0, cb NULL, unknown flags, STOP on the calling process
 * itself), -ESRCH (no such process), -EPERM/-EACCES (not allowed to read or
 * trace it: another user's process, /proc/sys/kernel/yama/ptrace_scope, a
 * container without CAP_SYS_PTRACE), -EBUSY (STOP: a debugger already traces
 * it), -ENOMEM. Threads that end meanwhile are reported GONE, not an error.
 * Thread class: any thread, blocking. In STOP mode the calling thread is the
 * tracer until the call returns: it waits only for the target's threads
 * (waitpid on each tid, never -1), so other children are left alone. */
WARD_API int ward_proc_stacks(int pid, unsigned flags, ward_proc_frame_fn *cb, void *arg);

/* ward_proc_stack: the same for one thread tid of process pid; in STOP mode
 * only that thread is stopped. -ESRCH when pid has no thread tid. */
WARD_API int ward_proc_stack(int pid, int tid, unsigned flags, ward_proc_frame_fn *cb, void *arg);

/* ward_proc_thread_state_name: "running", "sleeping", "disk-sleep",
 * "stopped", "tracing-stop", "zombie", "dead", "idle" or "unknown" for a
 * /proc state letter. Static storage; any thread. */
WARD_API const char *ward_proc_thread_state_name(char state);

/* ward_symbol_name: write "file!symbol" or "file!symbol+0xN" for addr in
 * process pid into out. Returns 0, or -ENOENT when no symbol covers addr
 * (heap, stack, stripped file), or -errno. */
WARD_API int ward_symbol_name(int pid, uint64_t addr, char *out, size_t size);

WARD_END_DECLS

#endif
