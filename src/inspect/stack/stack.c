/* Unwinding another process's threads with libdwfl: see stack.h and
 * unwind.h. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "inspect/stack/unwind.h"
#include <ward/stack.h>

#define PAGE 4096u
#define CACHED_PAGES 8
#define DWARF_RBP 6
#define DWARF_RSP 7
#define MAX_PASSES 8 /* a pass ends where CFI needs an unknown %rbp */

struct stack_page {
        uint64_t addr; /* page-aligned; 0: empty */
        unsigned char bytes[PAGE];
};

#define MAX_MODULES 256
#define NAMED_SLOTS 512 /* named code addresses: threads share most frames */

#define MAX_INLINED 6 /* frames one code address may stand for */

struct named_pc {
        uint64_t lookup; /* 0: empty */
        size_t n;
        struct ward_stack_frame f[MAX_INLINED];
};

struct ward_stack {
        Dwfl *dwfl;
        int pid, with_lines;
        int tid;                             /* the thread being unwound */
        uint64_t sp, pc, rbp;                /* where this pass starts; rbp 0: unknown */
        const struct user_regs_struct *regs; /* this pass starts from all registers */
        int resumed;                         /* this pass starts at a return address */
        uint64_t last_sp;                    /* the stack pointer of the last frame recorded */
        struct stack_page pages[CACHED_PAGES];
        unsigned next_page;
        struct ward__raw_frame *raw;
        size_t max, n;
        struct named_pc named[NAMED_SLOTS];
        struct {
                uint64_t start, end;
        } modules[MAX_MODULES]; /* address ranges of the mapped files */
        size_t n_modules;
};

/* in_module: is addr inside a mapped file (a candidate code address)? */
static int in_module(const struct ward_stack *st, uint64_t addr)
{
        for (size_t i = 0; i < st->n_modules; i++) {
                if (addr >= st->modules[i].start && addr < st->modules[i].end) {
                        return 1;
                }
        }
        return 0;
}

static int note_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
                       void *arg)
{
        (void)userdata;
        (void)name;
        struct ward_stack *st = arg;
        Dwarf_Addr low, high;
        if (st->n_modules < MAX_MODULES &&
            dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL)) {
                st->modules[st->n_modules].start = low ? low : start;
                st->modules[st->n_modules++].end = high;
        }
        return DWARF_CB_OK;
}

/* page_of: the cached copy of the target's page at addr, read once with
 * process_vm_readv; NULL if unreadable */
static const struct stack_page *page_of(struct ward_stack *st, uint64_t addr)
{
        uint64_t base = addr & ~(uint64_t)(PAGE - 1);
        for (unsigned i = 0; i < CACHED_PAGES; i++) {
                if (st->pages[i].addr == base) {
                        return &st->pages[i];
                }
        }
        struct stack_page *p = &st->pages[st->next_page++ % CACHED_PAGES];
        struct iovec local = {p->bytes, PAGE};
        struct iovec remote = {(void *)(uintptr_t)base, PAGE};
        p->addr = 0;
        if (base == 0 || process_vm_readv(st->pid, &local, 1, &remote, 1, 0) != (ssize_t)PAGE) {
                return NULL;
        }
        p->addr = base;
        return p;
}

/* read_bytes: n bytes of the target at addr, through the page cache (a
 * range may straddle pages) */
static int read_bytes(struct ward_stack *st, uint64_t addr, void *out, size_t n)
{
        unsigned char *o = out;
        while (n > 0) {
                const struct stack_page *p = page_of(st, addr);
                size_t at = addr & (PAGE - 1), take = PAGE - at < n ? PAGE - at : n;
                if (!p) {
                        return -EFAULT;
                }
                memcpy(o, p->bytes + at, take);
                o += take, addr += take, n -= take;
        }
        return 0;
}

