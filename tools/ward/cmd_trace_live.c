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

#include <ward/trace.h>

#include "commands.h"
#include "trace/live.h"
#include "trace/print.h"

#define TAIL_POLL_MS 50

struct pending_event {
        uint64_t ns;
        size_t off, len; /* of the line in the lines buffer */
};

/* A batch of formatted lines, printed in time order. */
struct batch {
        struct ward__buf lines;
        struct pending_event *ev;
        size_t n, cap;
};

static int parse_pid(const char *s)
{
        char *end;
        long v = strtol(s, &end, 10);
        return *s && !*end && v > 0 && v < (1L << 22) ? (int)v : -1;
}

static void batch_add(struct batch *b, uint64_t ns, const char *line, size_t len)
{
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 1024;
                struct pending_event *ev = realloc(b->ev, cap * sizeof(*ev));
                if (!ev) {
                        return;
                }
                b->ev = ev;
                b->cap = cap;
        }
        b->ev[b->n++] = (struct pending_event){ns, b->lines.len, len};
        ward__buf_put(&b->lines, line, len);
}

static int by_time(const void *a, const void *b)
{
        const struct pending_event *x = a, *y = b;
        return x->ns < y->ns ? -1 : x->ns > y->ns ? 1 : (x->off < y->off ? -1 : 1);
}

static void batch_print(struct batch *b)
{
        qsort(b->ev, b->n, sizeof(*b->ev), by_time);
        for (size_t i = 0; i < b->n; i++) {
                fwrite(b->lines.p + b->ev[i].off, 1, b->ev[i].len, stdout);
        }
        fflush(stdout);
        b->n = 0;
        b->lines.len = 0;
}

/* collect: the records of slot i from *pos on, formatted into b. */
static void collect(struct ward__trace_live *l, uint32_t i, uint64_t *pos, struct batch *b,
                    struct ward__buf *copy, struct ward__buf *line)
{
        struct ward__trace_live_slot st;
        ward__trace_live_slot(l, i, &st);
        uint64_t start = *pos;
        uint64_t end = ward__trace_live_copy(l, i, &start, copy);
        uint64_t p = start;
        const struct ward__trace_rec *rec;
        ward__trace_live_index_sites(l);
        while ((rec = ward__trace_live_next(l, copy, start, end, &p))) {
                size_t site_len = 0;
                const uint8_t *site = rec->kind == WARD__REC_EVENT
                                          ? ward__trace_live_site(l, rec->site, &site_len)
                                          : NULL;
                uint64_t ns = ward__trace_live_ns(l, rec->tsc);
                line->len = 0;
                ward__trace_print_record(line, ns, l->hdr.pid, st.tid, site, site_len,
                                         (const uint8_t *)rec, rec->size);
                batch_add(b, ns, (const char *)line->p, line->len);
        }
        *pos = end;
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
        struct ward__trace_live l;
        char err[256];
        if (pid < 0 || argc != 2 + all) {
                fprintf(stderr, "usage: ward trace tail [--all] PID\n");
                return 2;
        }
        if (ward__trace_live_open(pid, 0, &l, err, sizeof(err)) < 0) {
                fprintf(stderr, "ward trace tail: %s\n", err);
                return 1;
        }
        uint64_t *pos = calloc(l.hdr.nslots, sizeof(*pos));
        uint32_t *tids = calloc(l.hdr.nslots, sizeof(*tids));
        struct batch b = {0};
        struct ward__buf copy = {0}, line = {0};
        signal(SIGINT, on_interrupt);
        signal(SIGTERM, on_interrupt);
        for (uint32_t i = 0; pos && i < l.hdr.nslots; i++) {
                struct ward__trace_live_slot st;
                ward__trace_live_slot(&l, i, &st);
                pos[i] = all ? st.read : st.write; /* --all: what the flusher has not taken */
                tids[i] = st.tid;
        }
        for (int last = 0; pos && tids && !interrupted;) {
                int gone = !ward__trace_live_alive(pid);
                for (uint32_t i = 0; i < l.hdr.nslots; i++) {
                        collect(&l, i, &pos[i], &b, &copy, &line);
                }
                batch_print(&b);
                if (last) {
                        break;
                }
                last = gone; /* one more pass after the process ended */
                sleep_ms(TAIL_POLL_MS);
        }
        free(pos);
        free(tids);
        free(b.ev);
        ward__buf_free(&b.lines);
        ward__buf_free(&copy);
        ward__buf_free(&line);
        ward__trace_live_close(&l);
        return 0;
}

/* ward trace level PID [LEVEL]: show or set a running process's level. */
int cmd_trace_level(int argc, char **argv)
{
        static const char *const names[] = {"off", "error", "warn", "info", "debug", "verbose"};
        struct ward__trace_live l;
        char err[256];
        int pid = argc >= 2 ? parse_pid(argv[1]) : -1;
        int level = argc == 3 ? ward_trace_parse_level(argv[2]) : 0;
        if (pid < 0 || argc < 2 || argc > 3 || level < 0) {
                fprintf(stderr,
                        "usage: ward trace level PID [off|error|warn|info|debug|verbose]\n");
                return 2;
        }
        if (ward__trace_live_open(pid, argc == 3, &l, err, sizeof(err)) < 0) {
                fprintf(stderr, "ward trace level: %s\n", err);
                return 1;
        }
        struct ward__trace_shm *h = (struct ward__trace_shm *)(void *)l.map;
        if (argc == 3) {
                __atomic_store_n(&h->level, level, __ATOMIC_RELAXED);
        }
        int now = __atomic_load_n(&h->level, __ATOMIC_RELAXED);
        printf("%d %s\n", pid, now >= 0 && now <= 5 ? names[now] : "?");
        ward__trace_live_close(&l);
        return 0;
}
