/* Inside the unwinder (stack.c): what ward_proc_stacks (proc.c) and the
 * debugger (inspect/debug) build on. An unwind is two steps: the raw one
 * reads the target (registers, stack memory, CFI) and gives code addresses;
 * describing them (symbols, build-ids, file:line, inlined frames) reads only
 * the mapped files, so a stopped process may run again in between. */
#ifndef WARD_INSPECT_STACK_UNWIND_H
#define WARD_INSPECT_STACK_UNWIND_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include <ward/stack.h>

#define WARD__STACK_MAX_RAW 256 /* raw frames of one thread, at most */

struct ward__raw_frame {
        uint64_t pc;     /* as ward_stack_frame.pc */
        uint64_t lookup; /* the address named: pc, or pc - 1 for a return address */
};

/* ward__stack_unwind_raw: the code addresses of thread tid's stack into
 * out[0..max), *n of them. With regs (a stopped thread's registers, from
 * PTRACE_GETREGSET): CFI from those registers, nothing guessed. Without:
 * from sp and pc (a thread blocked in a system call, as its /proc syscall
 * file gives them), searching the stack for frame records where CFI needs
 * %rbp (see stack.c). Returns 0 with at least one frame, -EINVAL, -ESRCH. */
int ward__stack_unwind_raw(struct ward_stack *st, int tid, const struct user_regs_struct *regs,
                           uint64_t sp, uint64_t pc, struct ward__raw_frame *out, size_t max,
                           size_t *n);

/* ward__stack_describe: the frames of one raw frame (the functions inlined
 * there first, each with inlined = 1, then the real one) into out[0..max);
 * how many, at least 1. Reads no memory of the target. */
size_t ward__stack_describe(struct ward_stack *st, const struct ward__raw_frame *r,
                            struct ward_stack_frame *out, size_t max);

/* ward__stack_find_debuginfo (debuginfo.c): libdwfl's find_debuginfo
 * callback: dwfl_standard_find_debuginfo, then, for a separate debug file
 * with zlib-compressed sections, an fd of a memfd holding the file with the
 * sections frames need inflated and the ones they never read left empty. */
int ward__stack_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                               Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                               GElf_Word debuglink_crc, char **debuginfo_file_name);

#endif
