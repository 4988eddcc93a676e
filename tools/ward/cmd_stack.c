/* ward stack [--live] [--thread TID] [--json] PID: every thread's stack of a
 * process, with function+offset, module, build-id, file:line and inlined
 * frames. By default the process is stopped (ptrace) for a consistent
 * picture, like eu-stack; --live never stops it (threads running in user
 * space then have no frames). On a terminal, a process of many threads
 * shows "thread K of N" on stderr while it is read. Exit status: 0 ok, 2
 * bad usage or a process that cannot be looked at. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/stack.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

/* from this many threads on, a terminal sees the progress */
#define PROGRESS_MIN_THREADS 8

struct out {
        int json;
        int last_tid;
        struct ward__buf b;
        size_t threads_seen, threads_total; /* total 0: no progress shown */
};

static void field(struct ward__buf *b, const char *key, const char *v)
{
        ward__buf_printf(b, ",\"%s\":", key);
        ward__json_put_string(b, v, strlen(v));
}

static const char *how_text(const struct ward_proc_thread *t)
{
        switch (t->how) {
        case WARD_PROC_THREAD_RUNNING:
                return "running (--live does not stop it: no frames)";
        case WARD_PROC_THREAD_GONE:
                return "ended while ward looked";
        case WARD_PROC_THREAD_UNREADABLE:
                return t->error == -ENODATA ? "no stack to read" : strerror(-t->error);
        default:
                return "";
        }
}

static void text_thread(struct ward__buf *b, const struct ward_proc_thread *t)
{
        ward__buf_printf(b, "thread %d \"%s\" %s", t->tid, t->name,
                         ward_proc_thread_state_name(t->state));
        if (t->syscall >= 0) {
                ward__buf_printf(b, ", in system call %ld", t->syscall);
        }
        if (t->how != WARD_PROC_THREAD_UNWOUND) {
                ward__buf_printf(b, ": %s", how_text(t));
        }
        ward__buf_putc(b, '\n');
}

static void text_frame(struct ward__buf *b, size_t i, const struct ward_stack_frame *f)
{
        const char *base = strrchr(f->file, '/');
        ward__buf_printf(b, "    #%-2zu 0x%016llx %s", i, (unsigned long long)f->pc,
                         f->func[0] ? f->func : "??");
        if (f->inlined) {
                ward__buf_puts(b, " [inlined]");
        } else if (f->func[0]) {
                ward__buf_printf(b, "+0x%llx", (unsigned long long)f->func_off);
        }
        if (f->module[0]) {
                ward__buf_printf(b, " in %s", f->module);
        }
        if (f->file[0]) {
                ward__buf_printf(b, " (%s:%d)", base ? base + 1 : f->file, f->line);
        }
        ward__buf_putc(b, '\n');
}

static void json_thread_start(struct ward__buf *b, const struct ward_proc_thread *t, int first)
{
        ward__buf_printf(b, "%s{\"tid\":%d", first ? "" : "]},", t->tid);
        field(b, "name", t->name);
        field(b, "state",
              t->how == WARD_PROC_THREAD_GONE      ? "gone"
              : t->how == WARD_PROC_THREAD_RUNNING ? "running"
                                                   : ward_proc_thread_state_name(t->state));
        ward__buf_printf(b, ",\"syscall\":%ld", t->syscall);
        if (t->how == WARD_PROC_THREAD_UNREADABLE) {
                field(b, "error", how_text(t));
        }
        ward__buf_puts(b, ",\"frames\":[");
}

static void json_frame(struct ward__buf *b, size_t i, const struct ward_stack_frame *f)
{
        ward__buf_printf(b, "%s{\"pc\":\"0x%llx\"", i ? "," : "", (unsigned long long)f->pc);
        field(b, "function", f->func);
        ward__buf_printf(b, ",\"offset\":%llu", (unsigned long long)f->func_off);
        field(b, "module", f->module);
        field(b, "build_id", f->build_id);
        field(b, "file", f->file);
        ward__buf_printf(b, ",\"line\":%d,\"inlined\":%s}", f->line, f->inlined ? "true" : "false");
}

/* progress: "thread K of N", one line overwritten on the terminal */
static void progress(struct out *o)
{
        o->threads_seen++;
        if (o->threads_total) {
                size_t n = o->threads_seen > o->threads_total ? o->threads_seen : o->threads_total;
                fprintf(stderr, "\rward stack: thread %zu of %zu", o->threads_seen, n);
                fflush(stderr);
        }
}

static void progress_end(const struct out *o)
{
        if (o->threads_total) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
        }
}

