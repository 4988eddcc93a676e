/* ward info [--json] PID: everything ward_proc_info reads about a process,
 * PSS and private memory included, and what ward knows of it. Exit 2 when
 * there is no such process or it may not be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ward/proc.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

static void ward_flags(unsigned w, char *out, size_t size)
{
        snprintf(out, size, "%s%s%s", w & WARD_PROC_TRACES ? " traced" : "",
                 w & WARD_PROC_LOCKS ? " locks" : "", w & WARD_PROC_GUARDED ? " guarded" : "");
}

static void start_text(uint64_t ns, char *out, size_t size)
{
        time_t t = (time_t)(ns / 1000000000ull);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_text(const struct ward_proc_info *p)
{
        char start[64], w[64];
        start_text(p->start_ns, start, sizeof(start));
        ward_flags(p->ward, w, sizeof(w));
        printf("pid        %d\nppid       %d\npgid/sid   %d/%d\ncomm       %s\nstate      %c\n",
               p->pid, p->ppid, p->pgid, p->sid, p->comm, p->state);
        printf("exe        %s\ncmdline    %s\n", p->exe ? p->exe : "-",
               p->cmdline ? p->cmdline : "-");
        printf("uid/gid    %d/%d\nstarted    %s\nuser       %.3f s\nsystem     %.3f s\n", p->uid,
               p->gid, start, (double)p->user_ns / 1e9, (double)p->system_ns / 1e9);
        printf("nice       %ld\npriority   %ld\nthreads    %ld\n", p->nice, p->priority,
               p->nthreads);
        printf("rss        %llu KiB\nvm size    %llu KiB\npss        %llu KiB\nprivate    %llu "
               "KiB\nswap       %llu KiB\n",
               (unsigned long long)p->rss / 1024, (unsigned long long)p->vm_size / 1024,
               (unsigned long long)p->pss / 1024, (unsigned long long)p->private_mem / 1024,
               (unsigned long long)p->swap / 1024);
        printf("fds        %d\ncgroup     %s\nward      %s\n", p->nfds, p->cgroup ? p->cgroup : "-",
               w[0] ? w : " -");
        printf("children  ");
        for (size_t i = 0; i < p->nchildren; i++) {
                printf(" %d", p->children[i]);
        }
        printf("%s\nthread ids", p->nchildren ? "" : " -");
        for (size_t i = 0; i < p->nthread_list; i++) {
                printf(" %d(%s)", p->threads[i].tid, p->threads[i].name);
        }
        printf("\n");
}

static void put_str(struct ward__buf *b, const char *key, const char *v)
{
        ward__buf_printf(b, ",\"%s\":", key);
        if (v) {
                ward__json_put_string(b, v, strlen(v));
        } else {
                ward__buf_puts(b, "null");
        }
}

static void print_json(const struct ward_proc_info *p)
{
        struct ward__buf b = {0};
        ward__buf_printf(&b, "{\"pid\":%d,\"ppid\":%d,\"pgid\":%d,\"sid\":%d,\"state\":\"%c\"",
                         p->pid, p->ppid, p->pgid, p->sid, p->state);
        put_str(&b, "comm", p->comm);
        put_str(&b, "exe", p->exe);
        put_str(&b, "cmdline", p->cmdline);
        put_str(&b, "cgroup", p->cgroup);
        ward__buf_printf(
            &b,
            ",\"uid\":%d,\"gid\":%d,\"start_ns\":%llu,\"user_ns\":%llu,\"system_ns\":%llu"
            ",\"nice\":%ld,\"priority\":%ld,\"threads\":%ld,\"rss\":%llu,\"vm_size\":%llu"
            ",\"pss\":%llu,\"private\":%llu,\"swap\":%llu,\"fds\":%d",
            p->uid, p->gid, (unsigned long long)p->start_ns, (unsigned long long)p->user_ns,
            (unsigned long long)p->system_ns, p->nice, p->priority, p->nthreads,
            (unsigned long long)p->rss, (unsigned long long)p->vm_size, (unsigned long long)p->pss,
            (unsigned long long)p->private_mem, (unsigned long long)p->swap, p->nfds);
        ward__buf_printf(&b, ",\"ward\":{\"traced\":%s,\"locks\":%s,\"guarded\":%s}",
                         p->ward & WARD_PROC_TRACES ? "true" : "false",
                         p->ward & WARD_PROC_LOCKS ? "true" : "false",
                         p->ward & WARD_PROC_GUARDED ? "true" : "false");
        ward__buf_puts(&b, ",\"children\":[");
        for (size_t i = 0; i < p->nchildren; i++) {
                ward__buf_printf(&b, "%s%d", i ? "," : "", p->children[i]);
        }
        ward__buf_puts(&b, "],\"thread_list\":[");
        for (size_t i = 0; i < p->nthread_list; i++) {
                ward__buf_printf(&b, "%s{\"tid\":%d,\"state\":\"%c\"", i ? "," : "",
                                 p->threads[i].tid, p->threads[i].state);
                put_str(&b, "name", p->threads[i].name);
                ward__buf_putc(&b, '}');
        }
        ward__buf_puts(&b, "]}\n");
        fwrite(b.p, 1, b.len, stdout);
        ward__buf_free(&b);
}

enum { OPT_JSON = 1 };

static const struct cli_command info_cmd = {
    .name = "info",
    .synopsis = "[--json] PID",
    .summary = "Everything about one process: what /proc says of it, and what ward knows.",
    .description = "Its executable and command line, parent, process group and session, user,\n"
                   "start time and CPU times, nice value and priority, memory (RSS, virtual\n"
                   "size, PSS, private, swap), open file descriptors, cgroup, children and\n"
                   "threads, and what ward knows of it (traced: it writes a ward trace; locks:\n"
                   "it has a lock registry; guarded: a ward guardian watches it).",
    .options =
        (const struct cli_option[]){
            {OPT_JSON, "json", 0, NULL, "one JSON object: {\"pid\",\"ppid\",...,\"thread_list\"}"},
            {0},
        },
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
    .examples = "ward info 4200\nward info --json $$",
};

int cmd_info(int argc, char **argv)
{
        int json = 0, pid = -1;
        struct cli c;
        cli_init(&c, &info_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_JSON:
                        json = c.json = 1;
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
        struct ward_proc_info p;
        int r = ward_proc_info(pid, WARD_PROC_ALL, &p);
        if (r < 0) {
                ward_proc_info_free(&p);
                return cli_process_error(&c, pid, r);
        }
        (json ? print_json : print_text)(&p);
        ward_proc_info_free(&p);
        return CLI_OK;
}
