/* ward-demo's summary: a few screens of what the run showed (or, with
 * --json, one object with the same facts). */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/json-write.h"
#include "demo.h"

static const struct {
        const char *name, *label, *what;
} paths[] = {
    {"short-circuit", "short-circuit", "demo.Monitor -> demo.Sensors inside ward serve: no socket"},
    {"shm", "shared memory", "demo-app -> demo.Sensors.Latest in ward serve: the ring"},
    {"shm-2-hops", "shm, 2 hops", "demo-app -> demo.Sensors.Read -> demo.Hal (hal.bus: see 4.)"},
    {"zero-copy", "zero-copy", "demo-app <- a 256 KiB frame demo-hal built in its pool"},
};

static void heading(int n, const char *title)
{
        char line[80];
        int len = snprintf(line, sizeof(line), "== %d. %s ", n, title);
        while (len < 78) {
                line[len++] = '=';
        }
        line[len] = '\0';
        printf("\n%s\n", line);
}

static void print_lines(const struct demo_lines *l, const char *indent)
{
        for (int i = 0; i < l->n; i++) {
                printf("%s%s\n", indent, l->line[i]);
        }
}

static const struct demo_path *path_of(const struct demo *d, const char *name)
{
        for (int i = 0; i < d->npaths; i++) {
                if (strcmp(d->path[i].name, name) == 0) {
                        return &d->path[i];
                }
        }
        return NULL;
}

static void print_paths(const struct demo *d)
{
        heading(1, "Calls per path");
        printf("%-14s %8s %12s  %s\n", "path", "calls", "median RTT", "what");
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                const struct demo_path *p = path_of(d, paths[i].name);
                printf("%-14s %8lu %9.2f us  %s\n", paths[i].label, p ? p->calls : 0,
                       p ? (double)p->median_ns / 1e3 : 0.0, paths[i].what);
        }
        printf("Across the crash: ward serve went from pid %d to pid %d; the app's call in\n"
               "flight was sent again (idempotent, options.reconnect) and took %.1f ms, the\n"
               "slowest of the run; %u calls failed.\n",
               d->first_serve_pid, d->serve_pid, (double)d->slowest_ns / 1e6, d->failed);
}

static void print_crash(const struct demo *d)
{
        heading(2, "The crash, captured by the guardian");
        printf("ward-serve (pid %d) crashed with %s at demo.Sensors.Read call %lu, on purpose\n"
               "(sensors-service.c: crash_on_purpose). Top frames of the crashed thread:\n",
               d->crash.pid, d->crash.signal, d->crash_after);
        print_lines(&d->crash.frames, "  ");
        printf("report  %s\n", d->crash.report);
        printf("core    %s (%lld KiB)\n", d->crash.core, d->crash.core_bytes / 1024);
        printf("open it: gdb %s/ward-serve %s\n", d->bin, d->crash.core);
        printf("The guardian restarted ward serve as pid %d, %.0f ms after it reported the\n"
               "crash, on the same listening socket (ward run --listen).\n",
               d->serve_pid, (double)(d->crash.restarted_ns - d->crash.at_ns) / 1e6);
}

static void print_trace(const struct demo *d)
{
        heading(3, "The trace of every process, merged");
        printf("%ld events of %ld processes (the crashed ward serve's too), merged by time:\n",
               d->trace_events, d->trace_processes);
        printf("  text    %s\n", d->trace_text);
        printf("  JSON    %s (%.1f MiB%s)\n", d->trace_json,
               (double)d->trace_json_bytes / (1024.0 * 1024.0),
               d->trace_json_ok ? "" : ", DOES NOT PARSE");
        printf("Open the JSON in https://ui.perfetto.dev or chrome://tracing: calls are slices,\n"
               "each joined to its handler in the other process by an arrow.\n");
        if (d->trace_call.n) {
                printf("One demo.Sensors.Read, app -> ward serve -> demo-hal (one trace id):\n");
                print_lines(&d->trace_call, "  ");
        }
}

static void print_locks(const struct demo *d)
{
        char title[64];
        snprintf(title, sizeof(title), "Lock contention, top three (ward locks --report %d)",
                 d->hal_pid);
        heading(4, title);
        print_lines(&d->locks, "");
}

static void print_tree(const struct demo *d)
{
        heading(5, "The processes (ward ps --tree --ward), while they ran");
        print_lines(&d->ps_tree, "");
}

