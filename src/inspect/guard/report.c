/* The report of a capture (see ward/core.h): what a person reads first, in
 * text and JSON, from the stopped process: the signal, the crashing
 * thread's registers, every thread's stack (ward_stack_*), the modules with
 * their build-ids, the last trace events and the ward locks held. */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/lock-inspect.h>
#include <ward/stack.h>
#include <ward/trace-read.h>

#include "core/buf.h"
#include "core/json-write.h"

#include "capture.h"

#define MAX_FRAMES 64
#define MAX_MODULES 512

struct module {
        char name[256];
        uint64_t low, high;
        char build_id[41]; /* hex, "" if none */
};

struct report {
        struct ward__capture *c;
        struct module *mods;
        size_t n_mods;
        char **lines; /* the last trace lines, a ring */
        size_t n_lines, next_line, max_lines;
};

static int on_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
                     void *arg)
{
        (void)userdata;
        (void)start;
        struct report *r = arg;
        Dwarf_Addr bias;
        if (r->n_mods == MAX_MODULES) {
                return DWARF_CB_ABORT;
        }
        if (!dwfl_module_getelf(mod, &bias)) {
                return DWARF_CB_OK; /* not an ELF file (shared memory, a data file) */
        }
        struct module *m = &r->mods[r->n_mods++];
        Dwarf_Addr low = 0, high = 0;
        dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL);
        snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
        m->low = low;
        m->high = high;
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        m->build_id[0] = '\0';
        for (int i = 0; i < n && i < 20; i++) {
                snprintf(m->build_id + 2 * i, 3, "%02x", bits[i]);
        }
        return DWARF_CB_OK;
}

/* list_modules: the process's ELF files with their build-ids */
static void list_modules(struct report *r)
{
        static const Dwfl_Callbacks cb = {
            .find_elf = dwfl_linux_proc_find_elf,
            .find_debuginfo = dwfl_standard_find_debuginfo,
        };
        Dwfl *d = dwfl_begin(&cb);
        r->mods = calloc(MAX_MODULES, sizeof(*r->mods));
        if (!d || !r->mods) {
                dwfl_end(d);
                return;
        }
        if (dwfl_linux_proc_report(d, r->c->mm_tid) == 0 && dwfl_report_end(d, NULL, NULL) == 0) {
                dwfl_getmodules(d, on_module, r, 0);
        }
        dwfl_end(d);
}

static const struct module *module_of(const struct report *r, uint64_t pc)
{
        for (size_t i = 0; i < r->n_mods; i++) {
                if (pc >= r->mods[i].low && pc < r->mods[i].high) {
                        return &r->mods[i];
                }
        }
        return NULL;
}

static void on_line(void *arg, uint64_t ns, const char *line, size_t len)
{
        (void)ns;
        struct report *r = arg;
        char *s = malloc(len + 1);
        if (!s) {
                return;
        }
        memcpy(s, line, len);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
                len--;
        }
        s[len] = '\0';
        free(r->lines[r->next_line]);
        r->lines[r->next_line] = s;
        r->next_line = (r->next_line + 1) % r->max_lines;
        if (r->n_lines < r->max_lines) {
                r->n_lines++;
        }
}

static const char *trace_line(const struct report *r, size_t i)
{
        size_t first = r->n_lines < r->max_lines ? 0 : r->next_line;
        return r->lines[(first + i) % r->max_lines];
}

static void thread_name(int pid, int tid, char *out, size_t size)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
        FILE *f = fopen(path, "re");
        out[0] = '\0';
        if (f) {
                if (fgets(out, (int)size, f)) {
                        out[strcspn(out, "\n")] = '\0';
                }
                fclose(f);
        }
}

static void jstr(struct ward__buf *b, const char *key, const char *s)
{
        ward__buf_printf(b, "\"%s\":", key);
        ward__json_put_string(b, s, strlen(s));
}

