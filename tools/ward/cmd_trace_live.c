/* ward trace tail | level | recover: another process's trace buffers, read
 * from its shared file while it runs (never stopping it) or after it died. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ward/trace-read.h>

#include "commands.h"

#define TAIL_POLL_MS 50

static int parse_pid(const char *s)
{
        char *end;
        long v = strtol(s, &end, 10);
        return *s && !*end && v > 0 && v < (1L << 22) ? (int)v : -1;
}

static void print_line(void *arg, uint64_t ns, const char *line, size_t len)
{
        (void)arg, (void)ns;
        fwrite(line, 1, len, stdout);
}

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

/* ward trace tail [--all] PID: follow until the process ends (or ^C). */
int cmd_trace_tail(int argc, char **argv)
{
        int all = argc == 3 && strcmp(argv[1], "--all") == 0;
        int pid = argc >= 2 ? parse_pid(argv[argc - 1]) : -1;
        ward_trace_reader *r;
        char err[256];
        if (pid < 0 || argc != 2 + all) {
                fprintf(stderr, "usage: ward trace tail [--all] PID\n");
                return 2;
        }
        if (ward_trace_reader_open(pid, 0, &r, err, sizeof(err)) < 0) {
                fprintf(stderr, "ward trace tail: %s\n", err);
                return 1;
        }
        signal(SIGINT, on_interrupt);
        signal(SIGTERM, on_interrupt);
        ward_trace_reader_seek(r, all); /* --all: what the flusher has not taken */
        for (int last = 0; !interrupted;) {
                int gone = !ward_trace_reader_alive(r);
                ward_trace_reader_poll(r, print_line, NULL);
                fflush(stdout);
                if (last) {
                        break;
                }
                last = gone; /* one more pass after the process ended */
                sleep_ms(TAIL_POLL_MS);
        }
        ward_trace_reader_close(r);
        return 0;
}

/* ward trace level PID [LEVEL]: show or set a running process's level. */
int cmd_trace_level(int argc, char **argv)
{
        static const char *const names[] = {"off", "error", "warn", "info", "debug", "verbose"};
        ward_trace_reader *r;
        char err[256];
        int pid = argc >= 2 ? parse_pid(argv[1]) : -1;
        int level = argc == 3 ? ward_trace_parse_level(argv[2]) : 0;
        if (pid < 0 || argc < 2 || argc > 3 || level < 0) {
                fprintf(stderr,
                        "usage: ward trace level PID [off|error|warn|info|debug|verbose]\n");
                return 2;
        }
        unsigned flags = argc == 3 ? WARD_TRACE_READER_WRITABLE : 0;
        if (ward_trace_reader_open(pid, flags, &r, err, sizeof(err)) < 0) {
                fprintf(stderr, "ward trace level: %s\n", err);
                return 1;
        }
        if (argc == 3) {
                ward_trace_reader_set_level(r, level);
        }
        int now = ward_trace_reader_level(r);
        printf("%d %s\n", pid, now >= 0 && now <= 5 ? names[now] : "?");
        ward_trace_reader_close(r);
        return 0;
}
