/* ward ps [--tree] [--ward] [--json]: every process of the system, one line
 * each (PID PPID STAT RSS TIME COMMAND, and WARD: what ward knows of it),
 * from /proc as cheaply as it can be read; --tree indents children under
 * their parents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/proc.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

struct ps_row {
        int pid, ppid;
        char state;
        char comm[64];
        uint64_t rss, cpu_ns;
        unsigned ward;
};

struct ps {
        struct ps_row *rows;
        size_t n, cap;
        int failed;
};

static int collect(void *arg, const struct ward_proc_info *p)
{
        struct ps *ps = arg;
        if (ps->n == ps->cap) {
                size_t cap = ps->cap ? ps->cap * 2 : 1024;
                struct ps_row *bigger = realloc(ps->rows, cap * sizeof(*bigger));
                if (!bigger) {
                        ps->failed = 1;
                        return 1;
                }
                ps->rows = bigger;
                ps->cap = cap;
        }
        struct ps_row *r = &ps->rows[ps->n++];
        r->pid = p->pid;
        r->ppid = p->ppid;
        r->state = p->state;
        memcpy(r->comm, p->comm, sizeof(r->comm));
        r->rss = p->rss;
        r->cpu_ns = p->user_ns + p->system_ns;
        r->ward = p->ward;
        return 0;
}

/* ward_column: "traced,locks,guarded" or "-" */
static void ward_column(unsigned w, char *out, size_t size)
{
        snprintf(out, size, "%s%s%s%s", w & WARD_PROC_TRACES ? "traced," : "",
                 w & WARD_PROC_LOCKS ? "locks," : "", w & WARD_PROC_GUARDED ? "guarded," : "",
                 w ? "" : "-");
        size_t n = strlen(out);
        if (n > 1 && out[n - 1] == ',') {
                out[n - 1] = '\0';
        }
}

/* cpu_time: [DD-]HH:MM:SS, as ps prints TIME */
static void cpu_time(uint64_t ns, char *out, size_t size)
{
        unsigned long long s = ns / 1000000000ull;
        if (s >= 86400) {
                snprintf(out, size, "%llu-%02llu:%02llu:%02llu", s / 86400, s / 3600 % 24,
                         s / 60 % 60, s % 60);
        } else {
                snprintf(out, size, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
        }
}

static void put_text(struct ward__buf *b, const struct ps_row *r, int depth, int with_ward)
{
        char t[32], w[48];
        cpu_time(r->cpu_ns, t, sizeof(t));
        ward__buf_printf(b, "%7d %7d %c %9llu %11s ", r->pid, r->ppid, r->state,
                         (unsigned long long)(r->rss / 1024), t);
        if (with_ward) {
                ward_column(r->ward, w, sizeof(w));
                ward__buf_printf(b, "%-20s ", w);
        }
        ward__buf_printf(b, "%*s%s\n", depth > 0 ? 2 * depth : 0, "", r->comm);
}

static void put_json(struct ward__buf *b, const struct ps_row *r, int depth, int with_ward)
{
        char w[48];
        ward__buf_printf(b, "{\"pid\":%d,\"ppid\":%d,\"state\":\"%c\",\"rss\":%llu,\"cpu_ns\":%llu",
                         r->pid, r->ppid, r->state, (unsigned long long)r->rss,
                         (unsigned long long)r->cpu_ns);
        ward__buf_puts(b, ",\"comm\":");
        ward__json_put_string(b, r->comm, strlen(r->comm));
        if (depth >= 0) {
                ward__buf_printf(b, ",\"depth\":%d", depth);
        }
        if (with_ward) {
                ward_column(r->ward, w, sizeof(w));
                ward__buf_printf(b, ",\"ward\":\"%s\"", w[0] == '-' ? "" : w);
        }
        ward__buf_puts(b, "}\n");
}

struct out {
        struct ward__buf *b;
        int json, ward;
};

static void put_row(const struct out *o, const struct ps_row *r, int depth)
{
        (o->json ? put_json : put_text)(o->b, r, depth, o->ward);
}

static int row_exists(const struct ps *ps, int pid)
{
        for (size_t i = 0; i < ps->n; i++) {
                if (ps->rows[i].pid == pid) {
                        return 1;
                }
        }
        return 0;
}

/* put_tree: the rows under parent, depth first (rows are in pid order) */
static void put_tree(const struct out *o, const struct ps *ps, int parent, int depth)
{
        for (size_t i = 0; i < ps->n && depth < 64; i++) {
                if (ps->rows[i].ppid == parent && ps->rows[i].pid != parent) {
                        put_row(o, &ps->rows[i], depth);
                        put_tree(o, ps, ps->rows[i].pid, depth + 1);
                }
        }
}

static int by_pid(const void *a, const void *b)
{
        const struct ps_row *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

enum { OPT_TREE = 1, OPT_WARD, OPT_JSON };

static const struct cli_command ps_cmd = {
    .name = "ps",
    .synopsis = "[--tree] [--ward] [--json]",
    .summary = "Every process of the system, one line each, with what ward knows of it.",
    .description = "Columns: PID PPID STAT RSS TIME COMMAND, and with --ward what ward knows of\n"
                   "the process (traced: it writes a ward trace; locks: it has a lock registry;\n"
                   "guarded: a ward guardian watches it).",
    .options =
        (const struct cli_option[]){
            {OPT_TREE, "tree", 0, NULL, "children indented under their parents"},
            {OPT_WARD, "ward", 0, NULL, "add the WARD column"},
            {OPT_JSON, "json", 0, NULL, "one JSON object per process, a line each"},
            {0},
        },
    .examples = "ward ps --tree --ward",
};

int cmd_ps(int argc, char **argv)
{
        int tree = 0, with_ward = 0, json = 0;
        struct cli c;
        cli_init(&c, &ps_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_TREE:
                        tree = 1;
                        break;
                case OPT_WARD:
                        with_ward = 1;
                        break;
                case OPT_JSON:
                        json = 1;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        struct ps ps = {0};
        long n = ward_proc_scan(with_ward ? WARD_PROC_WARD : WARD_PROC_BASIC, collect, &ps);
        if (n < 0 || ps.failed) {
                free(ps.rows);
                return cli_error(&c, CLI_PROBLEM, "cannot read /proc: %s",
                                 n < 0 ? strerror((int)-n) : "no memory");
        }
        qsort(ps.rows, ps.n, sizeof(*ps.rows), by_pid);
        struct ward__buf b = {0};
        struct out o = {&b, json, with_ward};
        if (!json) {
                ward__buf_printf(&b, "%7s %7s %c %9s %11s %s%s\n", "PID", "PPID", 'S', "RSS(KiB)",
                                 "TIME", with_ward ? "WARD                 " : "", "COMMAND");
        }
        if (tree) {
                /* roots: processes whose parent is not listed (0, or hidden) */
                for (size_t i = 0; i < ps.n; i++) {
                        if (!row_exists(&ps, ps.rows[i].ppid)) {
                                put_row(&o, &ps.rows[i], 0);
                                put_tree(&o, &ps, ps.rows[i].pid, 1);
                        }
                }
        } else {
                for (size_t i = 0; i < ps.n; i++) {
                        put_row(&o, &ps.rows[i], -1);
                }
        }
        fwrite(b.p, 1, b.len, stdout);
        ward__buf_free(&b);
        free(ps.rows);
        return 0;
}