/* count_threads: the entries of /proc/PID/task, 0 when it cannot be read */
static size_t count_threads(int pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", pid);
        DIR *d = opendir(path);
        size_t n = 0;
        for (struct dirent *e; d && (e = readdir(d));) {
                n += e->d_name[0] != '.';
        }
        if (d) {
                closedir(d);
        }
        return n;
}

static int on_frame(void *arg, const struct ward_proc_thread *t, size_t i,
                    const struct ward_stack_frame *f)
{
        struct out *o = arg;
        if (t->tid != o->last_tid) {
                if (o->json) {
                        json_thread_start(&o->b, t, o->last_tid == 0);
                } else {
                        text_thread(&o->b, t);
                }
                o->last_tid = t->tid;
                progress(o);
        }
        if (f) {
                if (o->json) {
                        json_frame(&o->b, i, f);
                } else {
                        text_frame(&o->b, i, f);
                }
        }
        return 0;
}

enum { OPT_LIVE = 1, OPT_THREAD, OPT_JSON };

static const struct cli_command stack_cmd = {
    .name = "stack",
    .synopsis = "[--live] [--thread=TID] [--json] PID",
    .summary = "Every thread's stack of a running process, with file:line and inlined frames.",
    .description = "Each frame: function+offset, module, build-id, file:line, and the functions\n"
                   "inlined at that place. By default the process is stopped for a moment with\n"
                   "ptrace, like eu-stack, and left exactly as it was; --live never stops it, so\n"
                   "threads running in user space then have no frames. On a terminal, a process\n"
                   "of many threads shows \"thread K of N\" on stderr while it is read.",
    .options =
        (const struct cli_option[]){
            {OPT_LIVE, "live", 0, NULL, "never stop the process (running threads: no frames)"},
            {OPT_THREAD, "thread", 0, "TID", "only that thread"},
            {OPT_JSON, "json", 0, NULL, "the threads and their frames as one JSON object"},
            {0},
        },
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
    .examples = "ward stack 4200\nward stack --live --thread=4203 --json 4200",
};

/* stack_error: why the stacks of pid (thread tid, or 0) could not be read */
static int stack_error(const struct cli *c, int pid, int tid, int r)
{
        if (r == -ESRCH && tid && (kill(pid, 0) == 0 || errno == EPERM)) {
                return cli_error(c, CLI_USAGE, "process %d has no thread %d (see 'ward info %d')",
                                 pid, tid, pid);
        }
        if (r == -EBUSY) {
                return cli_error(c, CLI_USAGE,
                                 "process %d is traced by a debugger already; --live looks "
                                 "without stopping it",
                                 pid);
        }
        if (r == -EINVAL && pid == getpid()) {
                return cli_error(c, CLI_USAGE, "ward cannot stop itself; use --live");
        }
        return cli_process_error(c, pid, r);
}

static int print_out(const struct cli *c, struct out *o)
{
        if (o->json) {
                ward__buf_puts(&o->b, o->last_tid ? "]}]}\n" : "]}\n");
        }
        if (o->b.failed) {
                ward__buf_free(&o->b);
                return cli_error(c, CLI_PROBLEM, "out of memory");
        }
        fwrite(o->b.p, 1, o->b.len, stdout);
        ward__buf_free(&o->b);
        return CLI_OK;
}

int cmd_stack(int argc, char **argv)
{
        int pid = 0, tid = 0;
        unsigned flags = WARD_PROC_STACKS_STOP;
        struct out o = {0};
        struct cli c;
        cli_init(&c, &stack_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_LIVE:
                        flags &= ~WARD_PROC_STACKS_STOP;
                        break;
                case OPT_JSON:
                        o.json = c.json = 1;
                        break;
                case OPT_THREAD:
                        if ((tid = cli_pid(c.value)) < 0) {
                                return cli_bad_value(&c, "--thread", c.value, "a thread id");
                        }
                        break;
                case CLI_ARG:
                        if (cli_arg_pid(&c, &pid) != 0) {
                                return CLI_USAGE;
                        }
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if (o.json) {
                ward__buf_printf(&o.b, "{\"pid\":%d,\"mode\":\"%s\",\"threads\":[", pid,
                                 flags & WARD_PROC_STACKS_STOP ? "stop" : "live");
        }
        if (!tid && isatty(2)) {
                size_t n = count_threads(pid);
                o.threads_total = n >= PROGRESS_MIN_THREADS ? n : 0;
        }
        int r = tid ? ward_proc_stack(pid, tid, flags, on_frame, &o)
                    : ward_proc_stacks(pid, flags, on_frame, &o);
        progress_end(&o);
        if (r < 0) {
                ward__buf_free(&o.b);
                return stack_error(&c, pid, tid, r);
        }
        return print_out(&c, &o);
}
