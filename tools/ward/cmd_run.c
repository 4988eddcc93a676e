/* ward run [options] -- PROG ARGS: run a program under a guardian. A crash
 * gets an ELF core and a report written from outside (libward-crash.so is
 * preloaded into it to tell the guardian), a missed heartbeat a core of the
 * live process and its lock graph; the program is restarted by policy, with
 * back-off and a burst limit. SIGTERM and SIGINT are forwarded; sd_notify
 * under systemd. Exit status: the program's (128+N when signal N ended
 * it), 2 bad usage, 126/127 the program cannot be run. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <ward/error.h>
#include <ward/guardian.h>

#include "cli.h"
#include "commands.h"
#include "proc_args.h"
#include "run_events.h"

struct run_args {
        struct ward_guardian_options o;
        int json, no_preload;
        char preload[4096];
};

/* parse_bytes: "1048576", "512k", "100M", "2G" */
static int parse_bytes(const char *s, uint64_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *s == '-') {
                return -1;
        }
        unsigned shift = *end == 'k' || *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
        if ((shift && end[1]) || (!shift && *end) || v > (UINT64_MAX >> shift)) {
                return -1;
        }
        *ret = (uint64_t)v << shift;
        return 0;
}

static int parse_uint(const char *s, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || *s == '-' || v == 0 || v > 100000) {
                return -1;
        }
        *ret = (unsigned)v;
        return 0;
}

static int parse_backoff(const char *s, struct ward_guardian_options *o)
{
        char min[64];
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n >= sizeof(min)) {
                return -1;
        }
        memcpy(min, s, n);
        min[n] = '\0';
        if (proc_parse_duration(min, &o->backoff_min_ns) < 0 ||
            (comma && proc_parse_duration(comma + 1, &o->backoff_max_ns) < 0)) {
                return -1;
        }
        if (o->backoff_min_ns == 0) {
                o->backoff_min_ns = 1; /* 0 in the options means the default */
        }
        return comma && o->backoff_max_ns < o->backoff_min_ns ? -1 : 0;
}

static int parse_burst(const char *s, struct ward_guardian_options *o)
{
        char n[32];
        const char *slash = strchr(s, '/');
        if (!slash || (size_t)(slash - s) >= sizeof(n)) {
                return -1;
        }
        memcpy(n, s, (size_t)(slash - s));
        n[slash - s] = '\0';
        return parse_uint(n, &o->burst) < 0 ||
                       proc_parse_duration(slash + 1, &o->burst_window_ns) < 0 ||
                       o->burst_window_ns == 0
                   ? -1
                   : 0;
}

static int parse_restart(const char *s, struct ward_guardian_options *o)
{
        if (strcmp(s, "no") == 0) {
                o->restart = WARD_GUARDIAN_RESTART_NO;
        } else if (strcmp(s, "on-failure") == 0) {
                o->restart = WARD_GUARDIAN_RESTART_ON_FAILURE;
        } else if (strcmp(s, "always") == 0) {
                o->restart = WARD_GUARDIAN_RESTART_ALWAYS;
        } else {
                return -1;
        }
        return 0;
}

/* a duration option: 0 is kept as "the least" (1 ns), since 0 means the default */
static int parse_dur(const char *s, uint64_t *ret)
{
        if (proc_parse_duration(s, ret) < 0) {
                return -1;
        }
        *ret = *ret ? *ret : 1;
        return 0;
}

enum {
        OPT_RESTART = 1,
        OPT_DUMP_DIR,
        OPT_MAX_DUMPS,
        OPT_MAX_DUMP_BYTES,
        OPT_FULL_CORE,
        OPT_ON_CRASH,
        OPT_ON_CRASH_TIMEOUT,
        OPT_HEARTBEAT,
        OPT_HANDSHAKE_TIMEOUT,
        OPT_GRACE,
        OPT_BACKOFF,
        OPT_BURST,
        OPT_STABLE,
        OPT_LISTEN,
        OPT_READY,
        OPT_NO_NOTIFY,
        OPT_NO_PRELOAD,
        OPT_JSON,
};