static int read_word(struct ward_stack *st, uint64_t addr, uint64_t *word)
{
        return read_bytes(st, addr, word, sizeof(*word));
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
        (void)dwfl;
        uint64_t w;
        if (read_word(arg, addr, &w) < 0) {
                return false;
        }
        *result = w;
        return true;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
        (void)dwfl;
        struct ward_stack *st = arg;
        if (*thread_argp) {
                return 0;
        }
        *thread_argp = st;
        return st->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
        (void)dwfl;
        struct ward_stack *st = arg;
        *thread_argp = st;
        return tid == st->tid;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
        struct ward_stack *st = thread_arg;
        if (st->regs) { /* DWARF's x86-64 numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 */
                const struct user_regs_struct *r = st->regs;
                Dwarf_Word w[16] = {r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp,
                                    r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15};
                if (!dwfl_thread_state_registers(thread, 0, 16, w)) {
                        return false;
                }
                dwfl_thread_state_register_pc(thread, r->rip);
                return true;
        }
        Dwarf_Word sp = st->sp, rbp = st->rbp;
        if (!dwfl_thread_state_registers(thread, DWARF_RSP, 1, &sp) ||
            (rbp && !dwfl_thread_state_registers(thread, DWARF_RBP, 1, &rbp))) {
                return false;
        }
        dwfl_thread_state_register_pc(thread, st->pc);
        return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = ward__stack_find_debuginfo,
};

int ward_stack_open(int pid, int with_lines, struct ward_stack **ret)
{
        struct ward_stack *st = calloc(1, sizeof(*st));
        if (!st) {
                return -ENOMEM;
        }
        st->pid = pid;
        st->with_lines = with_lines;
        st->dwfl = dwfl_begin(&proc_callbacks);
        if (!st->dwfl) {
                free(st);
                return -ENOMEM;
        }
        int r = dwfl_linux_proc_report(st->dwfl, pid);
        if (r != 0 || dwfl_report_end(st->dwfl, NULL, NULL) != 0) {
                ward_stack_close(st);
                return r > 0 ? -r : -EIO;
        }
        dwfl_getmodules(st->dwfl, note_module, st, 0);
        if (!dwfl_attach_state(st->dwfl, NULL, pid, &thread_callbacks, st)) {
                ward_stack_close(st);
                return -EIO;
        }
        *ret = st;
        return 0;
}

static void copy_name(char *dst, size_t size, const char *src)
{
        snprintf(dst, size, "%s", src ? src : "");
}

static void build_id_of(Dwfl_Module *mod, char *hex, size_t size)
{
        static const char digits[] = "0123456789abcdef";
        const unsigned char *bits;
        GElf_Addr vaddr;
        int len = dwfl_module_build_id(mod, &bits, &vaddr);
        size_t k = 0;
        for (int i = 0; i < len && k + 2 < size; i++) {
                hex[k++] = digits[bits[i] >> 4];
                hex[k++] = digits[bits[i] & 15];
        }
        hex[k] = '\0';
}

/* base_frame: the symbol, module, build-id and (lines) file:line of pc */
static Dwfl_Module *base_frame(struct ward_stack *st, Dwarf_Addr pc, Dwarf_Addr lookup, int lines,
                               struct ward_stack_frame *f)
{
        memset(f, 0, sizeof(*f));
        f->pc = pc;
        Dwfl_Module *mod = dwfl_addrmodule(st->dwfl, lookup);
        if (!mod) {
                return NULL;
        }
        const char *path = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        const char *base = path ? strrchr(path, '/') : NULL;
        copy_name(f->module, sizeof(f->module), base ? base + 1 : path);
        GElf_Off off = 0;
        GElf_Sym sym;
        const char *name = dwfl_module_addrinfo(mod, lookup, &off, &sym, NULL, NULL, NULL);
        copy_name(f->func, sizeof(f->func), name);
        f->func_off = name ? off + (pc - lookup) : 0;
        build_id_of(mod, f->build_id, sizeof(f->build_id));
        if (!lines) {
                return mod;
        }
        Dwfl_Line *line = dwfl_module_getsrc(mod, lookup);
        int lineno = 0;
        const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
        if (file) {
                copy_name(f->file, sizeof(f->file), file);
                f->line = lineno;
        }
        return mod;
}

/* call_site: where the inlined call scope sits in its caller */
static void call_site(Dwarf_Die *cu, Dwarf_Die *scope, char *file, size_t size, int *line)
{
        Dwarf_Attribute a;
        Dwarf_Word index, lineno;
        Dwarf_Files *files;
        size_t n;
        const char *name = NULL;
        if (dwarf_formudata(dwarf_attr(scope, DW_AT_call_file, &a), &index) == 0 &&
            dwarf_formudata(dwarf_attr(scope, DW_AT_call_line, &a), &lineno) == 0 &&
            dwarf_getsrcfiles(cu, &files, &n) == 0 && index < n) {
                name = dwarf_filesrc(files, index, NULL, NULL);
        }
        copy_name(file, size, name);
        *line = name ? (int)lineno : 0;
}