static void put_frame(struct report *r, struct ward__buf *j, FILE *text, size_t k,
                      const struct ward_stack_frame *f)
{
        const struct module *m = module_of(r, f->pc);
        char where[320] = "";
        if (f->file[0]) {
                snprintf(where, sizeof(where), " at %s:%d", f->file, f->line);
        }
        fprintf(text, "  #%-2zu 0x%016" PRIx64 " %s+0x%" PRIx64 " (%s+0x%" PRIx64 " %s)%s\n", k,
                f->pc, f->func[0] ? f->func : "??", f->func_off, f->module[0] ? f->module : "?",
                m ? f->pc - m->low : 0, m && m->build_id[0] ? m->build_id : "-", where);
        ward__buf_printf(j, "%s{\"pc\":\"0x%" PRIx64 "\",", k ? "," : "", f->pc);
        jstr(j, "function", f->func);
        ward__buf_printf(j, ",\"offset\":%" PRIu64 ",", f->func_off);
        jstr(j, "module", f->module);
        ward__buf_putc(j, ',');
        jstr(j, "build_id", m ? m->build_id : "");
        ward__buf_printf(j, ",\"module_offset\":\"0x%" PRIx64 "\",", m ? f->pc - m->low : 0);
        jstr(j, "file", f->file);
        ward__buf_printf(j, ",\"line\":%d}", f->line);
}

static void put_registers(const struct user_regs_struct *g, struct ward__buf *j, FILE *text)
{
        const struct {
                const char *name;
                uint64_t v;
        } regs[] = {{"rip", g->rip}, {"rsp", g->rsp},      {"rbp", g->rbp}, {"rax", g->rax},
                    {"rbx", g->rbx}, {"rcx", g->rcx},      {"rdx", g->rdx}, {"rsi", g->rsi},
                    {"rdi", g->rdi}, {"r8", g->r8},        {"r9", g->r9},   {"r10", g->r10},
                    {"r11", g->r11}, {"r12", g->r12},      {"r13", g->r13}, {"r14", g->r14},
                    {"r15", g->r15}, {"eflags", g->eflags}};
        ward__buf_puts(j, "\"registers\":{");
        for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
                fprintf(text, "  %-6s 0x%016" PRIx64 "%s", regs[i].name, regs[i].v,
                        i % 3 == 2 ? "\n" : "  ");
                ward__buf_printf(j, "%s\"%s\":\"0x%" PRIx64 "\"", i ? "," : "", regs[i].name,
                                 regs[i].v);
        }
        ward__buf_puts(j, "},");
}

/* The core just written, opened with libdwfl as eu-stack opens it: its
 * unwinder starts from every register of NT_PRSTATUS (the frame pointer
 * too), where ward_stack_unwind has only SP and PC. */
struct core_unwind {
        Dwfl *dwfl;
        Elf *elf;
        int fd;
        size_t n_threads;
        int *tids; /* per thread of the capture */
        size_t *n; /* frames found */
        uint64_t (*pcs)[MAX_FRAMES];
        int (*activation)[MAX_FRAMES];
        size_t cur; /* the thread being unwound */
};

static void core_close(struct core_unwind *u)
{
        dwfl_end(u->dwfl);
        elf_end(u->elf);
        if (u->fd >= 0) {
                close(u->fd);
        }
        free(u->tids);
        free(u->n);
        free(u->pcs);
        free(u->activation);
        memset(u, 0, sizeof(*u));
        u->fd = -1;
}

static int on_core_frame(Dwfl_Frame *state, void *arg)
{
        struct core_unwind *u = arg;
        Dwarf_Addr pc;
        bool activation;
        size_t *n = &u->n[u->cur];
        if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0) {
                return DWARF_CB_ABORT;
        }
        u->pcs[u->cur][*n] = pc;
        u->activation[u->cur][(*n)++] = activation;
        return *n < MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int on_core_thread(Dwfl_Thread *thread, void *arg)
{
        struct core_unwind *u = arg;
        pid_t tid = dwfl_thread_tid(thread);
        for (size_t i = 0; i < u->n_threads; i++) {
                if (u->tids[i] == tid) {
                        u->cur = i;
                        dwfl_thread_getframes(thread, on_core_frame, u);
                        break;
                }
        }
        return DWARF_CB_OK;
}

/* core_unwind: every thread's frames from the core at path; -1 if the core
 * does not open */
