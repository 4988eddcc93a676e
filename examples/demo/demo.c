/* ward-demo: the whole of ward in one run (docs/demo.md). An application
 * process (demo-app) calls two platform services co-hosted by `ward serve`
 * (demo.Sensors, demo.Monitor: short-circuit between them), which call a
 * hardware-abstraction process (demo-hal: instrumented locks, zero-copy
 * frames). Each of the three runs under its own guardian (`ward run`), all of
 * them traced (WARD_TRACE). demo.Sensors crashes on purpose half-way; the
 * guardian captures it and restarts `ward serve` on the same socket; the app
 * reconnects and carries on. Then ward-demo looks at the system with the
 * ward command (ps --tree, locks --report, trace merge), stops everything,
 * checks /dev/shm and prints what it saw. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/time.h>

#include "cli.h"
#include "demo.h"

#define SECONDS(n) ((uint64_t)(n)*1000000000ull)

volatile int demo_interrupted;

static void on_signal(int signo)
{
        (void)signo;
        demo_interrupted = 1;
}

void demo_say(const struct demo *d, const char *fmt, ...)
{
        va_list ap;
        FILE *f = d->json ? stderr : stdout;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
        fflush(f);
}

void demo_problem(struct demo *d, const char *fmt, ...)
{
        char msg[DEMO_LINE];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        demo_lines_add(&d->problems, msg, strlen(msg));
        fprintf(stderr, "ward-demo: %s\n", msg);
}

enum { OPT_DIR = 1, OPT_CALLS, OPT_CRASH_AFTER, OPT_JSON };
enum { HELP_SHOWN = -1 }; /* parse: --help was printed */

static const struct cli_command demo_cmd = {
    .name = "demo",
    .program = "ward-demo",
    .synopsis = "[--dir DIR] [--calls N] [--crash-after N] [--json]",
    .summary = "ward as a whole: the program ward-demo, which `make demo` runs.",
    .description =
        "Starts a small system of real processes, each under its own guardian (ward run)\n"
        "and traced (WARD_TRACE): demo-app calls demo.Sensors and demo.Monitor, co-hosted\n"
        "by ward serve (short-circuit calls between them), which call demo-hal, a\n"
        "hardware-abstraction process with instrumented locks that hands camera frames\n"
        "over the zero-copy path. demo.Sensors crashes ON PURPOSE (abort) after\n"
        "--crash-after calls; the guardian writes a core and a report and restarts ward\n"
        "serve on the same socket; the app reconnects and carries on. Then ward-demo runs\n"
        "ward ps --tree, ward locks --report and ward trace merge, stops everything\n"
        "(SIGTERM), checks that nothing of its processes is left in /dev/shm, and prints\n"
        "the calls per path with their median round trips, the crash's top frames and\n"
        "the gdb command for its core, the merged trace and its Chrome/Perfetto JSON,\n"
        "the three most contended locks and the process tree. See docs/demo.md.\n"
        "\n"
        "The run directory (default: demo-run in the build tree) is emptied first, so a\n"
        "second run starts from nothing; a directory holding anything but an earlier run\n"
        "is refused.",
    .options =
        (const struct cli_option[]){
            {OPT_DIR, "dir", 0, "DIR", "the run directory (default BUILD/demo-run)"},
            {OPT_CALLS, "calls", 0, "N", "rounds of calls the app makes (default 2000)"},
            {OPT_CRASH_AFTER, "crash-after", 0, "N",
             "demo.Sensors.Read crashes at its Nth call (default: --calls / 2)"},
            {OPT_JSON, "json", 0, NULL, "the summary as one JSON object on stdout"},
            {0},
        },
    .exit_status = "0  the demo ran and everything it checks held\n"
                   "1  something did not (the message says what; logs are in the run directory)\n"
                   "2  bad usage, or a run directory that is not ward-demo's\n"
                   "130  interrupted (everything it started is stopped first)",
    .examples = "make demo\nward-demo --dir /tmp/demo --calls 500 --json",
};

/* count: a positive number of at most 1000000 */
static int count(const char *s, unsigned long *out)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || s[0] == '-' || v == 0 || v > 1000000) {
                return -1;
        }
        *out = v;
        return 0;
}

/* parse: the options, where the programs are, the run directory prepared;
 * 0, HELP_SHOWN, or an exit status (the error printed) */
