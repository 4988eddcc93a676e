/* ward debug [--json] [--] PROG ARGS... | ward debug [--json] -p PID: what
 * happens to a program, one line per event (--json: one object per line):
 * threads starting and ending, forks, execs, exits, signals (faults with
 * their code and address), libraries loaded and unloaded, and its stderr
 * line by line (the last two only for a program ward starts). Ctrl-C
 * detaches from -p PID and leaves it running; a started program gets the
 * Ctrl-C itself. Exit status: the started program's (128 + signal when a
 * signal ended it), 0 after -p, 2 bad usage or a program that cannot be
 * started or followed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/debug.h>
#include <ward/stack.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

static ward_debug *running;
static int interrupted;

static void on_sigint(int sig)
{
        (void)sig;
        interrupted = 1;
        if (running) {
                ward_debug_interrupt(running);
        }
}

static void ignore_signal(int sig)
{
        (void)sig; /* the started program gets it; ward keeps following */
}

struct ctx {
        int json;
        int root;        /* the started or attached process */
        int root_status; /* its exit status as a shell would give it */
};

static const char *signal_name(int sig, char *buf, size_t size)
{
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev) {
                snprintf(buf, size, "SIG%s", abbrev);
        } else if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
                snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
        } else {
                snprintf(buf, size, "signal %d", sig);
        }
        return buf;
}

static const char *code_name(int sig, int code)
{
        static const struct {
                int sig, code;
                const char *name;
        } codes[] = {
            {SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR"},
            {SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR"},
            {SIGBUS, BUS_ADRALN, "BUS_ADRALN"},
            {SIGBUS, BUS_ADRERR, "BUS_ADRERR"},
            {SIGBUS, BUS_OBJERR, "BUS_OBJERR"},
            {SIGILL, ILL_ILLOPC, "ILL_ILLOPC"},
            {SIGILL, ILL_ILLOPN, "ILL_ILLOPN"},
            {SIGILL, ILL_PRVOPC, "ILL_PRVOPC"},
            {SIGFPE, FPE_INTDIV, "FPE_INTDIV"},
            {SIGFPE, FPE_INTOVF, "FPE_INTOVF"},
            {SIGFPE, FPE_FLTDIV, "FPE_FLTDIV"},
            {SIGTRAP, TRAP_BRKPT, "TRAP_BRKPT"},
            {SIGTRAP, TRAP_TRACE, "TRAP_TRACE"},
            {SIGCHLD, CLD_EXITED, "CLD_EXITED"},
            {SIGCHLD, CLD_KILLED, "CLD_KILLED"},
            {SIGCHLD, CLD_DUMPED, "CLD_DUMPED"},
            {SIGCHLD, CLD_STOPPED, "CLD_STOPPED"},
            {SIGCHLD, CLD_CONTINUED, "CLD_CONTINUED"},
            {0, SI_USER, "SI_USER"},
            {0, SI_KERNEL, "SI_KERNEL"},
            {0, SI_QUEUE, "SI_QUEUE"},
            {0, SI_TIMER, "SI_TIMER"},
            {0, SI_TKILL, "SI_TKILL"},
            {0, SI_ASYNCIO, "SI_ASYNCIO"},
            {0, SI_MESGQ, "SI_MESGQ"},
        };
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                if (codes[i].code == code &&
                    (codes[i].sig == sig || (codes[i].sig == 0 && code <= 0) ||
                     (codes[i].sig == 0 && code == SI_KERNEL))) {
                        return codes[i].name;
                }
        }
        return NULL;
}

static int has_fault_address(const struct ward_debug_event *ev)
{
        return ev->code > 0 && (ev->signo == SIGSEGV || ev->signo == SIGBUS ||
                                ev->signo == SIGILL || ev->signo == SIGFPE || ev->signo == SIGTRAP);
}

/* printable: the program's bytes as text for a terminal: control bytes as
 * \xNN (JSON output escapes on its own) */
static void put_printable(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 32 || c == 127) {
                        printf("\\x%02x", c);
                } else {
                        putchar(c);
                }
        }
}

