/* ward trace merge [-o OUT] [--time=mono|wall|delta | --chrome | --ctf DIR]
 * FILE|DIR...: the trace files of many threads and processes, merged by
 * time, as text lines, Chrome/Perfetto JSON, or CTF. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ward/time.h>
#include <ward/trace-read.h>

#include "cli.h"
#include "commands.h"

#define PROGRESS_AFTER_NS 500000000ull /* a merge that takes longer says how far it is */
#define PROGRESS_EVERY_NS 100000000ull

struct merge_ui {
        const struct cli *c;
        int tty;           /* stderr is a terminal: progress is shown */
        int shown;         /* a progress line is on the terminal */
        uint64_t start_ns; /* when the merge began */
        uint64_t last_ns;  /* when the progress line was last drawn */
        int errors;        /* messages said */
};

static void clear_progress(struct merge_ui *ui)
{
        if (ui->shown) {
                fputs("\r\033[K", stderr);
                ui->shown = 0;
        }
}

static void on_error(void *arg, const char *message)
{
        struct merge_ui *ui = arg;
        clear_progress(ui);
        ui->errors++;
        cli_error(ui->c, CLI_PROBLEM, "%s", message);
}

static void on_progress(void *arg, uint64_t done, uint64_t total, uint64_t records)
{
        struct merge_ui *ui = arg;
        uint64_t now = ward_now_ns();
        if (done >= total) {
                clear_progress(ui);
                return;
        }
        if (now - ui->start_ns < PROGRESS_AFTER_NS || now - ui->last_ns < PROGRESS_EVERY_NS) {
                return;
        }
        ui->last_ns = now;
        ui->shown = 1;
        fprintf(stderr, "\r\033[Kward trace merge: %3.0f%% of %.1f MB read, %.2f M events",
                total ? 100.0 * (double)done / (double)total : 100.0, (double)total / 1e6,
                (double)records / 1e6);
        fflush(stderr);
}

enum { OPT_OUT = 1, OPT_CHROME, OPT_JSON, OPT_CTF, OPT_TIME };

static const struct cli_command merge_cmd = {
    .name = "trace merge",
    .synopsis = "[-o OUT] [--time=mono|wall|delta] FILE|DIR...\n"
                "[-o OUT] --chrome FILE|DIR...\n"
                "--ctf DIR FILE|DIR...",
    .summary = "Merge trace files of many threads, processes and hosts by time.",
    .description = "Reads trace files (a directory: its *.trace.* files) and writes their events\n"
                   "in time order, as text lines (the default), Chrome/Perfetto trace-event JSON\n"
                   "(--chrome: spans as durations, counters as graphs, RPC calls joined to their\n"
                   "handlers by flow arrows) or a CTF trace for babeltrace2 and Trace Compass\n"
                   "(--ctf DIR). A text line reads\n"
                   "\n"
                   "  <ns>-<tid> : [<pid> <level> <category>] <message>\n"
                   "\n"
                   "with the category only for events that have one; spans read 'begin NAME' and\n"
                   "'end NAME', losses '[<pid>] *** N events lost ***'. Files of one host keep\n"
                   "their CLOCK_MONOTONIC times; files of several hosts are aligned by their\n"
                   "CLOCK_REALTIME anchors and the output says so. A damaged file is reported\n"
                   "with the offset of the damage; the events before it are still merged, and\n"
                   "the exit status is 1. On a terminal, a merge that takes more than half a\n"
                   "second shows its progress on stderr.\n"
                   "\n"
                   "--time chooses how text lines show time: mono, CLOCK_MONOTONIC ns as the\n"
                   "files hold them (<ns>-<tid>); wall, the UTC date and time to the ns from each\n"
                   "file's CLOCK_REALTIME anchor (2026-12-04T17:33:43.123456789Z <tid>); delta,\n"
                   "seconds since the first event, then since the previous one\n"
                   "(0.000152334 +0.000001234 <tid>). --json is the older name of --chrome,\n"
                   "kept for scripts; with it, errors are JSON objects on stderr too.",
    .options =
        (const struct cli_option[]){
            {OPT_OUT, "output", 'o', "OUT", "write to OUT instead of stdout"},
            {OPT_TIME, "time", 0, "FORM", "times of text lines: mono (default), wall, delta"},
            {OPT_CHROME, "chrome", 0, NULL, "write Chrome/Perfetto trace-event JSON"},
            {OPT_JSON, "json", 0, NULL, "the same as --chrome (its older name, kept)"},
            {OPT_CTF, "ctf", 0, "DIR", "write a CTF 1.8 trace into DIR (made if needed)"},
            {0},
        },
    .args = "FILE|DIR...",
    .min_args = 1,
    .max_args = -1,
    .exit_status = "0  every file was merged\n"
                   "1  a file or record could not be read (the rest was merged), or OUT could "
                   "not be written\n"
                   "2  bad usage, or a FILE or DIR that does not exist or may not be read\n",
    .examples = "ward trace merge /tmp/traces\n"
                "ward trace merge --time=wall app.trace.4242 app.trace.4243\n"
                "ward trace merge --chrome -o trace.json /tmp/traces\n"
                "ward trace merge --ctf /tmp/ctf /tmp/traces && babeltrace2 /tmp/ctf",
};