static int parse(struct demo *d, int argc, char **argv)
{
        struct cli c;
        const char *dir = NULL;
        cli_init(&c, &demo_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_DIR:
                        dir = c.value;
                        break;
                case OPT_CALLS:
                        if (count(c.value, &d->calls) < 0) {
                                return cli_bad_value(&c, "--calls", c.value, "1 .. 1000000");
                        }
                        break;
                case OPT_CRASH_AFTER:
                        if (count(c.value, &d->crash_after) < 0) {
                                return cli_bad_value(&c, "--crash-after", c.value, "1 .. --calls");
                        }
                        break;
                case OPT_JSON:
                        d->json = 1;
                        break;
                default:
                        return r == CLI_HELP ? HELP_SHOWN : CLI_USAGE;
                }
        }
        if (!d->crash_after) {
                d->crash_after = d->calls / 2 ? d->calls / 2 : 1;
        }
        if (d->crash_after > d->calls) {
                return cli_usage_error(&c, "--crash-after %lu: the app makes only %lu calls",
                                       d->crash_after, d->calls);
        }
        /* the programs are next to us in BUILD/bin, the libraries in BUILD/lib */
        ssize_t n = readlink("/proc/self/exe", d->bin, sizeof(d->bin) - 1);
        char *slash = n > 0 ? (d->bin[n] = '\0', strrchr(d->bin, '/')) : NULL;
        if (!slash) {
                return cli_error(&c, CLI_PROBLEM, "cannot find where ward-demo is: %s",
                                 strerror(errno));
        }
        *slash = '\0';
        snprintf(d->ward, sizeof(d->ward), "%s/ward", d->bin);
        snprintf(d->lib, sizeof(d->lib), "%.*s/lib", (int)(strrchr(d->bin, '/') - d->bin), d->bin);
        if (dir) {
                snprintf(d->dir, sizeof(d->dir), "%s", dir);
        } else {
                snprintf(d->dir, sizeof(d->dir), "%.*s/demo-run",
                         (int)(strrchr(d->bin, '/') - d->bin), d->bin);
        }
        char err[PATH_MAX + 200];
        if (access(d->ward, X_OK) < 0) {
                return cli_error(&c, CLI_USAGE, "%s: %s (build the whole tree: make build)",
                                 d->ward, strerror(errno));
        }
        int r = demo_rundir_prepare(d, err, sizeof(err));
        if (r < 0) {
                return cli_error(&c, CLI_USAGE, "%s", err);
        }
        char *real = realpath(d->dir, NULL); /* what the summary prints */
        if (real) {
                snprintf(d->dir, sizeof(d->dir), "%s", real);
                snprintf(d->trace_dir, sizeof(d->trace_dir), "%s/trace", real);
                snprintf(d->dumps, sizeof(d->dumps), "%s/dumps", real);
                free(real);
        }
        return 0;
}

/* start: `ward run --json [--listen ADDR] -- PROG ARGS...` */
static int start(struct demo *d, int which, const char *listen, const char *const *prog)
{
        char *argv[24] = {"ward", "run", "--json", "--dump-dir", d->dumps, "--backoff", "10ms"};
        int n = 7;
        if (listen) {
                argv[n++] = "--listen";
                argv[n++] = (char *)listen;
        }
        argv[n++] = "--";
        for (int i = 0; prog[i] && n < 23; i++) {
                argv[n++] = (char *)prog[i];
        }
        int r = demo_proc_start(d, which, argv);
        if (r < 0) {
                demo_problem(d, "cannot start ward run for %s: %s", d->proc[which].name,
                             strerror(-r));
        }
        return r;
}

/* expect: read which's lines until one starts with prefix */
static const char *expect(struct demo *d, int which, const char *prefix, unsigned seconds)
{
        const char *l = demo_proc_until(d, which, prefix, ward_now_ns() + SECONDS(seconds));
        if (!l && !demo_interrupted) {
                demo_problem(d, "%s: no '%s' within %u s (see %s/%s.log)", d->proc[which].name,
                             prefix, seconds, d->dir, d->proc[which].name);
        }
        return l;
}