static int core_unwind(struct core_unwind *u, const char *path, const struct ward__capture *c)
{
        static const Dwfl_Callbacks cb = {
            .find_elf = dwfl_build_id_find_elf,
            .find_debuginfo = dwfl_standard_find_debuginfo,
        };
        memset(u, 0, sizeof(*u));
        elf_version(EV_CURRENT);
        u->n_threads = c->n;
        u->tids = calloc(c->n + 1, sizeof(*u->tids));
        u->n = calloc(c->n + 1, sizeof(*u->n));
        u->pcs = calloc(c->n + 1, sizeof(*u->pcs));
        u->activation = calloc(c->n + 1, sizeof(*u->activation));
        u->fd = open(path, O_RDONLY | O_CLOEXEC);
        u->elf = u->fd >= 0 ? elf_begin(u->fd, ELF_C_READ_MMAP, NULL) : NULL;
        u->dwfl = u->elf && u->tids && u->n && u->pcs && u->activation ? dwfl_begin(&cb) : NULL;
        if (!u->dwfl || dwfl_core_file_report(u->dwfl, u->elf, NULL) < 0 ||
            dwfl_report_end(u->dwfl, NULL, NULL) != 0 ||
            dwfl_core_file_attach(u->dwfl, u->elf) < 0) {
                core_close(u);
                return -1;
        }
        for (size_t i = 0; i < c->n; i++) {
                u->tids[i] = c->t[i].tid;
        }
        dwfl_getthreads(u->dwfl, on_core_thread, u);
        return 0;
}

/* core_frames: thread i's stack from the core, named with st; 0 if none */
static size_t core_frames(struct core_unwind *u, struct ward_stack *st, size_t i,
                          struct ward_stack_frame *frames)
{
        if (!u->dwfl || !st || i >= u->n_threads) {
                return 0;
        }
        for (size_t k = 0; k < u->n[i]; k++) {
                ward_stack_symbolize(st, u->pcs[i][k], !u->activation[i][k], &frames[k]);
        }
        return u->n[i];
}

static void put_threads(struct report *r, const char *core_path, struct ward__buf *j, FILE *text)
{
        struct ward__capture *c = r->c;
        struct ward_stack *st = NULL;
        struct ward_stack_frame *frames = calloc(MAX_FRAMES, sizeof(*frames));
        struct core_unwind *u = calloc(1, sizeof(*u));
        ward_stack_open(c->mm_tid, 1, &st);
        if (u && core_unwind(u, core_path, c) < 0) {
                free(u);
                u = NULL;
        }
        ward__buf_puts(j, "\"threads\":[");
        for (size_t i = 0; i < c->n; i++) {
                const struct ward__core_thread *t = &c->t[i];
                char name[64];
                size_t n = 0;
                thread_name(c->pid, t->tid, name, sizeof(name));
                fprintf(text, "\nthread %d \"%s\"%s\n", t->tid, name,
                        i == 0 && c->o.signo ? " (crashed)" : "");
                ward__buf_printf(j, "%s{\"tid\":%d,", i ? "," : "", t->tid);
                jstr(j, "name", name);
                ward__buf_printf(j, ",\"crashed\":%s,\"frames\":[",
                                 i == 0 && c->o.signo ? "true" : "false");
                if (frames && t->stopped && u) {
                        n = core_frames(u, st, i, frames);
                }
                /* without the core's unwind: from SP and PC of the live thread */
                if (st && frames && t->stopped && n < 2 &&
                    ward_stack_unwind(st, t->tid, t->regs.rsp, t->regs.rip, frames, MAX_FRAMES,
                                      &n) < 0) {
                        n = 0;
                }
                for (size_t k = 0; k < n; k++) {
                        put_frame(r, j, text, k, &frames[k]);
                }
                if (n == 0) {
                        fprintf(text, "  (no stack)\n");
                }
                ward__buf_puts(j, "]}");
        }
        ward__buf_puts(j, "],");
        if (u) {
                core_close(u);
                free(u);
        }
        ward_stack_close(st);
        free(frames);
}

static void put_modules(struct report *r, struct ward__buf *j, FILE *text)
{
        fprintf(text, "\nmodules:\n");
        ward__buf_puts(j, "\"modules\":[");
        for (size_t i = 0; i < r->n_mods; i++) {
                const struct module *m = &r->mods[i];
                fprintf(text, "  0x%016" PRIx64 "-0x%016" PRIx64 " %s %s\n", m->low, m->high,
                        m->build_id[0] ? m->build_id : "-", m->name);
                ward__buf_printf(j, "%s{", i ? "," : "");
                jstr(j, "name", m->name);
                ward__buf_printf(j, ",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",",
                                 m->low, m->high);
                jstr(j, "build_id", m->build_id);
                ward__buf_putc(j, '}');
        }
        ward__buf_puts(j, "],");
}