/* expand_inlines: base's code address as gdb shows it: a frame per function
 * inlined there (innermost first, each at the place its callee was inlined),
 * then the real function (base, at the outermost call site). Returns the
 * frames written to out[0..max), at least 1. */
static size_t expand_inlines(Dwfl_Module *mod, Dwarf_Addr lookup,
                             const struct ward_stack_frame *base, struct ward_stack_frame *out,
                             size_t max)
{
        Dwarf_Addr bias;
        Dwarf_Die *cu = mod ? dwfl_module_addrdie(mod, lookup, &bias) : NULL, *scopes = NULL;
        int n = cu ? dwarf_getscopes(cu, lookup - bias, &scopes) : 0;
        size_t k = 0;
        out[0] = *base;
        for (int i = 0; i < n && k + 1 < max; i++) {
                Dwarf_Attribute a;
                const char *name;
                if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine) {
                        continue;
                }
                name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_name, &a));
                copy_name(out[k].func, sizeof(out[k].func), name ? name : "??");
                out[k].func_off = 0;
                out[k].inlined = 1;
                out[++k] = *base; /* the caller, at the call site */
                call_site(cu, &scopes[i], out[k].file, sizeof(out[k].file), &out[k].line);
        }
        free(scopes);
        return k + 1;
}

/* describe: the frames (inlined ones first) of code address pc into
 * out[0..max), looked up once per address (blocked threads share their
 * frames). Returns how many, at least 1. */
