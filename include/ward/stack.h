/* ward/stack.h (libward-inspect): stacks and symbols of another process's
 * threads. Link with libward-inspect (pkg-config ward-inspect, ward::inspect). */
#ifndef WARD_STACK_H
#define WARD_STACK_H

#include <stddef.h>
#include <stdint.h>

#include <ward/api.h>

WARD_BEGIN_DECLS

typedef struct ward_stack ward_stack;

/* Stacks of another process's threads without stopping them: libdwfl unwinds
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

/* ward_symbol_name: write "file!symbol" or "file!symbol+0xN" for addr in
 * process pid into out. Returns 0, or -ENOENT when no symbol covers addr
 * (heap, stack, stripped file), or -errno. */
WARD_API int ward_symbol_name(int pid, uint64_t addr, char *out, size_t size);

WARD_END_DECLS

#endif
