/* ward trace recover [-o DIR] [--keep] [--json] PID|FILE: the events a
 * process left in its trace buffers and never flushed (it was killed, or
 * crashed in a way no handler saw). As text, or as trace files that
 * `ward trace merge` reads together with the ones the process did write. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/trace-read.h>

#include "cli.h"
#include "commands.h"
#include "trace_cli.h"

enum { OPT_OUT = 1, OPT_KEEP, OPT_JSON };

static const struct cli_command recover_cmd = {
    .name = "trace recover",
    .synopsis = "[-o DIR] [--keep] [--json] PID|FILE",
    .summary = "The events a process left in its trace buffers and never flushed.",
    .description =
        "A traced process that is killed (SIGKILL) or crashes where no handler runs\n"
        "leaves its shared trace buffers, /dev/shm/ward-trace.PID, behind. recover\n"
        "reads them (by PID, or a buffers file by path) and prints the events the\n"
        "process's flusher had not written yet, as the text lines of 'ward trace\n"
        "merge', or with -o writes them as trace files DIR/NAME.trace.TID.recovered\n"
        "to merge with the files the process did write. Without --keep, the buffers\n"
        "file of a process that is gone is removed afterwards. For a process that\n"
        "still runs, it shows what is not flushed yet and keeps the file.\n"
        "\n"
        "With --json: {\"pid\":PID,\"running\":BOOL,\"events\":[{\"ns\":NS,\"text\":LINE},\n"
        "...],\"count\":N}, or with -o {\"pid\":PID,\"running\":BOOL,\"written\":N}.",
    .options =
        (const struct cli_option[]){
            {OPT_OUT, "output", 'o', "DIR", "write trace files into DIR (made if missing)"},
            {OPT_KEEP, "keep", 0, NULL, "keep the buffers file of a dead process"},
            {OPT_JSON, "json", 0, NULL, "print one JSON object (pid, running, events)"},
            {0},
        },
    .args = "PID|FILE",
    .min_args = 1,
    .max_args = 1,
    .examples = "ward trace recover 4242\n"
                "ward trace recover -o /tmp/traces 4242 && ward trace merge /tmp/traces",
};

struct recover_opts {
        const char *dir; /* -o: write files here; else print text */
        int keep, json;
        int pid;          /* a process id, or 0 */
        const char *file; /* a buffers file named by path instead of a pid */
};

static int parse(struct cli *c, struct recover_opts *o)
{
        *o = (struct recover_opts){0};
        for (int r; (r = cli_next(c)) != CLI_END;) {
                if (r == OPT_OUT) {
                        o->dir = c->value;
                } else if (r == OPT_KEEP) {
                        o->keep = 1;
                } else if (r == OPT_JSON) {
                        o->json = 1;
                } else if (r == CLI_ARG) {
                        int pid = strchr(c->value, '/') ? -1 : cli_pid(c->value);
                        o->pid = pid > 0 ? pid : 0;
                        o->file = pid > 0 ? NULL : c->value;
                } else {
                        return r == CLI_HELP ? CLI_HELP : CLI_USAGE;
                }
        }
        return CLI_OK;
}

static void print_line(void *arg, uint64_t ns, const char *line, size_t len)
{
        long *n = arg;
        if (n) { /* JSON: the elements of an array */
                fputs(*n ? ",\n" : "\n", stdout);
                trace_json_line(stdout, ns, line, len);
                ++*n;
        } else {
                fwrite(line, 1, len, stdout);
        }
}

int cmd_trace_recover(int argc, char **argv)
{
        struct recover_opts o;
        struct cli c;
        ward_trace_reader *r;
        char err[512] = "";
        cli_init(&c, &recover_cmd, argc, argv);
        int st = parse(&c, &o);
        if (st != CLI_OK) {
                return st == CLI_HELP ? CLI_OK : st;
        }
        int e = o.file ? ward_trace_reader_open_file(o.file, 0, &r, err, sizeof(err))
                       : ward_trace_reader_open(o.pid, 0, &r, err, sizeof(err));
        if (e < 0) {
                return trace_open_error(&c, o.pid, o.file, e, err);
        }
        int pid = ward_trace_reader_pid(r), alive = ward_trace_reader_alive(r);
        if (alive && !o.json) {
                fprintf(stderr,
                        "ward trace recover: process %d is still running; "
                        "showing the events it has not flushed yet\n",
                        pid);
        }
        long lines = 0;
        if (o.json) {
                printf("{\"pid\":%d,\"running\":%s,%s", pid, alive ? "true" : "false",
                       o.dir ? "" : "\"events\":[");
        }
        long total = o.dir ? ward_trace_reader_recover_files(r, o.dir, err, sizeof(err))
                           : ward_trace_reader_recover_text(r, print_line, o.json ? &lines : NULL);
        if (o.json) {
                printf(o.dir ? "\"written\":%ld}\n" : "],\"count\":%ld}\n", total < 0 ? 0 : total);
        }
        fflush(stdout);
        if (total < 0) {
                ward_trace_reader_close(r);
                return cli_error(&c, CLI_PROBLEM, "%s", o.dir ? err : strerror((int)-total));
        }
        if (!o.json) {
                fprintf(stderr, "ward trace recover: %ld %s from process %d\n", total,
                        o.dir ? "events" : "lines", pid);
        }
        if (!o.keep && !alive) {
                unlink(ward_trace_reader_path(r));
        }
        ward_trace_reader_close(r);
        return CLI_OK;
}
