/* ward watch [--exec] [--pid=PID]... [--backend=connector|pidfd|proc] [--json]:
 * process events as they happen, one line each: forks, execs, exits (with
 * their status) and name changes, of every process or of the given ones and
 * what they start. With --pid it ends when they all ended; else at SIGINT or
 * SIGTERM. Exit status: 0 done, 1 the watcher failed, 2 bad usage or no
 * such process. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ward/loop.h>
#include <ward/watch.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"
#include "proc_args.h"

#define MAX_PIDS 64

struct watch_cmd {
        int json;
        int64_t wall_offset; /* CLOCK_REALTIME - ward_now_ns(), ns */
        ward_loop *loop;
        ward_watch *w;
        int given; /* pids were given: stop when none is left */
        int interrupted;
};

static void put_time(const struct watch_cmd *c, uint64_t ns, char *buf, size_t size)
{
        int64_t wall = (int64_t)ns + c->wall_offset;
        time_t s = (time_t)(wall / 1000000000);
        struct tm tm;
        localtime_r(&s, &tm);
        snprintf(buf, size, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(wall % 1000000000 / 1000000));
}

static void put_status_text(int status, char *buf, size_t size)
{
        char sig[32];
        if (status < 0) {
                snprintf(buf, size, "status unknown");
        } else if ((status & 0x7f) == 0) {
                snprintf(buf, size, "exited %d", (status >> 8) & 0xff);
        } else {
                snprintf(buf, size, "killed by %s%s", proc_signal_name(status & 0x7f, sig, 32),
                         status & 0x80 ? " (core dumped)" : "");
        }
}

static void print_text(const struct watch_cmd *c, const struct ward_watch_event *ev)
{
        char when[32], status[64];
        const char *rescan = ev->flags & WARD_WATCH_RESCANNED ? " (rescan)" : "";
        put_time(c, ev->ns, when, sizeof(when));
        switch (ev->kind) {
        case WARD_WATCH_FORK:
                printf("%s fork %d <- %d %s%s\n", when, ev->pid, ev->ppid, ev->comm, rescan);
                break;
        case WARD_WATCH_EXEC:
                printf("%s exec %d %s %s%s\n", when, ev->pid, ev->comm, ev->exe ? ev->exe : "?",
                       rescan);
                break;
        case WARD_WATCH_EXIT:
                put_status_text(ev->status, status, sizeof(status));
                printf("%s exit %d %s %s%s\n", when, ev->pid, ev->comm, status, rescan);
                break;
        case WARD_WATCH_COMM:
                printf("%s comm %d %s%s\n", when, ev->pid, ev->comm, rescan);
                break;
        case WARD_WATCH_LOST:
                printf("%s lost events: what follows was read from /proc\n", when);
                break;
        }
}