static size_t describe(struct ward_stack *st, Dwarf_Addr pc, Dwarf_Addr lookup,
                       struct ward_stack_frame *out, size_t max)
{
        struct named_pc *slot = &st->named[(lookup * 0x9e3779b97f4a7c15ull >> 40) % NAMED_SLOTS];
        if (!lookup || slot->lookup != lookup || slot->f[0].pc != pc) {
                struct ward_stack_frame base;
                Dwfl_Module *mod = base_frame(st, pc, lookup, st->with_lines, &base);
                slot->n = st->with_lines ? expand_inlines(mod, lookup, &base, slot->f, MAX_INLINED)
                                         : (slot->f[0] = base, 1);
                slot->lookup = lookup;
        }
        size_t n = slot->n < max ? slot->n : max;
        memcpy(out, slot->f, n * sizeof(out[0]));
        return n;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
        struct ward_stack *st = arg;
        Dwarf_Addr pc;
        bool activation;
        Dwarf_Word sp = 0;
        if (!dwfl_frame_pc(state, &pc, &activation)) {
                return DWARF_CB_ABORT;
        }
        if (st->resumed) { /* the first frame of a resumed pass is a return address too */
                activation = false;
                st->resumed = 0;
        }
        st->last_sp = dwfl_frame_reg(state, DWARF_RSP, &sp) == 0 ? sp : 0;
        /* a return address points after the call: look up the call itself */
        st->raw[st->n].pc = pc;
        st->raw[st->n].lookup = activation || pc == 0 ? pc : pc - 1;
        st->n++;
        return st->n < st->max && pc != 0 ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* is_return_address: does addr follow a call instruction in a mapped file?
 * (call rel32: E8 at -5; call through a register or memory: FF /2 at -2,
 * -3, -6 or -7) */
static int is_return_address(struct ward_stack *st, uint64_t addr)
{
        static const unsigned back[] = {2, 3, 6, 7};
        uint64_t code;
        if (addr < 8 || !in_module(st, addr) || read_word(st, addr - 8, &code) < 0) {
                return 0;
        }
        if (((code >> 24) & 0xff) == 0xe8) { /* byte at addr - 5 */
                return 1;
        }
        for (unsigned i = 0; i < sizeof(back) / sizeof(back[0]); i++) {
                unsigned op = (code >> (8 * (8 - back[i]))) & 0xff;
                unsigned modrm = (code >> (8 * (9 - back[i]))) & 0xff;
                if (op == 0xff && (modrm & 0x38) == 0x10) {
                        return 1;
                }
        }
        return 0;
}

/* is_register_move: is c a mov from one register to another that leaves
 * %rsp alone ([REX] 89/8B with a register-direct ModRM)? */
static int is_register_move(const unsigned char *c)
{
        unsigned rex = (c[0] & 0xf0) == 0x40 ? c[0] : 0;
        const unsigned char *op = rex ? c + 1 : c;
        if ((op[0] != 0x89 && op[0] != 0x8b) || (op[1] & 0xc0) != 0xc0) {
                return 0;
        }
        unsigned dest = op[0] == 0x89 ? (op[1] & 7) | ((rex & 1) << 3)         /* rm, REX.B */
                                      : ((op[1] >> 3) & 7) | ((rex & 4) << 1); /* reg, REX.R */
        return dest != 4;                                                      /* not %rsp */
}

/* prologue_frame_size: how far a frame-pointer function's %rbp sits above
 * its stack pointer between calls, from its prologue at start: [endbr64]
 * push %rbp; mov %rsp,%rbp; then pushes of callee-saved registers, moves
 * between registers and sub $N,%rsp in any order. -ENOENT for any other
 * prologue. */
static int prologue_frame_size(struct ward_stack *st, uint64_t start, uint64_t *size)
{
        static const unsigned char endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
        static const unsigned char frame[] = {0x55, 0x48, 0x89, 0xe5};
        unsigned char c[48];
        size_t i = 0;
        *size = 0;
        if (read_bytes(st, start, c, sizeof(c)) < 0) {
                return -EFAULT;
        }
        if (memcmp(c, endbr64, sizeof(endbr64)) == 0) {
                i += sizeof(endbr64);
        }
        if (memcmp(c + i, frame, sizeof(frame)) != 0) {
                return -ENOENT;
        }
        for (i += sizeof(frame); i + 7 <= sizeof(c);) {
                if (c[i] >= 0x50 && c[i] <= 0x57) { /* push %rax..%rdi */
                        *size += 8, i += 1;
                } else if (c[i] == 0x41 && c[i + 1] >= 0x50 && c[i + 1] <= 0x57) { /* %r8..r15 */
                        *size += 8, i += 2;
                } else if (c[i] == 0x48 && c[i + 1] == 0x83 && c[i + 2] == 0xec) {
                        *size += c[i + 3], i += 4;
                } else if (c[i] == 0x48 && c[i + 1] == 0x81 && c[i + 2] == 0xec) {
                        uint32_t n;
                        memcpy(&n, c + i + 3, sizeof(n));
                        *size += n, i += 7;
                } else if (is_register_move(c + i)) { /* mov %rsi,%r12 between the pushes */
                        i += (c[i] & 0xf0) == 0x40 ? 3 : 2;
                } else {
                        break;
                }
        }
        return 0;
}

/* calls_func: does the call before return address ret go straight to func
 * (call rel32 with that target)? */
static int calls_func(struct ward_stack *st, uint64_t ret, uint64_t func)
{
        unsigned char c[5];
        int32_t rel;
        if (read_bytes(st, ret - 5, c, sizeof(c)) < 0 || c[0] != 0xe8) {
                return 0;
        }
        memcpy(&rel, c + 1, sizeof(rel));
        return ret + (uint64_t)(int64_t)rel == func;
}

/* find_frame_record: a frame whose CFI needs the frame pointer stopped the
 * unwind: nobody below it saved %rbp, and /proc gives only SP and PC. Its
 * frame record (saved %rbp, then the return address) lies above its stack
 * pointer sp. Where is it? Where the prologue of its function func says, if
 * that prologue is a plain one; else the first pair above sp whose return
 * address follows a direct call of func; else the first whose return address
 * follows any call and whose saved %rbp does not point down the stack (it
 * points up, or the caller kept no frame pointer). Stale return addresses in
 * uninitialized locals make the last guess the weakest. Returns the record's
 * address, 0 if none. */
static uint64_t find_frame_record(struct ward_stack *st, uint64_t sp, uint64_t func)
{
        enum { SEARCH_WORDS = 2048, MAX_FRAME = 1 << 20 };
        uint64_t size, ret, saved_rbp, weak = 0;
        if (func && prologue_frame_size(st, func, &size) == 0 &&
            read_word(st, sp + size + 8, &ret) == 0 && is_return_address(st, ret)) {
                return sp + size;
        }
        uint64_t words[SEARCH_WORDS];
        struct iovec local = {words, sizeof(words)},
                     remote = {(void *)(uintptr_t)sp, sizeof(words)};
        ssize_t got = process_vm_readv(st->pid, &local, 1, &remote, 1, 0); /* to the stack's end */
        size_t n = got > 0 ? (size_t)got / 8 : 0;
        for (size_t i = 0; i + 1 < n; i++) {
                uint64_t a = sp + 8 * i;
                saved_rbp = words[i];
                ret = words[i + 1];
                if (!in_module(st, ret)) {
                        continue; /* most words: cheap to rule out */
                }
                if (func && calls_func(st, ret, func)) {
                        return a;
                }
                int below = saved_rbp <= a && a - saved_rbp < MAX_FRAME;
                if (!weak && !below && is_return_address(st, ret)) {
                        weak = a;
                }
        }
        return weak;
}

/* is_outermost: does the stack end at f (a thread's or the program's entry,
 * or no address)? libdwfl stops the same way there as where CFI needs a
 * frame pointer it does not know. */
static int is_outermost(const struct ward_stack_frame *f)
{
        static const char *const entries[] = {"_start", "__clone3", "__clone", "clone3", "clone"};
        if (f->pc == 0 || !f->module[0]) {
                return 1;
        }
        for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
                if (strcmp(f->func, entries[i]) == 0) {
                        return 1;
                }
        }
        return 0;
}

