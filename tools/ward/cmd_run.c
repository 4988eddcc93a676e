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

#include "commands.h"
#include "proc_args.h"
#include "run_events.h"

static const char usage[] =
    "usage: ward run [options] -- PROG [ARGS...]\n"
    "\n"
    "Run PROG under a guardian: a crash gets a core and a report in the dump\n"
    "directory, a hang (a missed heartbeat) a core of the live process and its\n"
    "locks; PROG is restarted by policy. Exits with PROG's status (128+N after\n"
    "signal N).\n"
    "\n"
    "  --restart=no|on-failure|always  when to restart (default on-failure)\n"
    "  --dump-dir DIR            cores and reports (default .)\n"
    "  --max-dumps N             keep at most N dumps (default 20)\n"
    "  --max-dump-bytes N[k|M|G] and at most that many bytes (default 1G)\n"
    "  --full-core               also the private writable memory\n"
    "  --on-crash CMD            run /bin/sh -c CMD with $1 the core, $2 the report\n"
    "                            (also WARD_CORE, WARD_REPORT); failed: queued, retried\n"
    "                            at the next start\n"
    "  --on-crash-timeout DUR    its deadline (default 30s)\n"
    "  --heartbeat DUR           the heartbeat deadline (default: the program's own)\n"
    "  --handshake-timeout DUR   for the crash library's handshake (default 5s)\n"
    "  --grace DUR               SIGTERM to SIGKILL (default 5s)\n"
    "  --backoff MIN[,MAX]       restart delays, doubling (default 100ms,30s)\n"
    "  --burst N/WINDOW          give up after N restarts in WINDOW (default 5/60s)\n"
    "  --stable DUR              up this long, the back-off resets (default 60s)\n"
    "  --listen ADDRESS          own this ward address's listening socket and hand it\n"
    "                            to every start of PROG (WARD_LISTEN_FD)\n"
    "  --ready=handshake|started when to tell systemd READY=1 (default handshake)\n"
    "  --no-notify               no sd_notify even when NOTIFY_SOCKET is set\n"
    "  --no-preload              do not preload libward-crash.so (a program that\n"
    "                            calls ward_guard_start itself)\n"
    "  --json                    events as JSON lines on stdout (else text on stderr)\n"
    "\n"
    "Durations: 250ms, 5s, 2m, 1.5 (seconds).\n";

struct run_args {
        struct ward_guardian_options o;
        int json, no_preload;
        char preload[4096];
};

static int bad(const char *opt, const char *v, const char *what)
{
        fprintf(stderr, "ward run: bad %s '%s' (%s)\n", opt, v ? v : "", what);
        return 2;
}

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

/* value_opt: one option that takes a value, into a; 0, or the exit status */
static int value_opt(struct run_args *a, const char *name, const char *v)
{
        struct ward_guardian_options *o = &a->o;
        if (strcmp(name, "--restart") == 0) {
                return parse_restart(v, o) < 0 ? bad(name, v, "say no, on-failure or always") : 0;
        } else if (strcmp(name, "--dump-dir") == 0) {
                o->dump_dir = v;
        } else if (strcmp(name, "--max-dumps") == 0) {
                return parse_uint(v, &o->dump_max_count) < 0 ? bad(name, v, "a count, 1 or more")
                                                             : 0;
        } else if (strcmp(name, "--max-dump-bytes") == 0) {
                return parse_bytes(v, &o->dump_max_bytes) < 0 || o->dump_max_bytes == 0
                           ? bad(name, v, "bytes, say 500M or 2G")
                           : 0;
        } else if (strcmp(name, "--on-crash") == 0) {
                o->on_crash = v;
        } else if (strcmp(name, "--on-crash-timeout") == 0) {
                return parse_dur(v, &o->on_crash_timeout_ns) < 0 ? bad(name, v, "say 30s") : 0;
        } else if (strcmp(name, "--heartbeat") == 0) {
                return parse_dur(v, &o->heartbeat_ns) < 0 ? bad(name, v, "say 10s") : 0;
        } else if (strcmp(name, "--handshake-timeout") == 0) {
                return parse_dur(v, &o->handshake_timeout_ns) < 0 ? bad(name, v, "say 5s") : 0;
        } else if (strcmp(name, "--grace") == 0) {
                return parse_dur(v, &o->grace_ns) < 0 ? bad(name, v, "say 5s") : 0;
        } else if (strcmp(name, "--stable") == 0) {
                return parse_dur(v, &o->stable_ns) < 0 ? bad(name, v, "say 60s") : 0;
        } else if (strcmp(name, "--backoff") == 0) {
                return parse_backoff(v, o) < 0
                           ? bad(name, v, "say 100ms,30s: MIN[,MAX], MAX >= MIN")
                           : 0;
        } else if (strcmp(name, "--burst") == 0) {
                return parse_burst(v, o) < 0 ? bad(name, v, "say 5/60s: N restarts in WINDOW") : 0;
        } else if (strcmp(name, "--listen") == 0) {
                o->listen = v;
        } else if (strcmp(name, "--ready") == 0) {
                if (strcmp(v, "handshake") != 0 && strcmp(v, "started") != 0) {
                        return bad(name, v, "say handshake or started");
                }
                o->ready_at_hello = strcmp(v, "handshake") == 0;
        } else {
                return -1;
        }
        return 0;
}