static void print_json(const struct ward_watch_event *ev)
{
        struct ward__buf b = {0};
        char sig[32];
        ward__buf_printf(&b, "{\"kind\":\"%s\",\"ns\":%llu", ward_watch_kind_name(ev->kind),
                         (unsigned long long)ev->ns);
        if (ev->kind != WARD_WATCH_LOST) {
                ward__buf_printf(&b, ",\"pid\":%d,\"ppid\":%d,\"comm\":", ev->pid, ev->ppid);
                ward__json_put_string(&b, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
        }
        if (ev->exe) {
                ward__buf_puts(&b, ",\"exe\":");
                ward__json_put_string(&b, ev->exe, strlen(ev->exe));
        }
        if (ev->kind == WARD_WATCH_EXIT) {
                ward__buf_printf(&b, ",\"status\":%d", ev->status);
                if (ev->status >= 0 && (ev->status & 0x7f) == 0) {
                        ward__buf_printf(&b, ",\"code\":%d", (ev->status >> 8) & 0xff);
                } else if (ev->status >= 0) {
                        ward__buf_printf(&b, ",\"signal\":\"%s\"",
                                         proc_signal_name(ev->status & 0x7f, sig, 32));
                }
        }
        if (ev->flags & WARD_WATCH_RESCANNED) {
                ward__buf_puts(&b, ",\"rescanned\":true");
        }
        ward__buf_puts(&b, "}\n");
        if (!b.failed) {
                fwrite(b.p, 1, b.len, stdout);
        }
        ward__buf_free(&b);
}

static void on_event(const struct ward_watch_event *ev, void *arg)
{
        struct watch_cmd *c = arg;
        if (c->json) {
                print_json(ev);
        } else {
                print_text(c, ev);
        }
        fflush(stdout);
}

static void on_signal(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        struct watch_cmd *c = arg;
        (void)s, (void)si;
        c->interrupted = 1;
}

static void print_start(const struct watch_cmd *c, const int *pids, size_t n)
{
        const char *backend = ward_watch_backend_name(ward_watch_backend(c->w));
        if (c->json) {
                printf("{\"kind\":\"watching\",\"backend\":\"%s\",\"pids\":[", backend);
                for (size_t i = 0; i < n; i++) {
                        printf("%s%d", i ? "," : "", pids[i]);
                }
                printf("]}\n");
                fflush(stdout);
        } else if (n) {
                fprintf(stderr, "ward watch: %zu process%s and what %s start%s (%s)\n", n,
                        n == 1 ? "" : "es", n == 1 ? "it" : "they", n == 1 ? "s" : "", backend);
        } else {
                fprintf(stderr, "ward watch: every process (%s)\n", backend);
        }
}

static int parse_backend(const char *s)
{
        static const char *const names[] = {"connector", "pidfd", "proc"};
        static const int values[] = {WARD_WATCH_BACKEND_CONNECTOR, WARD_WATCH_BACKEND_PIDFD,
                                     WARD_WATCH_BACKEND_PROC};
        for (int i = 0; s && i < 3; i++) {
                if (strcmp(s, names[i]) == 0) {
                        return values[i];
                }
        }
        return -1;
}

static int start_error(const struct cli *cli, int r, const int *pids, size_t n, int backend)
{
        if (r == -ESRCH) {
                for (size_t i = 0; i < n; i++) { /* which one */
                        if (kill(pids[i], 0) < 0 && errno == ESRCH) {
                                return cli_process_error(cli, pids[i], -ESRCH);
                        }
                }
                return cli_error(cli, CLI_USAGE, "a process ended before it could be watched");
        }
        if (r == -EINVAL && backend == WARD_WATCH_BACKEND_PIDFD && n == 0) {
                return cli_usage_error(cli, "the pidfd back-end needs --pid");
        }
        if (r == -EPERM && backend == WARD_WATCH_BACKEND_CONNECTOR) {
                return cli_error(cli, CLI_PROBLEM,
                                 "the process connector needs CAP_NET_ADMIN (--backend=proc "
                                 "does without)");
        }
        return cli_error(cli, CLI_PROBLEM, "%s", strerror(-r));
}

enum { OPT_EXEC = 1, OPT_PID, OPT_BACKEND, OPT_JSON };

static const struct cli_command watch_cmd = {
    .name = "watch",
    .synopsis = "[--exec] [--pid=PID]... [--backend=NAME] [--json]",
    .summary = "Process events as they happen: forks, execs, exits and new names.",
    .description = "One line per event: \"fork PID <- PARENT comm\", \"exec PID comm /path\",\n"
                   "\"exit PID comm exited N\" or \"killed by SIGNAL\", \"comm PID newname\", and\n"
                   "\"lost events\" when the kernel dropped some (what follows was read from\n"
                   "/proc, marked \"(rescan)\"). Of every process, or with --pid of those\n"
                   "processes and what they start; then it ends when they all ended, else at\n"
                   "Ctrl-C (SIGINT) or SIGTERM.\n"
                   "\n"
                   "--backend says how the events are learned: from the kernel's process\n"
                   "connector (it needs CAP_NET_ADMIN), from a pidfd per watched process (with\n"
                   "--pid), or by rescanning /proc; by default the first of these that works.\n"
                   "Under --json the first line is\n"
                   "{\"kind\":\"watching\",\"backend\":...,\"pids\":[...]}.",
    .options =
        (const struct cli_option[]){
            {OPT_EXEC, "exec", 0, NULL, "exec events only"},
            {OPT_PID, "pid", 0, "PID", "watch this process and what it starts (repeatable)"},
            {OPT_BACKEND, "backend", 0, "NAME",
             "connector, pidfd or proc; default: any that works"},
            {OPT_JSON, "json", 0, NULL, "one JSON object per event, one per line"},
            {0},
        },
    .exit_status = "0  done: every watched process ended, or Ctrl-C\n"
                   "1  the watcher failed\n"
                   "2  bad usage, or no such process\n",
    .examples = "ward watch --pid=4200\nward watch --exec --json",
};

/* parse: the options into c and o; 0, or 1 + the exit status */
static int parse(struct cli *cli, struct watch_cmd *c, struct ward_watch_options *o, int *pids)
{
        for (int r; (r = cli_next(cli)) != CLI_END;) {
                int pid, b;
                switch (r) {
                case OPT_JSON:
                        c->json = cli->json = 1;
                        break;
                case OPT_EXEC:
                        o->kinds = WARD_WATCH_EXEC;
                        break;
                case OPT_PID:
                        if ((pid = cli_pid(cli->value)) < 0) {
                                return 1 + cli_bad_value(cli, "--pid", cli->value, "a process id");
                        }
                        if (o->n_pids == MAX_PIDS) {
                                return 1 + cli_usage_error(cli, "more than %d --pid", MAX_PIDS);
                        }
                        pids[o->n_pids++] = pid;
                        break;
                case OPT_BACKEND:
                        if ((b = parse_backend(cli->value)) < 0) {
                                return 1 + cli_bad_value(cli, "--backend", cli->value,
                                                         "say connector, pidfd or proc");
                        }
                        o->backend = (uint32_t)b;
                        break;
                default:
                        return 1 + (r == CLI_HELP ? CLI_OK : CLI_USAGE);
                }
        }
        return 0;
}

int cmd_watch(int argc, char **argv)
{
        struct watch_cmd c = {0};
        int pids[MAX_PIDS];
        struct ward_watch_options o = {.size = sizeof(o)};
        struct cli cli;
        cli_init(&cli, &watch_cmd, argc, argv);
        int r = parse(&cli, &c, &o, pids);
        if (r) {
                return r - 1;
        }
        o.pids = o.n_pids ? pids : NULL;
        c.given = o.n_pids > 0;
        struct timespec real;
        clock_gettime(CLOCK_REALTIME, &real);
        c.wall_offset = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - (int64_t)ward_now_ns();

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = ward_loop_new(&c.loop);
        if (r == 0) {
                ward_loop_add_signal(c.loop, SIGINT, on_signal, &c, NULL);
                ward_loop_add_signal(c.loop, SIGTERM, on_signal, &c, NULL);
                r = ward_watch_new(c.loop, &o, on_event, &c, &c.w);
        }
        if (r < 0) {
                ward_loop_free(c.loop);
                return start_error(&cli, r, pids, o.n_pids, (int)o.backend);
        }
        print_start(&c, pids, o.n_pids);
        /* with --pid, until everything watched ended (whether its exit was
         * printed or not: --exec) */
        while (r >= 0 && !c.interrupted && (!c.given || ward_watch_count(c.w) > 0)) {
                r = ward_loop_run_once(c.loop, UINT64_MAX);
        }
        ward_watch_free(c.w);
        ward_loop_free(c.loop);
        if (r < 0) {
                return cli_error(&cli, CLI_PROBLEM, "%s", strerror(-r));
        }
        return CLI_OK;
}