static const struct cli_command run_cmd = {
    .name = "run",
    .synopsis = "[options] [--] PROG [ARGS...]",
    .summary = "Run a program under a guardian: crash cores and reports, restarts.",
    .description = "Runs PROG under a guardian: libward-crash.so is preloaded into it, a crash\n"
                   "gets an ELF core and a report in the dump directory, written from outside,\n"
                   "and a hang (a missed heartbeat) a core of the live process and its locks.\n"
                   "PROG is restarted by policy, with a doubling back-off and a burst limit.\n"
                   "SIGTERM and SIGINT are forwarded to it; under systemd ward run speaks\n"
                   "sd_notify. Everything after PROG is PROG's: ward run PROG --flag passes\n"
                   "--flag to PROG. Events are text lines on stderr, or with --json JSON lines\n"
                   "on stdout. Durations: 250ms, 5s, 2m, 1.5 (seconds).\n"
                   "\n"
                   "The --on-crash command also gets the paths in WARD_CORE and WARD_REPORT, runs\n"
                   "in the dump directory, and is stopped after --on-crash-timeout; one that\n"
                   "failed is queued and run again at the next start.",
    .options =
        (const struct cli_option[]){
            {OPT_RESTART, "restart", 0, "no|on-failure|always",
             "when to restart (default on-failure)"},
            {OPT_DUMP_DIR, "dump-dir", 0, "DIR", "cores and reports (default .)"},
            {OPT_MAX_DUMPS, "max-dumps", 0, "N", "keep at most N dumps (default 20)"},
            {OPT_MAX_DUMP_BYTES, "max-dump-bytes", 0, "N[k|M|G]",
             "and at most that many bytes (default 1G)"},
            {OPT_FULL_CORE, "full-core", 0, NULL, "also the private writable memory"},
            {OPT_ON_CRASH, "on-crash", 0, "CMD",
             "after a crash: sh -c CMD, $1 the core, $2 the report"},
            {OPT_ON_CRASH_TIMEOUT, "on-crash-timeout", 0, "DUR", "its deadline (default 30s)"},
            {OPT_HEARTBEAT, "heartbeat", 0, "DUR",
             "the heartbeat deadline (default: the program's own)"},
            {OPT_HANDSHAKE_TIMEOUT, "handshake-timeout", 0, "DUR",
             "for the crash library's handshake (default 5s)"},
            {OPT_GRACE, "grace", 0, "DUR", "SIGTERM to SIGKILL (default 5s)"},
            {OPT_BACKOFF, "backoff", 0, "MIN[,MAX]",
             "restart delays, doubling (default 100ms,30s)"},
            {OPT_BURST, "burst", 0, "N/WINDOW",
             "give up after N restarts in WINDOW (default 5/60s)"},
            {OPT_STABLE, "stable", 0, "DUR", "up this long, the back-off resets (default 60s)"},
            {OPT_LISTEN, "listen", 0, "ADDRESS", "own its socket, given to PROG (WARD_LISTEN_FD)"},
            {OPT_READY, "ready", 0, "handshake|started",
             "when to tell systemd READY=1 (default handshake)"},
            {OPT_NO_NOTIFY, "no-notify", 0, NULL, "no sd_notify even when NOTIFY_SOCKET is set"},
            {OPT_NO_PRELOAD, "no-preload", 0, NULL,
             "no libward-crash.so (PROG calls ward_guard_start)"},
            {OPT_JSON, "json", 0, NULL, "events as JSON lines on stdout (else text on stderr)"},
            {0},
        },
    .args = "PROG [ARGS...]",
    .min_args = 1,
    .max_args = -1,
    .flags = CLI_REST_ARE_ARGS,
    .exit_status = "PROG's last exit status (128+N when signal N ended it)\n"
                   "2    bad usage, or ward run's own set-up failed (--dump-dir, --listen)\n"
                   "126  PROG cannot be executed\n"
                   "127  PROG was not found\n",
    .examples = "ward run --dump-dir=/var/crash -- ./server --port 8080\n"
                "ward run --json --restart=always --burst=3/10s ./worker",
};

/* a duration option (0 is kept as "the least", 1 ns, since 0 means the
 * default); 0, or the exit status */
static int duration_opt(const struct cli *c, const char *name, uint64_t *ret, const char *example)
{
        if (parse_dur(c->value, ret) < 0) {
                char what[64];
                snprintf(what, sizeof(what), "a duration, say %s", example);
                return cli_bad_value(c, name, c->value, what);
        }
        return 0;
}

/* policy_opt: an option of the restart policy and the dumps; 0, or the exit status */
static int policy_opt(const struct cli *c, int id, struct ward_guardian_options *o)
{
        const char *v = c->value;
        switch (id) {
        case OPT_RESTART:
                return parse_restart(v, o) < 0
                           ? cli_bad_value(c, "--restart", v, "say no, on-failure or always")
                           : 0;
        case OPT_MAX_DUMPS:
                return parse_uint(v, &o->dump_max_count) < 0
                           ? cli_bad_value(c, "--max-dumps", v, "a count, 1 or more")
                           : 0;
        case OPT_MAX_DUMP_BYTES:
                return parse_bytes(v, &o->dump_max_bytes) < 0 || o->dump_max_bytes == 0
                           ? cli_bad_value(c, "--max-dump-bytes", v, "bytes, say 500M or 2G")
                           : 0;
        case OPT_BACKOFF:
                return parse_backoff(v, o) < 0
                           ? cli_bad_value(c, "--backoff", v,
                                           "say 100ms,30s: MIN[,MAX], MAX >= MIN")
                           : 0;
        case OPT_BURST:
                return parse_burst(v, o) < 0
                           ? cli_bad_value(c, "--burst", v, "say 5/60s: N restarts in WINDOW")
                           : 0;
        case OPT_READY:
                if (strcmp(v, "handshake") != 0 && strcmp(v, "started") != 0) {
                        return cli_bad_value(c, "--ready", v, "say handshake or started");
                }
                o->ready_at_hello = strcmp(v, "handshake") == 0;
                return 0;
        default:
                return -1;
        }
}