static void text_event(const struct ward_debug_event *ev)
{
        char sig[32], where[300];
        printf("[%d] ", ev->pid);
        switch (ev->kind) {
        case WARD_DEBUG_ATTACHED:
                printf("attached to thread %d", ev->tid);
                break;
        case WARD_DEBUG_THREAD_START:
                printf("thread %d started", ev->tid);
                break;
        case WARD_DEBUG_THREAD_EXIT:
                if (ev->signo) {
                        printf("thread %d ended by %s", ev->tid,
                               signal_name(ev->signo, sig, sizeof(sig)));
                } else {
                        printf("thread %d exited (%d)", ev->tid, ev->status);
                }
                break;
        case WARD_DEBUG_FORK:
                printf("%s: child process %d (thread %d)", ev->vfork ? "vfork" : "fork", ev->child,
                       ev->tid);
                break;
        case WARD_DEBUG_EXEC:
                printf("exec ");
                put_printable(ev->text, ev->len);
                break;
        case WARD_DEBUG_EXIT:
                if (ev->signo) {
                        printf("process killed by %s%s", signal_name(ev->signo, sig, sizeof(sig)),
                               ev->core ? " (core dumped)" : "");
                } else {
                        printf("process exited with status %d", ev->status);
                }
                break;
        case WARD_DEBUG_SIGNAL: {
                const char *code = code_name(ev->signo, ev->code);
                printf("signal %s", signal_name(ev->signo, sig, sizeof(sig)));
                if (code) {
                        printf(" (%s)", code);
                } else {
                        printf(" (code %d)", ev->code);
                }
                if (has_fault_address(ev)) {
                        printf(" at address 0x%llx", (unsigned long long)ev->addr);
                }
                if (ev->sender) {
                        printf(" from process %d", ev->sender);
                }
                printf(" in thread %d, pc 0x%llx", ev->tid, (unsigned long long)ev->pc);
                if (ev->pc && ward_symbol_name(ev->pid, ev->pc, where, sizeof(where)) == 0) {
                        printf(" (%s)", where);
                }
                break;
        }
        case WARD_DEBUG_LIBRARY_LOAD:
        case WARD_DEBUG_LIBRARY_UNLOAD:
                printf("library %s ", ev->kind == WARD_DEBUG_LIBRARY_LOAD ? "loaded" : "unloaded");
                put_printable(ev->text, ev->len);
                printf(" at 0x%llx", (unsigned long long)ev->addr);
                break;
        case WARD_DEBUG_OUTPUT:
                printf("stderr: ");
                put_printable(ev->text, ev->len);
                break;
        }
        putchar('\n');
}

static void json_event(const struct ward_debug_event *ev)
{
        struct ward__buf b = {0};
        char sig[32];
        ward__buf_printf(&b, "{\"event\":\"%s\",\"pid\":%d,\"tid\":%d",
                         ward_debug_event_name(ev->kind), ev->pid, ev->tid);
        switch (ev->kind) {
        case WARD_DEBUG_FORK:
                ward__buf_printf(&b, ",\"child\":%d,\"vfork\":%s", ev->child,
                                 ev->vfork ? "true" : "false");
                break;
        case WARD_DEBUG_EXEC:
                ward__buf_puts(&b, ",\"path\":");
                ward__json_put_string(&b, ev->text, ev->len);
                break;
        case WARD_DEBUG_THREAD_EXIT:
        case WARD_DEBUG_EXIT:
                ward__buf_printf(&b, ",\"status\":%d,\"signal\":", ev->status);
                if (ev->signo) {
                        signal_name(ev->signo, sig, sizeof(sig));
                        ward__json_put_string(&b, sig, strlen(sig));
                } else {
                        ward__buf_puts(&b, "null");
                }
                if (ev->kind == WARD_DEBUG_EXIT) {
                        ward__buf_printf(&b, ",\"core\":%s", ev->core ? "true" : "false");
                }
                break;
        case WARD_DEBUG_SIGNAL: {
                const char *code = code_name(ev->signo, ev->code);
                signal_name(ev->signo, sig, sizeof(sig));
                ward__buf_puts(&b, ",\"signal\":");
                ward__json_put_string(&b, sig, strlen(sig));
                ward__buf_printf(&b, ",\"signo\":%d,\"code\":%d,\"code_name\":", ev->signo,
                                 ev->code);
                if (code) {
                        ward__json_put_string(&b, code, strlen(code));
                } else {
                        ward__buf_puts(&b, "null");
                }
                if (has_fault_address(ev)) {
                        ward__buf_printf(&b, ",\"address\":\"0x%llx\"",
                                         (unsigned long long)ev->addr);
                }
                ward__buf_printf(&b, ",\"sender\":%d,\"pc\":\"0x%llx\"", ev->sender,
                                 (unsigned long long)ev->pc);
                break;
        }
        case WARD_DEBUG_LIBRARY_LOAD:
        case WARD_DEBUG_LIBRARY_UNLOAD:
                ward__buf_puts(&b, ",\"path\":");
                ward__json_put_string(&b, ev->text, ev->len);
                ward__buf_printf(&b, ",\"base\":\"0x%llx\"", (unsigned long long)ev->addr);
                break;
        case WARD_DEBUG_OUTPUT:
                ward__buf_puts(&b, ",\"line\":");
                ward__json_put_string(&b, ev->text, ev->len);
                break;
        default:
                break;
        }
        ward__buf_puts(&b, "}\n");
        char *s = ward__buf_take_str(&b);
        if (s) {
                fputs(s, stdout);
                free(s);
        }
}