static void print_end(const struct demo *d)
{
        heading(6, "Clean-up");
        printf("Every process stopped with SIGTERM (ward run exit status: hal %d, platform %d, "
               "app %d).\n",
               d->status_hal, d->status_platform, d->status_app);
        if (d->shm_removed.n) {
                printf("/dev/shm: removed %d files of processes of ours that were gone:\n",
                       d->shm_removed.n);
                print_lines(&d->shm_removed, "  ");
        }
        printf("/dev/shm: %s of the %d processes this run started.\n",
               d->shm_left.n ? "FILES LEFT" : "nothing left", d->npids);
        print_lines(&d->shm_left, "  ");
        printf("Logs and everything above: %s\n", d->dir);
        if (d->problems.n) {
                printf("\nPROBLEMS:\n");
                print_lines(&d->problems, "  ");
        }
        printf("\nward-demo: %s in %.1f s\n", d->problems.n ? "FAILED" : "done", d->seconds);
}

void demo_print_summary(struct demo *d)
{
        print_paths(d);
        print_crash(d);
        print_trace(d);
        print_locks(d);
        print_tree(d);
        print_end(d);
}

/* JSON */

static void jstr(struct ward__buf *b, const char *key, const char *s)
{
        ward__buf_printf(b, "\"%s\":", key);
        ward__json_put_string(b, s, strlen(s));
}

static void jlines(struct ward__buf *b, const char *key, const struct demo_lines *l)
{
        ward__buf_printf(b, "\"%s\":[", key);
        for (int i = 0; i < l->n; i++) {
                if (i) {
                        ward__buf_putc(b, ',');
                }
                ward__json_put_string(b, l->line[i], strlen(l->line[i]));
        }
        ward__buf_putc(b, ']');
}

void demo_print_json(struct demo *d)
{
        struct ward__buf b = {0};
        char gdb[2 * PATH_MAX + 160];
        ward__buf_putc(&b, '{');
        jstr(&b, "run_dir", d->dir);
        ward__buf_printf(&b, ",\"ok\":%s,\"seconds\":%.3f,\"paths\":[",
                         d->problems.n ? "false" : "true", d->seconds);
        for (int i = 0; i < d->npaths; i++) {
                ward__buf_printf(&b, "%s{", i ? "," : "");
                jstr(&b, "path", d->path[i].name);
                ward__buf_printf(&b, ",\"calls\":%lu,\"median_us\":%.3f}", d->path[i].calls,
                                 (double)d->path[i].median_ns / 1e3);
        }
        ward__buf_printf(&b,
                         "],\"restart\":{\"first_pid\":%d,\"restarted_pid\":%d,"
                         "\"slowest_call_ms\":%.3f,\"failed_calls\":%u},\"crash\":{\"pid\":%d,",
                         d->first_serve_pid, d->serve_pid, (double)d->slowest_ns / 1e6, d->failed,
                         d->crash.pid);
        jstr(&b, "signal", d->crash.signal);
        ward__buf_putc(&b, ',');
        jstr(&b, "core", d->crash.core);
        ward__buf_printf(&b, ",\"core_bytes\":%lld,", d->crash.core_bytes);
        jstr(&b, "report", d->crash.report);
        ward__buf_putc(&b, ',');
        jlines(&b, "frames", &d->crash.frames);
        snprintf(gdb, sizeof(gdb), "gdb %s/ward-serve %s", d->bin, d->crash.core);
        ward__buf_putc(&b, ',');
        jstr(&b, "gdb", gdb);
        ward__buf_puts(&b, "},\"trace\":{");
        jstr(&b, "dir", d->trace_dir);
        ward__buf_putc(&b, ',');
        jstr(&b, "text", d->trace_text);
        ward__buf_putc(&b, ',');
        jstr(&b, "json", d->trace_json);
        ward__buf_printf(&b, ",\"events\":%ld,\"processes\":%ld,\"json_bytes\":%lld,",
                         d->trace_events, d->trace_processes, d->trace_json_bytes);
        jlines(&b, "one_call", &d->trace_call);
        ward__buf_printf(&b, "},\"locks\":{\"pid\":%d,", d->hal_pid);
        jlines(&b, "report", &d->locks);
        ward__buf_puts(&b, "},");
        jlines(&b, "ps_tree", &d->ps_tree);
        ward__buf_puts(&b, ",\"pids\":[");
        for (int i = 0; i < d->npids; i++) {
                ward__buf_printf(&b, "%s%d", i ? "," : "", d->pids[i]);
        }
        ward__buf_printf(&b, "],\"exit\":{\"hal\":%d,\"platform\":%d,\"app\":%d},", d->status_hal,
                         d->status_platform, d->status_app);
        jlines(&b, "shm_removed", &d->shm_removed);
        ward__buf_putc(&b, ',');
        jlines(&b, "shm_left", &d->shm_left);
        ward__buf_putc(&b, ',');
        jlines(&b, "problems", &d->problems);
        ward__buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, stdout);
        ward__buf_free(&b);
}