struct merge_opts {
        const char *out, *ctf;
        int chrome, time;
        char **paths;
        int npaths;
};

/* parse: the options, then the paths (argv, in place). CLI_OK, or the exit
 * status of a usage error (printed). */
static int parse(struct cli *c, int argc, char **argv, struct merge_opts *o)
{
        *o = (struct merge_opts){.paths = argv, .time = -1};
        for (int r; (r = cli_next(c)) != CLI_END;) {
                switch (r) {
                case OPT_OUT:
                        o->out = c->value;
                        break;
                case OPT_CHROME:
                case OPT_JSON:
                        o->chrome = 1;
                        break;
                case OPT_CTF:
                        o->ctf = c->value;
                        break;
                case OPT_TIME:
                        if ((o->time = ward_trace_parse_time(c->value)) < 0) {
                                return cli_bad_value(c, "--time", c->value,
                                                     "one of mono, wall, delta");
                        }
                        break;
                case CLI_ARG:
                        o->paths[o->npaths++] = (char *)c->value;
                        break;
                default:
                        return r == CLI_HELP ? CLI_HELP : CLI_USAGE;
                }
        }
        (void)argc;
        if (o->chrome && o->ctf) {
                return cli_usage_error(c, "--chrome and --ctf exclude each other");
        }
        if (o->time >= 0 && (o->chrome || o->ctf)) {
                return cli_usage_error(c, "--time is for text output, not --%s",
                                       o->ctf ? "ctf" : "chrome");
        }
        if (o->ctf && o->out) {
                return cli_usage_error(c, "-o and --ctf exclude each other (--ctf names a "
                                          "directory)");
        }
        return CLI_OK;
}

/* check_paths: every path exists and may be read (else the first that does
 * not is named: nothing to look at, 2) */
static int check_paths(const struct cli *c, const struct merge_opts *o)
{
        struct stat st;
        for (int i = 0; i < o->npaths; i++) {
                if (stat(o->paths[i], &st) < 0) {
                        return cli_file_error(c, o->paths[i], -errno);
                }
                if (access(o->paths[i], S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK) < 0) {
                        return cli_error(c, CLI_USAGE, "%s: %s", o->paths[i], strerror(errno));
                }
        }
        return CLI_OK;
}

static int write_merge(ward_trace_merge *m, const struct merge_opts *o, FILE *out)
{
        if (o->ctf) {
                return ward_trace_merge_write_ctf(m, o->ctf);
        }
        if (o->chrome) {
                return ward_trace_merge_write_chrome(m, out);
        }
        return ward_trace_merge_write_text_as(m, out, o->time < 0 ? WARD_TRACE_TIME_MONO : o->time);
}

int cmd_trace_merge(int argc, char **argv)
{
        struct cli c;
        struct merge_opts o;
        cli_init(&c, &merge_cmd, argc, argv);
        int r = parse(&c, argc, argv, &o);
        if (r != CLI_OK || (r = check_paths(&c, &o)) != CLI_OK) {
                return r == CLI_HELP ? CLI_OK : r;
        }
        struct merge_ui ui = {.c = &c, .tty = isatty(2), .start_ns = ward_now_ns()};
        ward_trace_merge *m;
        if (ward_trace_merge_open(o.paths, o.npaths, on_error, &ui, &m) < 0) {
                if (!ui.errors) { /* directories without trace files: nothing to merge */
                        return cli_error(&c, CLI_USAGE,
                                         "no trace files (*.trace.*) in the directories given");
                }
                return cli_error(&c, CLI_PROBLEM, "no trace file could be read");
        }
        if (ui.tty) {
                ward_trace_merge_on_progress(m, on_progress, &ui);
        }
        FILE *out = o.out ? fopen(o.out, "we") : stdout;
        if (!out) {
                int e = errno;
                ward_trace_merge_close(m);
                return cli_file_error(&c, o.out, -e);
        }
        int w = write_merge(m, &o, out);
        int closed = out == stdout ? fflush(out) : fclose(out);
        clear_progress(&ui);
        int errors = ward_trace_merge_errors(m);
        ward_trace_merge_close(m);
        if ((w < 0 && !o.ctf) || closed != 0) { /* the CTF writer said why already */
                return cli_error(&c, CLI_PROBLEM, "cannot write %s: %s",
                                 o.out ? o.out : "the output", strerror(w < 0 ? -w : EIO));
        }
        return w < 0 || errors ? CLI_PROBLEM : CLI_OK;
}
