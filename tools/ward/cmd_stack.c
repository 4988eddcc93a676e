/* ward stack PID [--live] [--thread TID] [--json]: every thread's stack of a
 * process, with function+offset, module, build-id, file:line and inlined
 * frames. By default the process is stopped (ptrace) for a consistent
 * picture, like eu-stack; --live never stops it (threads running in user
 * space then have no frames). Exit status: 0 ok, 2 bad usage or a process
 * that cannot be looked at. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/stack.h>

#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

static const char usage[] =
    "usage: ward stack PID [--live] [--thread TID] [--json]\n"
    "  every thread's stack: function+offset, module, file:line, inlined frames\n"
    "  (default)     stop the process for a moment (ptrace), like eu-stack\n"
    "  --live        never stop it: threads running in user space get no frames\n"
    "  --thread TID  only that thread\n"
    "  --json        "
    "{\"pid\",\"mode\",\"threads\":[{\"tid\",\"name\",\"state\",\"frames\":[{\"pc\",\n"
    "                "
    "\"function\",\"offset\",\"module\",\"build_id\",\"file\",\"line\",\"inlined\"}]}]}\n";

struct out {
        int json;
        int last_tid;
        struct ward__buf b;
};

static int parse_id(const char *s, int *ret)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (!*s || *end || v <= 0 || v > 0x7fffffff) {
                return -1;
        }
        *ret = (int)v;
        return 0;
}

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

static void text_thread(const struct ward_proc_thread *t)
{
        printf("thread %d \"%s\" %s", t->tid, t->name, ward_proc_thread_state_name(t->state));
        if (t->syscall >= 0) {
                printf(", in system call %ld", t->syscall);
        }
        if (t->how != WARD_PROC_THREAD_UNWOUND) {
                printf(": %s", how_text(t));
        }
        putchar('\n');
}

static void text_frame(size_t i, const struct ward_stack_frame *f)
{
        const char *base = strrchr(f->file, '/');
        printf("    #%-2zu 0x%016llx %s", i, (unsigned long long)f->pc,
               f->func[0] ? f->func : "??");
        if (f->inlined) {
                printf(" [inlined]");
        } else if (f->func[0]) {
                printf("+0x%llx", (unsigned long long)f->func_off);
        }
        if (f->module[0]) {
                printf(" in %s", f->module);
        }
        if (f->file[0]) {
                printf(" (%s:%d)", base ? base + 1 : f->file, f->line);
        }
        putchar('\n');
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

static int on_frame(void *arg, const struct ward_proc_thread *t, size_t i,
                    const struct ward_stack_frame *f)
{
        struct out *o = arg;
        if (t->tid != o->last_tid) {
                if (o->json) {
                        json_thread_start(&o->b, t, o->last_tid == 0);
                } else {
                        text_thread(t);
                }
                o->last_tid = t->tid;
        }
        if (f) {
                if (o->json) {
                        json_frame(&o->b, i, f);
                } else {
                        text_frame(i, f);
                }
        }
        return 0;
}

/* why: what to tell a user whose process ward may not trace or read */
static void explain_eperm(int pid)
{
        char buf[16] = "";
        FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
        if (f) {
                if (!fgets(buf, sizeof(buf), f)) {
                        buf[0] = '\0';
                }
                fclose(f);
        }
        buf[strcspn(buf, "\n")] = '\0';
        fprintf(stderr,
                "ward stack: process %d: permission denied: it belongs to another user (run as "
                "that user or root), or ptrace is restricted (/proc/sys/kernel/yama/ptrace_scope "
                "is %s%s), or ward runs in a container without CAP_SYS_PTRACE\n",
                pid, buf[0] ? buf : "not present",
                buf[0] && buf[0] != '0' ? ": only descendants or CAP_SYS_PTRACE may trace" : "");
}

int cmd_stack(int argc, char **argv)
{
        int pid = 0, tid = 0, json = 0;
        unsigned flags = WARD_PROC_STACKS_STOP;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        fputs(usage, stdout);
                        return 0;
                } else if (strcmp(a, "--live") == 0) {
                        flags &= ~WARD_PROC_STACKS_STOP;
                } else if (strcmp(a, "--json") == 0) {
                        json = 1;
                } else if (strcmp(a, "--thread") == 0) {
                        if (i + 1 >= argc || parse_id(argv[i + 1], &tid) < 0) {
                                fprintf(stderr,
                                        "ward stack: --thread needs a thread id, not '%s'\n",
                                        i + 1 < argc ? argv[i + 1] : "");
                                return 2;
                        }
                        i++;
                } else if (a[0] == '-') {
                        fprintf(stderr, "ward stack: unknown option '%s'\n%s", a, usage);
                        return 2;
                } else if (pid || parse_id(a, &pid) < 0) {
                        fprintf(stderr, "ward stack: '%s' is not a process id\n%s", a, usage);
                        return 2;
                }
        }
        if (!pid) {
                fprintf(stderr, "ward stack: which process?\n%s", usage);
                return 2;
        }
        struct out o = {.json = json};
        if (json) {
                ward__buf_printf(&o.b, "{\"pid\":%d,\"mode\":\"%s\",\"threads\":[", pid,
                                 flags & WARD_PROC_STACKS_STOP ? "stop" : "live");
        }
        int r = tid ? ward_proc_stack(pid, tid, flags, on_frame, &o)
                    : ward_proc_stacks(pid, flags, on_frame, &o);
        if (r < 0) {
                ward__buf_free(&o.b);
                if (r == -EPERM || r == -EACCES) {
                        explain_eperm(pid);
                } else if (r == -ESRCH && tid) {
                        fprintf(stderr, "ward stack: process %d has no thread %d\n", pid, tid);
                } else if (r == -ESRCH) {
                        fprintf(stderr, "ward stack: no process %d\n", pid);
                } else if (r == -EBUSY) {
                        fprintf(stderr,
                                "ward stack: process %d is traced by a debugger already; "
                                "--live looks without stopping it\n",
                                pid);
                } else if (r == -EINVAL && pid == getpid()) {
                        fprintf(stderr, "ward stack: ward cannot stop itself; use --live\n");
                } else {
                        fprintf(stderr, "ward stack: process %d: %s\n", pid, strerror(-r));
                }
                return 2;
        }
        if (json) {
                ward__buf_puts(&o.b, o.last_tid ? "]}]}\n" : "]}\n");
                char *s = ward__buf_take_str(&o.b);
                if (!s) {
                        fprintf(stderr, "ward stack: out of memory\n");
                        return 2;
                }
                fputs(s, stdout);
                free(s);
        }
        return 0;
}