static int start_hal(struct demo *d)
{
        char prog[PATH_MAX + 16];
        snprintf(prog, sizeof(prog), "%s/demo-hal", d->bin);
        const char *argv[] = {prog, d->hal_addr, d->frame_addr, NULL};
        if (start(d, DEMO_HAL, d->hal_addr, argv) < 0 ||
            !expect(d, DEMO_HAL, "demo-hal: pid", 30)) {
                return -1;
        }
        d->hal_pid = d->proc[DEMO_HAL].worker;
        demo_say(d, "  [1/5] demo-hal          pid %-7d under ward run (pid %d), --listen %s",
                 d->hal_pid, (int)d->proc[DEMO_HAL].pid, d->hal_addr);
        return 0;
}

static int start_platform(struct demo *d)
{
        char prog[PATH_MAX + 16], sensors[PATH_MAX + 32], monitor[PATH_MAX + 32];
        snprintf(prog, sizeof(prog), "%s/ward-serve", d->bin);
        snprintf(sensors, sizeof(sensors), "%s/libdemo-sensors.so", d->lib);
        snprintf(monitor, sizeof(monitor), "%s/libdemo-monitor.so", d->lib);
        const char *argv[] = {prog,    "--listen", d->platform_addr, "--load",
                              sensors, "--load",   monitor,          NULL};
        if (start(d, DEMO_PLATFORM, d->platform_addr, argv) < 0 ||
            !expect(d, DEMO_PLATFORM, "ward serve:", 30)) {
                return -1;
        }
        d->first_serve_pid = d->serve_pid = d->proc[DEMO_PLATFORM].worker;
        demo_say(d, "  [2/5] ward serve        pid %-7d under ward run (pid %d), --listen %s",
                 d->serve_pid, (int)d->proc[DEMO_PLATFORM].pid, d->platform_addr);
        demo_say(d, "                          hosting demo.Sensors + demo.Monitor");
        return 0;
}

/* app_line: what demo-app says about its calls */
static void app_line(struct demo *d, const char *l)
{
        struct demo_path *p = &d->path[d->npaths];
        unsigned long long median, slowest;
        unsigned first, last;
        if (d->npaths < 4 &&
            sscanf(l, "demo-app: path %31s %lu %llu", p->name, &p->calls, &median) == 3) {
                p->median_ns = median;
                d->npaths++;
        } else if (sscanf(l, "demo-app: servers %u %u restarts %u slowest_ns %llu failed %u",
                          &first, &last, &d->restarts, &slowest, &d->failed) == 5) {
                d->slowest_ns = slowest;
        }
}

/* run_app: start it; follow the crash and restart of ward serve; wait for
 * the app's numbers */
static int run_app(struct demo *d)
{
        char prog[PATH_MAX + 16], calls[32];
        const char *l;
        snprintf(prog, sizeof(prog), "%s/demo-app", d->bin);
        snprintf(calls, sizeof(calls), "%lu", d->calls);
        const char *argv[] = {prog, d->platform_addr, d->frame_addr, calls, NULL};
        if (start(d, DEMO_APP, NULL, argv) < 0 ||
            !expect(d, DEMO_APP, "{\"event\":\"ready\"", 30)) {
                return -1;
        }
        d->app_pid = d->proc[DEMO_APP].worker;
        demo_say(d, "  [3/5] demo-app          pid %-7d under ward run (pid %d): %lu rounds",
                 d->app_pid, (int)d->proc[DEMO_APP].pid, d->calls);
        demo_say(d, "                          demo.Sensors.Read crashes on purpose at call %lu",
                 d->crash_after);
        if (!(l = expect(d, DEMO_PLATFORM, "{\"event\":\"crashed\"", 60))) {
                return -1;
        }
        d->crash.at_ns = ward_now_ns();
        char v[32];
        demo_json_field(l, "pid", v, sizeof(v));
        d->crash.pid = atoi(v);
        demo_json_field(l, "signal", d->crash.signal, sizeof(d->crash.signal));
        demo_json_field(l, "core", d->crash.core, sizeof(d->crash.core));
        demo_json_field(l, "report", d->crash.report, sizeof(d->crash.report));
        if (!expect(d, DEMO_PLATFORM, "ward serve:", 60)) {
                return -1;
        }
        d->crash.restarted_ns = ward_now_ns();
        d->serve_pid = d->proc[DEMO_PLATFORM].worker;
        demo_say(d,
                 "        crash             pid %-7d %s: core and report written; restarted as "
                 "pid %d",
                 d->crash.pid, d->crash.signal, d->serve_pid);
        uint64_t deadline = ward_now_ns() + SECONDS(60);
        while ((l = demo_proc_next(d, DEMO_APP, deadline)) != NULL &&
               strcmp(l, "demo-app: done") != 0) {
                app_line(d, l);
        }
        if (!l) {
                if (!demo_interrupted) {
                        demo_problem(d, "app: not done within 60 s (see %s/app.log)", d->dir);
                }
                return -1;
        }
        demo_say(d, "  [4/5] demo-app done     %u calls failed across the restart", d->failed);
        return 0;
}