static int on_event(void *arg, const struct ward_debug_event *ev)
{
        struct ctx *c = arg;
        if (c->json) {
                json_event(ev);
        } else {
                text_event(ev);
        }
        fflush(stdout);
        if (ev->kind == WARD_DEBUG_EXIT && ev->pid == c->root) {
                c->root_status = ev->signo ? 128 + ev->signo : ev->status;
        }
        return 0;
}

enum { OPT_JSON = 1, OPT_PID };

static const struct cli_command debug_cmd = {
    .name = "debug",
    .synopsis = "[--json] [--] PROG [ARGS...]\n[--json] -p PID",
    .summary = "Follow a program as a debugger does, and print what happens to it.",
    .description = "One line per event: threads starting and ending, forks, execs, exits,\n"
                   "signals (with their si_code, the fault address and the function at the\n"
                   "pc), libraries loaded and unloaded, and the program's stderr line by line\n"
                   "(the last two for a program ward starts). Signals are given back to the\n"
                   "program. Everything after PROG is PROG's: ward debug PROG --flag passes\n"
                   "--flag to PROG. Ctrl-C detaches from -p PID and leaves it running; a\n"
                   "started program gets the Ctrl-C itself.",
    .options =
        (const struct cli_option[]){
            {OPT_JSON, "json", 0, NULL, "one JSON object per event, one per line"},
            {OPT_PID, "pid", 'p', "PID", "follow this running process"},
            {0},
        },
    .args = "PROG [ARGS...]",
    .min_args = 0,
    .max_args = -1,
    .flags = CLI_REST_ARE_ARGS,
    .exit_status = "the started program's exit status (128+N when signal N ended it)\n"
                   "0  after -p PID, once detached or the process ended\n"
                   "2  bad usage, no such process or program, not allowed to trace it, or the\n"
                   "   tracing failed\n",
    .examples = "ward debug -- ./app --port 8080\nward debug --json -p 4200",
};

/* start_error: why PROG could not be started, or PID not followed */
static int start_error(const struct cli *c, const char *prog, int pid, int r)
{
        if (pid && r == -EBUSY) {
                return cli_error(c, CLI_USAGE, "process %d is traced by a debugger already", pid);
        }
        if (pid) {
                int code = cli_process_error(c, pid, r);
                return code == CLI_PROBLEM ? CLI_USAGE : code;
        }
        if (r == -EPERM) {
                return cli_error(c, CLI_USAGE,
                                 "%s: ptrace is not permitted here (kernel.yama.ptrace_scope=3, "
                                 "or a container or seccomp policy without CAP_SYS_PTRACE)",
                                 prog);
        }
        return cli_error(c, CLI_USAGE, "%s: %s", prog, strerror(-r));
}

int cmd_debug(int argc, char **argv)
{
        struct ctx ctx = {0};
        int pid = 0, prog = 0;
        struct cli c;
        cli_init(&c, &debug_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_JSON:
                        ctx.json = c.json = 1;
                        break;
                case OPT_PID:
                        if ((pid = cli_pid(c.value)) < 0) {
                                return cli_bad_value(&c, "--pid", c.value, "a process id");
                        }
                        break;
                case CLI_ARG:
                        if (!prog) {
                                prog = c.i - 1;
                        }
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if ((pid != 0) == (prog != 0)) {
                return cli_usage_error(&c, "%s",
                                       pid ? "-p PID or a program, not both"
                                           : "which program (PROG) or process (-p PID)?");
        }
        ward_debug *d;
        int r = pid ? ward_debug_attach(pid, on_event, &ctx, &d)
                    : ward_debug_spawn(argv + prog, NULL, on_event, &ctx, &d);
        if (r < 0) {
                return start_error(&c, pid ? NULL : argv[prog], pid, r);
        }
        ctx.root = ward_debug_pid(d);
        running = d;
        struct sigaction sa = {.sa_handler = pid ? on_sigint : ignore_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        r = ward_debug_run(d, -1);
        if (r == -EINTR && pid) {
                ward_debug_detach(d);
                fprintf(stderr, "ward debug: detached from %d; it runs on\n", pid);
                r = 0;
        }
        running = NULL;
        ward_debug_close(d);
        if (r < 0) {
                return cli_error(&c, CLI_USAGE, "%s", strerror(-r));
        }
        return pid ? CLI_OK : ctx.root_status;
}
