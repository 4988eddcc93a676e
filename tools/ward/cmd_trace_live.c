/* ward trace tail | level: another process's trace buffers, read from its
 * shared file while it runs (never stopping it). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ward/trace-read.h>

#include "cli.h"
#include "commands.h"
#include "trace_cli.h"

#define TAIL_POLL_MS 50

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
        (void)sig;
        interrupted = 1;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {0, (long)ms * 1000000};
        nanosleep(&ts, NULL);
}

static void print_line(void *arg, uint64_t ns, const char *line, size_t len)
{
        (void)arg, (void)ns;
        fwrite(line, 1, len, stdout);
}

static void print_json_line(void *arg, uint64_t ns, const char *line, size_t len)
{
        (void)arg;
        trace_json_line(stdout, ns, line, len);
        fputc('\n', stdout);
}

enum { OPT_ALL = 1, OPT_JSON };

static const struct cli_command tail_cmd = {
    .name = "trace tail",
    .synopsis = "[--all] [--json] PID",
    .summary = "Follow a running process's trace events as they happen.",
    .description =
        "Reads the process's shared trace buffers (/dev/shm/ward-trace.PID) every 50 ms\n"
        "and prints the new events, in time order across its threads, as the lines of\n"
        "'ward trace merge'. The process is never stopped or slowed. When it exits,\n"
        "tail prints its last events, says so on stderr and exits with status 0;\n"
        "^C ends it too. A process that writes faster than tail reads loses lines\n"
        "in tail only (tail resumes at the process's flusher).\n"
        "\n"
        "With --json each line is {\"ns\":NS,\"text\":LINE} and the last one, when the\n"
        "process exits, {\"exited\":PID}.",
    .options =
        (const struct cli_option[]){
            {OPT_ALL, "all", 0, NULL, "start with the events the flusher has not written yet"},
            {OPT_JSON, "json", 0, NULL, "one JSON object per event line"},
            {0},
        },
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
    .examples = "ward trace tail --all 4242",
};

/* ward trace tail [--all] [--json] PID: follow until the process ends (or ^C). */
int cmd_trace_tail(int argc, char **argv)
{
        int all = 0, json = 0, pid = -1;
        struct cli c;
        cli_init(&c, &tail_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                if (r == OPT_ALL) {
                        all = 1;
                } else if (r == OPT_JSON) {
                        json = 1;
                } else if (r == CLI_ARG && cli_arg_pid(&c, &pid) != 0) {
                        return CLI_USAGE;
                } else if (r != CLI_ARG) {
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        ward_trace_reader *rd;
        char err[512] = "";
        if (trace_process_gone(pid)) {
                return cli_process_error(&c, pid, -ESRCH);
        }
        int e = ward_trace_reader_open(pid, 0, &rd, err, sizeof(err));
        if (e < 0) {
                return trace_open_error(&c, pid, NULL, e, err);
        }
        signal(SIGINT, on_interrupt);
        signal(SIGTERM, on_interrupt);
        ward_trace_reader_seek(rd, all); /* --all: what the flusher has not taken */
        int gone = 0;
        for (int last = 0; !interrupted;) {
                gone = !ward_trace_reader_alive(rd);
                ward_trace_reader_poll(rd, json ? print_json_line : print_line, NULL);
                fflush(stdout);
                if (last) {
                        break;
                }
                last = gone; /* one more pass after the process ended */
                if (!last) {
                        sleep_ms(TAIL_POLL_MS);
                }
        }
        ward_trace_reader_close(rd);
        if (gone) {
                if (json) {
                        printf("{\"exited\":%d}\n", pid);
                } else {
                        fprintf(stderr, "ward trace tail: process %d exited\n", pid);
                }
        }
        return CLI_OK;
}

static const char *const level_names[] = {"off", "error", "warn", "info", "debug", "verbose"};

static const struct cli_command level_cmd = {
    .name = "trace level",
    .synopsis = "[--json] PID [off|error|warn|info|debug|verbose]",
    .summary = "Show or set a running process's trace level.",
    .description = "Without LEVEL, prints the process's level now (\"PID LEVEL\"). With LEVEL,\n"
                   "sets it through the process's shared trace buffers and prints the level it\n"
                   "has afterwards; the process picks the new level up within 20 ms.\n"
                   "An event is recorded when its level is at most the current one; off records\n"
                   "nothing.",
    .options =
        (const struct cli_option[]){
            {OPT_JSON, "json", 0, NULL, "print {\"pid\":PID,\"level\":\"LEVEL\"}"},
            {0},
        },
    .args = "PID [LEVEL]",
    .min_args = 1,
    .max_args = 2,
    .examples = "ward trace level 4242\n"
                "ward trace level 4242 debug",
};

/* ward trace level PID [LEVEL]: show or set a running process's level. */
int cmd_trace_level(int argc, char **argv)
{
        int pid = -1, level = -1, json = 0;
        struct cli c;
        cli_init(&c, &level_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                if (r == OPT_JSON) {
                        json = 1;
                } else if (r == CLI_ARG && c.nargs == 1) {
                        if (cli_arg_pid(&c, &pid) != 0) {
                                return CLI_USAGE;
                        }
                } else if (r == CLI_ARG) {
                        if ((level = ward_trace_parse_level(c.value)) < 0) {
                                return cli_bad_value(
                                    &c, "LEVEL", c.value,
                                    "the level is one of off, error, warn, info, debug, verbose");
                        }
                } else {
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        ward_trace_reader *rd;
        char err[512] = "";
        if (trace_process_gone(pid)) {
                return cli_process_error(&c, pid, -ESRCH);
        }
        unsigned flags = level >= 0 ? WARD_TRACE_READER_WRITABLE : 0;
        int e = ward_trace_reader_open(pid, flags, &rd, err, sizeof(err));
        if (e < 0) {
                return trace_open_error(&c, pid, NULL, e, err);
        }
        if (level >= 0) {
                ward_trace_reader_set_level(rd, level);
        }
        int now = ward_trace_reader_level(rd);
        ward_trace_reader_close(rd);
        if (now < 0 || now > 5) {
                return cli_error(&c, CLI_PROBLEM, "process %d: its buffers hold no valid level",
                                 pid);
        }
        if (json) {
                printf("{\"pid\":%d,\"level\":\"%s\"}\n", pid, level_names[now]);
        } else {
                printf("%d %s\n", pid, level_names[now]);
        }
        return CLI_OK;
}