/* resume_from_frame_record: set up a pass that starts at the caller of the
 * last frame recorded (named in *last); 0, or -ENOENT without a frame record */
static int resume_from_frame_record(struct ward_stack *st, const struct ward_stack_frame *last)
{
        uint64_t func = last->func[0] ? last->pc - last->func_off : 0;
        uint64_t record = st->last_sp ? find_frame_record(st, st->last_sp, func) : 0;
        uint64_t rbp, pc;
        if (!record || read_word(st, record, &rbp) < 0 || read_word(st, record + 8, &pc) < 0) {
                return -ENOENT;
        }
        st->sp = record + 16;
        st->pc = pc;
        st->rbp = rbp;
        st->resumed = 1;
        return 0;
}

int ward__stack_unwind_raw(struct ward_stack *st, int tid, const struct user_regs_struct *regs,
                           uint64_t sp, uint64_t pc, struct ward__raw_frame *out, size_t max,
                           size_t *n)
{
        *n = 0;
        if (regs) {
                sp = regs->rsp;
                pc = regs->rip;
        }
        if (!st || tid <= 0 || !sp || !pc || max == 0) {
                return -EINVAL;
        }
        st->tid = tid;
        st->sp = sp;
        st->pc = pc;
        st->rbp = 0;
        st->regs = regs;
        st->resumed = 0;
        st->raw = out;
        st->max = max;
        st->n = 0;
        for (unsigned i = 0; i < CACHED_PAGES; i++) { /* the thread may have moved on */
                st->pages[i].addr = 0;
        }
        for (int pass = 0; pass < MAX_PASSES; pass++) {
                size_t before = st->n;
                struct ward_stack_frame last;
                st->last_sp = 0;
                dwfl_getthread_frames(st->dwfl, tid, on_frame, st);
                if (st->n == before || st->n == max || regs) {
                        break; /* nothing more, the end of the room, or CFI from registers */
                }
                const struct ward__raw_frame *r = &st->raw[st->n - 1];
                base_frame(st, r->pc, r->lookup, 0, &last);
                if (is_outermost(&last) || resume_from_frame_record(st, &last) < 0) {
                        break; /* the outermost frame, or lost */
                }
        }
        st->regs = NULL;
        *n = st->n;
        return st->n ? 0 : -ESRCH;
}

size_t ward__stack_describe(struct ward_stack *st, const struct ward__raw_frame *r,
                            struct ward_stack_frame *out, size_t max)
{
        return max ? describe(st, r->pc, r->lookup, out, max) : 0;
}

int ward_stack_unwind(struct ward_stack *st, int tid, uint64_t sp, uint64_t pc,
                      struct ward_stack_frame *frames, size_t max, size_t *n)
{
        struct ward__raw_frame raw[WARD__STACK_MAX_RAW];
        size_t nraw = 0;
        *n = 0;
        if (max == 0) {
                return -EINVAL;
        }
        int r =
            ward__stack_unwind_raw(st, tid, NULL, sp, pc, raw,
                                   max < WARD__STACK_MAX_RAW ? max : WARD__STACK_MAX_RAW, &nraw);
        for (size_t i = 0; i < nraw && *n < max; i++) {
                *n += describe(st, raw[i].pc, raw[i].lookup, frames + *n, max - *n);
        }
        return r;
}

int ward_stack_symbolize(struct ward_stack *st, uint64_t pc, int return_address,
                         struct ward_stack_frame *f)
{
        describe(st, pc, return_address && pc ? pc - 1 : pc, f, 1);
        return f->module[0] ? 0 : -ENOENT;
}

void ward_stack_close(struct ward_stack *st)
{
        if (st) {
                dwfl_end(st->dwfl);
                free(st);
        }
}