/* look: the crash report, the tree and the locks while everything runs */
static void look(struct demo *d)
{
        if (demo_look_crash(d) < 0) {
                demo_problem(d, "no frames of the crashed thread in %s", d->crash.report);
        }
        if (d->crash.core_bytes <= 0) {
                demo_problem(d, "no core file at %s", d->crash.core);
        }
        if (demo_look_ps(d) < 0) {
                demo_problem(d, "ward ps --tree --ward: no tree of our processes (see %s/ward.log)",
                             d->dir);
        }
        if (demo_look_locks(d) < 0) {
                demo_problem(d, "ward locks --report %d: no report (see %s/ward.log)", d->hal_pid,
                             d->dir);
        }
        if (d->npaths != 4) {
                demo_problem(d, "the app reported %d of 4 paths", d->npaths);
        }
        for (int i = 0; i < d->npaths; i++) {
                if (d->path[i].calls == 0) {
                        demo_problem(d, "no %s calls", d->path[i].name);
                }
        }
        if (d->failed) {
                demo_problem(d, "%u calls of the app failed", d->failed);
        }
        if (d->restarts != 1) {
                demo_problem(d, "the app saw %u restarts of ward serve, not 1", d->restarts);
        }
}

/* stop: everything, then what they leave */
static void stop(struct demo *d)
{
        demo_stop_all(d);
        d->status_app = d->proc[DEMO_APP].status;
        d->status_platform = d->proc[DEMO_PLATFORM].status;
        d->status_hal = d->proc[DEMO_HAL].status;
        if (!demo_interrupted) {
                demo_say(d,
                         "  [5/5] stopped (SIGTERM): ward run exit status hal %d, platform %d, "
                         "app %d",
                         d->status_hal, d->status_platform, d->status_app);
                for (int i = 0; i < 3; i++) {
                        if (d->proc[i].status != 0) {
                                demo_problem(d, "ward run of %s exited %d (see %s/%s.log)",
                                             d->proc[i].name, d->proc[i].status, d->dir,
                                             d->proc[i].name);
                        }
                }
        }
        demo_shm_check(d);
        if (d->shm_left.n) {
                demo_problem(d, "%d files of our processes are still in /dev/shm", d->shm_left.n);
        }
}

int main(int argc, char **argv)
{
        static struct demo d = {
            .calls = 2000,
            .proc = {{.name = "hal", .out = -1},
                     {.name = "platform", .out = -1},
                     {.name = "app", .out = -1}},
        };
        int r = parse(&d, argc, argv);
        if (r != 0) {
                return r == HELP_SHOWN ? CLI_OK : r;
        }
        struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits end */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        d.t0 = ward_now_ns();
        int me = (int)getpid();
        snprintf(d.hal_addr, sizeof(d.hal_addr), "@ward-demo.%d.hal", me);
        snprintf(d.frame_addr, sizeof(d.frame_addr), "@ward-demo.%d.frames", me);
        snprintf(d.platform_addr, sizeof(d.platform_addr), "@ward-demo.%d.platform", me);
        demo_say(&d, "ward-demo: ward as a whole, in real processes (docs/demo.md)");
        demo_say(&d, "  run directory %s", d.dir);
        if (start_hal(&d) == 0 && start_platform(&d) == 0 && run_app(&d) == 0) {
                look(&d);
        }
        stop(&d);
        if (demo_interrupted) {
                fprintf(stderr, "ward-demo: interrupted: everything it started is stopped\n");
                return 130;
        }
        if (d.hal_pid && demo_look_trace(&d) < 0) {
                demo_problem(&d, "ward trace merge of %s failed (see %s/ward.log)", d.trace_dir,
                             d.dir);
        }
        d.seconds = (double)(ward_now_ns() - d.t0) / 1e9;
        if (d.json) {
                demo_print_json(&d);
        } else {
                demo_print_summary(&d);
        }
        return d.problems.n ? CLI_PROBLEM : CLI_OK;
}
