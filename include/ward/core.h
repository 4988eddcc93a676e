/* ward/core.h (libward-inspect): the capture of a crashed or hung process
 * from outside: a minimal ELF core that gdb and eu-stack read, and a report
 * (text and JSON) of its threads, modules, trace events and held locks.
 * Link with libward-inspect (pkg-config ward-inspect, ward::inspect). */
#ifndef WARD_CORE_H
#define WARD_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

/* The default cap on the bytes of one thread's stack in a core. */
#define WARD_CORE_STACK_MAX (256u * 1024u)

struct ward_core_options {
        uint32_t size; /* sizeof(struct ward_core_options) */
        int crash_tid; /* the thread that crashed, first in the core; 0: the main thread */
        int signo;     /* the signal (NT_SIGINFO, pr_cursig); 0: none (a snapshot) */
        int code;      /* its si_code */
        uint64_t addr; /* its fault address (si_addr) */
        const void *crash_ucontext; /* NULL, or a copy of the ucontext_t (glibc,
                                     * x86-64) the crashing thread's signal handler
                                     * received: its general registers are the ones
                                     * the core and the report show for crash_tid */
        const char *dir;            /* where the files go; NULL: "." */
        int full_core;              /* nonzero: the private writable mappings too */
        uint32_t stack_max;         /* bytes per stack; 0: WARD_CORE_STACK_MAX */
        int report;                 /* nonzero: also CORE.txt and CORE.json */
        unsigned trace_events;      /* the report's last trace events; 0: 50 */
};

struct ward_core_result {
        char core[4096];    /* the core's path */
        char text[4096];    /* the text report's path ("" without) */
        char json[4096];    /* the JSON report's path ("" without) */
        uint64_t core_size; /* bytes */
        int threads;        /* threads in the core */
};

/* ward_core_write: stop every thread of process pid (PTRACE_SEIZE and
 * PTRACE_INTERRUPT; a thread the calling thread already traces, stopped, is
 * used as it is and left to the caller), read their registers, the process's maps,
 * auxv and the memory a backtrace needs, and write DIR/core.PID.TIME
 * atomically (a temporary file renamed), an ELF core with:
 *   - a note per thread (NT_PRSTATUS, NT_FPREGSET; the crashing thread first),
 *     NT_PRPSINFO, NT_SIGINFO (with a signal), NT_AUXV and NT_FILE;
 *   - the memory of each thread's stack, from 128 bytes below its stack
 *     pointer (the red zone) to the end of its mapping, at most stack_max
 *     bytes; the first page of each mapped ELF file (build-ids, program
 *     headers); [vdso]; the dynamic linker's r_debug, link_map chain and
 *     library names; full_core: every private writable mapping;
 *   - every other mapping as a header without bytes.
 * Then detaches: the process continues (or, after a crash, the caller lets
 * it die). A thread that does not stop within 3 s (uninterruptible sleep in
 * the kernel) is left out of the core; it stays attached to the calling
 * process until it stops and the caller exits (a known limit).
 * With report, made while the threads are stopped: CORE.txt and CORE.json
 * beside the core: signal, code and fault address, the crashing thread's
 * registers, every thread's stack (unwound from the core with libdwfl, named
 * with ward_stack_symbolize: function, module, build-id, offset,
 * file:line), the modules with their build-ids, the last trace_events
 * events of the process's ward trace buffers, its held ward locks. It reads
 * the lock registry with ward_lock_registry_read: one caller thread at a
 * time. o may be NULL (defaults). Returns 0 and fills *res, or
 * -ESRCH (no such process), -EPERM (ptrace not permitted), -EBUSY (another
 * tracer, a debugger, holds a thread), -EINVAL, -ENOMEM,
 * -errno of the file system; a one-line message in err (err_size may be 0). */
WARD_API int ward_core_write(int pid, const struct ward_core_options *o,
                             struct ward_core_result *res, char *err, size_t err_size);

WARD_END_DECLS

#endif