/* value_opt: one option that takes a value, into a; 0, or the exit status */
static int value_opt(const struct cli *c, int id, struct run_args *a)
{
        struct ward_guardian_options *o = &a->o;
        switch (id) {
        case OPT_DUMP_DIR:
                o->dump_dir = c->value;
                return 0;
        case OPT_ON_CRASH:
                o->on_crash = c->value;
                return 0;
        case OPT_LISTEN:
                o->listen = c->value;
                return 0;
        case OPT_ON_CRASH_TIMEOUT:
                return duration_opt(c, "--on-crash-timeout", &o->on_crash_timeout_ns, "30s");
        case OPT_HEARTBEAT:
                return duration_opt(c, "--heartbeat", &o->heartbeat_ns, "10s");
        case OPT_HANDSHAKE_TIMEOUT:
                return duration_opt(c, "--handshake-timeout", &o->handshake_timeout_ns, "5s");
        case OPT_GRACE:
                return duration_opt(c, "--grace", &o->grace_ns, "5s");
        case OPT_STABLE:
                return duration_opt(c, "--stable", &o->stable_ns, "60s");
        default:
                return policy_opt(c, id, o);
        }
}

/* parse: the options before PROG; *prog the index of PROG. 0, or 1 + the
 * exit status */
static int parse(struct cli *c, struct run_args *a, int *prog)
{
        for (int r; (r = cli_next(c)) != CLI_END;) {
                switch (r) {
                case OPT_JSON:
                        a->json = c->json = 1;
                        break;
                case OPT_FULL_CORE:
                        a->o.full_core = 1;
                        break;
                case OPT_NO_NOTIFY:
                        a->o.notify = 0;
                        break;
                case OPT_NO_PRELOAD:
                        a->no_preload = 1;
                        break;
                case CLI_ARG:
                        if (!*prog) {
                                *prog = c->i - 1;
                        }
                        break;
                case CLI_HELP:
                        return 1 + CLI_OK;
                case CLI_BAD:
                        return 1 + CLI_USAGE;
                default: {
                        int bad = value_opt(c, r, a);
                        if (bad) {
                                return 1 + bad;
                        }
                }
                }
        }
        return 0;
}

static void find_preload(struct run_args *a)
{
        if (a->no_preload) {
                return;
        }
        if (sibling_library("libward-crash.so", a->preload, sizeof(a->preload)) == 0) {
                a->o.preload = a->preload;
                return;
        }
        /* a warning as the guardian's own are: under --json a JSON line */
        struct ward_guardian_event ev = {
            .kind = WARD_GUARDIAN_WARNING,
            .message = "no libward-crash.so next to ward (lib/, or lib/ward once installed): "
                       "crashes are not captured, only exits restarted",
        };
        run_print_event(&a->json, &ev);
}

/* a reader of the events that went away must not end the guardian (and
 * orphan the program): SIGPIPE is caught, not ignored, since an ignored
 * signal would stay ignored in the program it starts */
static void on_sigpipe(int sig)
{
        (void)sig;
}

static int exit_code(int status)
{
        if (WIFEXITED(status)) {
                return WEXITSTATUS(status);
        }
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

/* run_error: what kept the guardian from running PROG, and the exit status */
static int run_error(const struct cli *c, int r, const char *err)
{
        int setup = strncmp(err, "--listen", 8) == 0 || strncmp(err, "dump directory", 14) == 0;
        int code = setup          ? CLI_USAGE /* our own options, not the program */
                   : r == -ENOENT ? 127
                   : r == -EACCES || r == -ENOEXEC ? 126
                                                   : CLI_USAGE;
        return cli_error(c, code, "%s", err[0] ? err : ward_strerror(r));
}

int cmd_run(int argc, char **argv)
{
        struct run_args a = {.o = {.size = sizeof(a.o), .notify = 1, .ready_at_hello = -1}};
        int prog = 0;
        struct cli c;
        cli_init(&c, &run_cmd, argc, argv);
        int r = parse(&c, &a, &prog);
        if (r != 0) {
                return r - 1;
        }
        find_preload(&a);
        if (a.o.ready_at_hello < 0) {
                a.o.ready_at_hello = 1; /* without the library nothing says STARTED */
        }
        struct sigaction sa = {.sa_handler = on_sigpipe};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
        a.o.argv = argv + prog;
        a.o.event = run_print_event;
        a.o.event_arg = &a.json;
        char err[512] = "";
        r = ward_guardian_run(&a.o, err, sizeof(err));
        if (r < 0) {
                return run_error(&c, r, err);
        }
        return exit_code(r);
}