static void put_trace(struct report *r, struct ward__buf *j, FILE *text)
{
        ward_trace_reader *tr = NULL;
        r->max_lines = r->c->o.trace_events ? r->c->o.trace_events : 50;
        r->lines = calloc(r->max_lines, sizeof(*r->lines));
        if (r->lines && ward_trace_reader_open(r->c->pid, 0, &tr, NULL, 0) == 0) {
                ward_trace_reader_recover_text(tr, on_line, r);
                ward_trace_reader_close(tr);
        }
        ward__buf_puts(j, "\"trace\":[");
        if (r->n_lines) {
                fprintf(text, "\nlast trace events:\n");
        }
        for (size_t i = 0; i < r->n_lines; i++) {
                const char *s = trace_line(r, i);
                fprintf(text, "  %s\n", s);
                if (i) {
                        ward__buf_putc(j, ',');
                }
                ward__json_put_string(j, s, strlen(s));
        }
        ward__buf_puts(j, "],");
        for (size_t i = 0; r->lines && i < r->max_lines; i++) {
                free(r->lines[i]);
        }
        free(r->lines);
}

static void put_locks(struct report *r, struct ward__buf *j, FILE *text)
{
        struct ward_lock_registry reg;
        int first = 1;
        ward__buf_puts(j, "\"locks\":[");
        if (ward_lock_registry_read(r->c->pid, &reg) == 0) {
                for (size_t i = 0; i < reg.n; i++) {
                        const struct ward_lock_entry *e = &reg.entries[i];
                        if (!e->owner && !e->readers) {
                                continue;
                        }
                        if (first) {
                                fprintf(text, "\nheld ward locks:\n");
                        }
                        fprintf(text, "  %s 0x%" PRIx64 " held by %u (readers %u), created at %s\n",
                                e->name[0] ? e->name : "(unnamed)", e->addr, e->owner, e->readers,
                                e->site);
                        ward__buf_printf(j, "%s{", first ? "" : ",");
                        jstr(j, "name", e->name);
                        ward__buf_printf(j,
                                         ",\"addr\":\"0x%" PRIx64
                                         "\",\"owner\":%u,\"readers\":%u,\"waiters\":%u,",
                                         e->addr, e->owner, e->readers, e->waiters);
                        jstr(j, "site", e->site);
                        ward__buf_putc(j, '}');
                        first = 0;
                }
                ward_lock_registry_free(&reg);
        }
        ward__buf_puts(j, "]");
}

int ward__core_report_write(struct ward__capture *c, const char *core_path, FILE *text, FILE *json)
{
        struct report r = {.c = c};
        struct ward__buf j = {0};
        FILE *devnull = NULL;
        if (!text) {
                text = devnull = fopen("/dev/null", "we");
                if (!text) {
                        return -errno;
                }
        }
        list_modules(&r);
        fprintf(text, "process %d: ", c->pid);
        ward__buf_printf(&j, "{\"pid\":%d,", c->pid);
        jstr(&j, "core", core_path);
        ward__buf_putc(&j, ',');
        if (c->o.signo) {
                fprintf(text, "signal %d (%s), code %d, address 0x%" PRIx64 "\n", c->o.signo,
                        strsignal(c->o.signo), c->o.code, c->o.addr);
                ward__buf_printf(&j, "\"signal\":{\"signo\":%d,", c->o.signo);
                jstr(&j, "name", strsignal(c->o.signo));
                ward__buf_printf(&j, ",\"code\":%d,\"addr\":\"0x%" PRIx64 "\"},", c->o.code,
                                 c->o.addr);
        } else {
                fprintf(text, "snapshot (no signal)\n");
                ward__buf_puts(&j, "\"signal\":null,");
        }
        fprintf(text, "core: %s\n", core_path);
        if (c->n && c->t[0].stopped) {
                fprintf(text, "\nthread %d registers:\n", c->t[0].tid);
                put_registers(&c->t[0].regs, &j, text);
                fprintf(text, "\n");
        }
        put_threads(&r, core_path, &j, text);
        put_modules(&r, &j, text);
        put_trace(&r, &j, text);
        put_locks(&r, &j, text);
        ward__buf_puts(&j, "}\n");
        free(r.mods);
        int ret = j.failed ? -ENOMEM : 0;
        if (json && !j.failed && fwrite(j.p, 1, j.len, json) != j.len) {
                ret = -EIO;
        }
        ward__buf_free(&j);
        if (devnull) {
                fclose(devnull);
        }
        return ret;
}