static const char *const with_value[] = {"--restart",   "--dump-dir",
                                         "--max-dumps", "--max-dump-bytes",
                                         "--on-crash",  "--on-crash-timeout",
                                         "--heartbeat", "--handshake-timeout",
                                         "--grace",     "--stable",
                                         "--backoff",   "--burst",
                                         "--listen",    "--ready",
                                         NULL};

static int takes_value(const char *name, size_t len)
{
        for (int i = 0; with_value[i]; i++) {
                if (strlen(with_value[i]) == len && strncmp(with_value[i], name, len) == 0) {
                        return 1;
                }
        }
        return 0;
}

/* parse: the options before PROG; *prog the index of PROG. 0, 1 (help
 * printed), or 2 */
static int parse(int argc, char **argv, struct run_args *a, int *prog)
{
        int i = 1;
        for (; i < argc; i++) {
                const char *arg = argv[i];
                if (strcmp(arg, "--") == 0) {
                        i++;
                        break;
                }
                if (arg[0] != '-') {
                        break; /* PROG without "--" */
                }
                const char *eq = strchr(arg, '=');
                size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
                if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
                        fputs(usage, stdout);
                        return 1;
                } else if (strcmp(arg, "--json") == 0) {
                        a->json = 1;
                } else if (strcmp(arg, "--full-core") == 0) {
                        a->o.full_core = 1;
                } else if (strcmp(arg, "--no-notify") == 0) {
                        a->o.notify = 0;
                } else if (strcmp(arg, "--no-preload") == 0) {
                        a->no_preload = 1;
                } else if (takes_value(arg, len)) {
                        char name[32];
                        snprintf(name, sizeof(name), "%.*s", (int)len, arg);
                        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                        if (!v) {
                                fprintf(stderr,
                                        "ward run: %s needs a value (see ward run --help)\n", name);
                                return 2;
                        }
                        int r = value_opt(a, name, v);
                        if (r != 0) {
                                return 2;
                        }
                } else {
                        fprintf(stderr, "ward run: unknown option '%s' (see ward run --help)\n",
                                arg);
                        return 2;
                }
        }
        if (i >= argc) {
                fprintf(stderr, "ward run: no program to run\n%s", usage);
                return 2;
        }
        *prog = i;
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
        fprintf(stderr, "ward run: no libward-crash.so next to ward (lib/, or lib/ward once "
                        "installed): crashes are not captured, only exits restarted\n");
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

int cmd_run(int argc, char **argv)
{
        struct run_args a = {.o = {.size = sizeof(a.o), .notify = 1, .ready_at_hello = -1}};
        int prog = 0;
        int r = parse(argc, argv, &a, &prog);
        if (r != 0) {
                return r == 1 ? 0 : r;
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
                fprintf(stderr, "ward run: %s\n", err[0] ? err : ward_strerror(r));
                int setup =
                    strncmp(err, "--listen", 8) == 0 || strncmp(err, "dump directory", 14) == 0;
                if (setup) {
                        return 2; /* our own options, not the program */
                }
                return r == -ENOENT ? 127 : r == -EACCES || r == -ENOEXEC ? 126 : 2;
        }
        return exit_code(r);
}
