/* ward locks [--json] [-v] [-a] [-e] [--report] [--no-stacks] PID: the locks
 * of a live process (its instrumented locks' registry, merged with a scan of
 * its blocked threads), who holds what the blocked threads wait for, their
 * stacks, and any deadlock (a cycle still there ~100 ms later). Never stops
 * the process. Exit status: 0 no deadlock, 1 deadlock, 2 bad usage or no
 * process to look at. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "inspect/stack/symbol.h"
#include "locks.h"

#define CONFIRM_NS 100000000

enum { OPT_JSON = 1, OPT_VERBOSE, OPT_ALL, OPT_HELD, OPT_REPORT, OPT_NO_STACKS };

static const struct cli_command locks_cmd = {
    .name = "locks",
    .synopsis = "[--json] [-v] [-a] [-e] [--report] [--no-stacks] PID",
    .summary = "The locks of a live process: who holds what its threads wait for; deadlocks.",
    .description = "Reads the registry of the process's instrumented locks (ward_mutex, or any\n"
                   "pthread lock under libward-locks.so) and scans its blocked threads: which\n"
                   "mutex, rwlock, condition variable or futex each waits on, who holds it, and\n"
                   "their stacks. A cycle of waits still there ~100 ms later is a deadlock. The\n"
                   "process is never stopped.",
    .options =
        (const struct cli_option[]){
            {OPT_JSON, "json", 0, NULL, "one JSON object instead of text"},
            {OPT_VERBOSE, "verbose", 'v', NULL, "also the threads that wait for nothing"},
            {OPT_ALL, "all", 'a', NULL, "also the global mutexes and rwlocks a thread holds"},
            {OPT_HELD, "held", 'e', NULL, "only the registry's locks that are held"},
            {OPT_REPORT, "report", 0, NULL, "the contention top list of the instrumented locks"},
            {OPT_NO_STACKS, "no-stacks", 0, NULL, "no stacks (faster; no debug info read)"},
            {0},
        },
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
    .exit_status = "0  no deadlock\n"
                   "1  a deadlock\n"
                   "2  bad usage, no such process, or no permission to look\n",
    .examples = "ward locks 4242\n"
                "ward locks --json --no-stacks 4242",
};

/* parse: the options into o; -1 to go on, else the exit status */
static int parse(int argc, char **argv, struct cli *c, struct locks_opts *o)
{
        *o = (struct locks_opts){.pid = -1, .stacks = 1};
        cli_init(c, &locks_cmd, argc, argv);
        for (int r; (r = cli_next(c)) != CLI_END;) {
                switch (r) {
                case OPT_JSON:
                        o->json = 1;
                        break;
                case OPT_VERBOSE:
                        o->verbose = 1;
                        break;
                case OPT_ALL:
                        o->all = 1;
                        break;
                case OPT_HELD:
                        o->held = 1;
                        break;
                case OPT_REPORT:
                        o->report = 1;
                        break;
                case OPT_NO_STACKS:
                        o->stacks = 0;
                        break;
                case CLI_ARG:
                        if (cli_arg_pid(c, &o->pid) != 0) {
                                return CLI_USAGE;
                        }
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if (o->report && o->json) {
                return cli_usage_error(c, "--report is text only; --json has the same counts");
        }
        return -1;
}

int locks_in_cycle(const struct locks_ctx *c, int tid)
{
        for (size_t i = 0; c->deadlock && i < c->scan.cycle_len; i++) {
                if (c->scan.cycle[i] == tid) {
                        return 1;
                }
        }
        return 0;
}

const struct ward_lock_entry *locks_entry_at(const struct locks_ctx *c, uint64_t addr)
{
        for (size_t i = 0; i < c->reg.n; i++) {
                if (c->reg.entries[i].addr == addr) {
                        return &c->reg.entries[i];
                }
        }
        return NULL;
}

/* symbol_of: ward_symbol_name once per address (many threads wait on
 * the same few locks; sites repeat); buf untouched when it fails */
static int symbol_of(const struct locks_ctx *c, uint64_t addr, char *buf, size_t size)
{
        static struct {
                int pid, r;
                uint64_t addr;
                char name[256];
        } cache[64];
        size_t i = (addr >> 3) % (sizeof(cache) / sizeof(cache[0]));
        if (cache[i].pid != c->scan.pid || cache[i].addr != addr) {
                cache[i].pid = c->scan.pid;
                cache[i].addr = addr;
                cache[i].r =
                    ward_symbol_name(c->scan.pid, addr, cache[i].name, sizeof(cache[i].name));
        }
        if (cache[i].r == 0) {
                snprintf(buf, size, "%s", cache[i].name);
        }
        return cache[i].r;
}

void locks_object_name(const struct locks_ctx *c, uint64_t addr, char *buf, size_t size)
{
        const struct ward_lock_entry *e = locks_entry_at(c, addr);
        buf[0] = '\0';
        if (e && e->name[0]) {
                snprintf(buf, size, "%s", e->name);
        } else {
                symbol_of(c, addr, buf, size);
        }
}

void locks_entry_name(const struct locks_ctx *c, const struct ward_lock_entry *e, char *buf,
                      size_t size)
{
        if (e->name[0]) {
                snprintf(buf, size, "\"%s\"", e->name);
        } else if (symbol_of(c, e->addr, buf, size) < 0) {
                snprintf(buf, size, "0x%llx", (unsigned long long)e->addr);
        }
}

/* name_code: "function (file:line)" or "function+0xN (module)" for the
 * return address pc; -ENOENT without a function name */
static int name_code(const struct locks_ctx *c, uint64_t pc, char *buf, size_t size)
{
        struct ward_stack_frame f;
        if (!c->dwfl || ward_stack_symbolize(c->dwfl, pc, 1, &f) < 0 || !f.func[0]) {
                return -ENOENT;
        }
        const char *base = strrchr(f.file, '/');
        if (f.file[0]) {
                snprintf(buf, size, "%s (%s:%d)", f.func, base ? base + 1 : f.file, f.line);
        } else {
                snprintf(buf, size, "%s+0x%llx (%s)", f.func, (unsigned long long)f.func_off,
                         f.module);
        }
        return 0;
}

/* resolve_site: a "0xPC ..." site in place, when debug info names it */
static void resolve_site(const struct locks_ctx *c, char *site, size_t size)
{
        char *end;
        if (strncmp(site, "0x", 2) != 0) {
                return;
        }
        unsigned long long pc = strtoull(site, &end, 16);
        char named[WARD_LOCK_SITE_LEN];
        if ((*end == ' ' || *end == '\0') && name_code(c, pc, named, sizeof(named)) == 0) {
                snprintf(site, size, "%s", named);
        }
}

/* resolve_name: a lock name that is its address ("0x...") as its symbol */
static void resolve_name(const struct locks_ctx *c, char *name, size_t size)
{
        char *end;
        if (strncmp(name, "0x", 2) != 0) {
                return;
        }
        unsigned long long addr = strtoull(name, &end, 16);
        if (*end == '\0') {
                symbol_of(c, addr, name, size); /* the name's room: the symbol's start */
        }
}

void locks_resolve_registry(struct locks_ctx *c)
{
        for (size_t i = 0; i < c->reg.n; i++) {
                resolve_site(c, c->reg.entries[i].site, sizeof(c->reg.entries[i].site));
        }
        for (size_t i = 0; i < c->reg.n_inv; i++) {
                struct ward_lock_inversion *v = &c->reg.inv[i];
                resolve_name(c, v->held, sizeof(v->held));
                resolve_name(c, v->wanted, sizeof(v->wanted));
                resolve_site(c, v->held_site, sizeof(v->held_site));
                resolve_site(c, v->wanted_site, sizeof(v->wanted_site));
                resolve_site(c, v->earlier_first_site, sizeof(v->earlier_first_site));
                resolve_site(c, v->earlier_second_site, sizeof(v->earlier_second_site));
        }
}

void locks_last_site(const struct locks_ctx *c, const struct ward_lock_entry *e, char *buf,
                     size_t size)
{
        snprintf(buf, size, "?");
        if (!e->last_site) {
                snprintf(buf, size, "-");
        } else if (e->flags & WARD_LOCK_SITE_IS_PC) {
                if (name_code(c, e->last_site, buf, size) < 0 &&
                    symbol_of(c, e->last_site, buf, size) < 0) {
                        snprintf(buf, size, "0x%llx", (unsigned long long)e->last_site);
                }
        } else if (size > 1) {
                struct iovec l = {buf, size - 1}, r = {(void *)(uintptr_t)e->last_site, size - 1};
                ssize_t n = process_vm_readv(c->scan.pid, &l, 1, &r, 1, 0);
                if (n <= 0) { /* the string may end near a page's end: retry short */
                        l.iov_len = r.iov_len = size - 1 < 64 ? size - 1 : 64;
                        n = process_vm_readv(c->scan.pid, &l, 1, &r, 1, 0);
                }
                buf[n > 0 ? n : 0] = '\0';
                if (n <= 0) {
                        snprintf(buf, size, "?");
                }
                for (char *p = buf; *p; p++) { /* someone else's bytes: printable only */
                        if (*p < 32 || *p > 126) {
                                *p = '?';
                        }
                }
        }
}

int locks_skip_entry(const struct locks_ctx *c, const struct ward_lock_entry *e)
{
        return c->o.held && !e->owner && !e->readers;
}

static void take_stacks(struct locks_ctx *c)
{
        if (!c->dwfl) {
                return;
        }
        c->stacks = calloc(c->scan.n ? c->scan.n : 1, sizeof(*c->stacks));
        for (size_t i = 0; c->stacks && i < c->scan.n; i++) {
                const struct ward_lock_thread *t = &c->scan.threads[i];
                if (t->kind != WARD_LOCK_WAIT_NONE && t->sp && t->pc) {
                        ward_stack_unwind(c->dwfl, t->tid, t->sp, t->pc, c->stacks[i].frames,
                                          LOCKS_MAX_FRAMES, &c->stacks[i].n);
                }
        }
}

/* held_globals (-a): global mutexes and rwlocks that a thread holds */
static void held_globals(struct locks_ctx *c)
{
        struct ward_lock_global *g;
        size_t n;
        if (ward_lock_globals(c->scan.pid, &g, &n) < 0) {
                return;
        }
        c->globals = calloc(n ? n : 1, sizeof(*c->globals));
        for (size_t i = 0; c->globals && i < n; i++) {
                int owner = ward_lock_owner_of(&c->scan, g[i].addr, g[i].rwlock);
                int readers =
                    g[i].rwlock && owner <= 0 ? ward_lock_rwlock_readers(&c->scan, g[i].addr) : 0;
                if (owner > 0 || readers > 0) {
                        c->globals[c->n_globals++] =
                            (struct locks_held_global){g[i], readers, owner};
                }
        }
        free(g);
}

int cmd_locks(int argc, char **argv)
{
        struct locks_ctx c = {0};
        struct ward_lock_scan second;
        struct cli cli;
        int r = parse(argc, argv, &cli, &c.o);
        if (r >= 0) {
                return r;
        }
        r = ward_lock_scan(c.o.pid, &c.scan);
        if (r < 0) {
                return cli_process_error(&cli, c.o.pid, r);
        }
        c.reg_status = ward_lock_registry_read(c.o.pid, &c.reg);
        if (c.scan.cycle) { /* confirm: a deadlock does not move */
                struct timespec ts = {0, CONFIRM_NS};
                nanosleep(&ts, NULL);
                if (ward_lock_scan(c.o.pid, &second) == 0) {
                        c.deadlock = ward_lock_scan_same_cycle(&c.scan, &second);
                        ward_lock_scan_free(&second);
                }
        }
        if (c.o.stacks && ward_stack_open(c.o.pid, 1, &c.dwfl) < 0) {
                c.dwfl = NULL; /* no names from debug info; the rest still works */
        }
        locks_resolve_registry(&c);
        if (!c.o.report) {
                take_stacks(&c);
        }
        if (c.o.all) {
                held_globals(&c);
        }
        if (c.o.report) {
                locks_print_report(&c);
        } else if (c.o.json) {
                locks_print_json(&c);
        } else {
                locks_print_text(&c);
        }
        free(c.stacks);
        ward_stack_close(c.dwfl);
        free(c.globals);
        ward_lock_registry_free(&c.reg);
        ward_lock_scan_free(&c.scan);
        return c.deadlock ? CLI_PROBLEM : CLI_OK;
}
