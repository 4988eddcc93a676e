/* ward-bench-rpc (`ward bench rpc`): typed call round trips next to raw ward IPC
 * of the same payload, and short-circuit calls next to a direct function call
 * that does the same pack/unpack, all interleaved in one run. rpc-block-traced
 * is rpc-block with tracing on in both processes (to a temporary directory):
 * each call carries its trace context, client and server write their spans.
 *
 *   ward bench rpc [--sizes 64,1024,8192,65536,1048576] [--runs N] [--json] [--quick]
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

#include "../ipc/stats.h"
#include "args.h"
#include "calc-service.h"
#include "progress.h"
#include "rpc/arena.h"

#define MAX_SIZES 16
#define NMECH 5
#define TIMEOUT_NS 10000000000ull

enum { RPC_BLOCK, IPC_BLOCK, RPC_SHORTCIRCUIT, DIRECT, RPC_TRACED };

static const char *const mech_names[NMECH] = {"rpc-block", "ipc-block", "rpc-shortcircuit",
                                              "direct-packunpack", "rpc-block-traced"};

struct bench {
        size_t sizes[MAX_SIZES];
        int nsizes, runs, json, quick;
        ward_rpc_client *rpc, *local, *traced;
        ward_ipc_conn *ipc;
        uint8_t *payload, *sink, *scratch;
        double med[NMECH][MAX_SIZES][64];
};

/* ---- the server process: calc over RPC and a raw IPC echo ---- */

static void on_echo(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        uint8_t *copy = arg; /* copy out, as an application (and the RPC server) would */
        memcpy(copy, ward_ipc_msg_data(m), ward_ipc_msg_len(m));
        ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, copy, ward_ipc_msg_len(m));
}

static void on_term(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

/* trace_to: start tracing at INFO into dir (the name prefix says who). */
static int trace_to(const char *dir, const char *name)
{
        struct ward_trace_options t = {
            .size = sizeof(t), .level = WARD_TRACE_INFO, .dir = dir, .name = name};
        return ward_trace_start(&t);
}

/* serve: the server process; with trace_dir, tracing (the traced server). */
static int serve(const char *rpc_addr, const char *ipc_addr, const struct ward_ipc_options *o,
                 int ready, const char *trace_dir)
{
        ward_loop *loop;
        ward_rpc_server *rs;
        ward_ipc_server *is;
        uint8_t *copy = malloc(8u << 20);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (trace_dir && trace_to(trace_dir, "bench-rpc-server") < 0) {
                return 1;
        }
        if (!copy || ward_loop_new(&loop) < 0 ||
            ward_loop_add_signal(loop, SIGTERM, on_term, NULL, NULL) < 0 ||
            ward_rpc_server_new(loop, rpc_addr, o, &rs) < 0 ||
            ward_rpc_server_add(rs, &calc_service.base) < 0 ||
            ward_ipc_server_new(loop, ipc_addr, o, on_echo, copy, &is) < 0) {
                return 1;
        }
        if (write(ready, "!", 1) != 1) {
                return 1;
        }
        ward_loop_run(loop);
        ward_ipc_server_free(is);
        ward_rpc_server_free(rs);
        ward_loop_free(loop);
        free(copy);
        ward_trace_stop();
        return 0;
}

/* ---- one round trip of each mechanism ---- */

/* on_echo_reply: the closure of a typed call; the reply lives in the client's
 * per-call arena (reused, so a 1 MiB reply costs no page faults) until the
 * closure returns. */
static void on_echo_reply(const Calc__Blob *out, void *arg)
{
        size_t *len = arg;
        *len = out ? out->data.len : (size_t)-1;
}

/* rt_rpc: a typed call through the generated stub, as an application makes
 * it; without a loop the client completes it before the stub returns. */
static int rt_rpc(struct bench *b, ward_rpc_client *c, size_t size)
{
        Calc__Blob in = CALC__BLOB__INIT;
        size_t got = (size_t)-1;
        in.data.data = b->payload;
        in.data.len = size;
        calc__calculator__echo(ward_rpc_client_service(c), &in, on_echo_reply, &got);
        return got == size ? 0 : -1;
}

static int rt_ipc(struct bench *b, size_t size)
{
        const ward_ipc_msg *reply;
        int r = ward_ipc_call(b->ipc, b->payload, size, TIMEOUT_NS, &reply);
        if (r < 0 || ward_ipc_msg_len(reply) != size) {
                return -1;
        }
        memcpy(b->sink, ward_ipc_msg_data(reply), size);
        ward_ipc_msg_release(b->ipc, reply);
        return 0;
}

/* rt_direct: what a short-circuit call does, minus ward, written as well as one
 * would by hand: pack the request into a reused buffer, unpack it into a reused
 * arena, "handle" it, pack the reply and unpack it into a reused arena (as the
 * typed call's closure receives it). */
static int rt_direct(struct bench *b, size_t size)
{
        static struct ward__arena arena;
        static int ready;
        Calc__Blob in = CALC__BLOB__INIT;
        if (!ready) {
                ward__arena_init(&arena);
                ready = 1;
        }
        in.data.data = b->payload;
        in.data.len = size;
        size_t n = calc__blob__get_packed_size(&in);
        calc__blob__pack(&in, b->scratch);
        Calc__Blob *req = calc__blob__unpack(&arena.alloc, n, b->scratch);
        n = calc__blob__get_packed_size(req);
        calc__blob__pack(req, b->scratch);
        Calc__Blob *rep = calc__blob__unpack(&arena.alloc, n, b->scratch);
        int ok = rep && rep->data.len == size;
        ward__arena_reset(&arena);
        return ok ? 0 : -1;
}

static int round_trip(struct bench *b, int mech, size_t size)
{
        switch (mech) {
        case RPC_BLOCK:
                return rt_rpc(b, b->rpc, size);
        case IPC_BLOCK:
                return rt_ipc(b, size);
        case RPC_SHORTCIRCUIT:
                return rt_rpc(b, b->local, size);
        case RPC_TRACED:
                return rt_rpc(b, b->traced, size);
        default:
                return rt_direct(b, size);
        }
}

/* measure: the median round trip of one (mechanism, size) in this run. */
static int measure_at(struct bench *b, int mech, size_t size, double *ret_us);

/* measure: the median round trip of one (mechanism, size) in this run; this
 * process traces (level INFO) only for rpc-block-traced. */
static int measure(struct bench *b, int mech, size_t size, double *ret_us)
{
        ward_trace_set_level(mech == RPC_TRACED ? WARD_TRACE_INFO : WARD_TRACE_OFF);
        int r = measure_at(b, mech, size, ret_us);
        ward_trace_set_level(WARD_TRACE_OFF);
        return r;
}

static int measure_at(struct bench *b, int mech, size_t size, double *ret_us)
{
        int n = size >= (1u << 20) ? 100 : size >= 65536 ? 500 : 2000;
        n = b->quick ? n / 10 : n;
        uint64_t *t = malloc(sizeof(*t) * (size_t)n);
        for (int i = 0; i < n / 10 + 5; i++) {
                if (round_trip(b, mech, size) < 0) {
                        free(t);
                        return -1;
                }
        }
        for (int i = 0; i < n; i++) {
                uint64_t t0 = ward_now_ns();
                if (round_trip(b, mech, size) < 0) {
                        free(t);
                        return -1;
                }
                t[i] = ward_now_ns() - t0;
        }
        *ret_us = stats_median_u64(t, (size_t)n) / 1000.0;
        free(t);
        return 0;
}

static int parse_sizes(struct bench *b, const char *list)
{
        char *copy = strdup(list), *save = NULL;
        b->nsizes = 0;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                long v = atol(tok);
                if (v <= 0 || v > (8l << 20) || b->nsizes == MAX_SIZES) {
                        free(copy);
                        return -1;
                }
                b->sizes[b->nsizes++] = (size_t)v;
        }
        free(copy);
        return b->nsizes > 0 ? 0 : -1;
}

enum { OPT_SIZES = 1, OPT_RUNS, OPT_JSON, OPT_QUICK };

static const struct cli_command rpc_cmd = {
    .name = "bench rpc",
    .synopsis = "[--sizes=LIST] [--runs=N] [--json] [--quick]",
    .summary = "Typed calls against raw IPC; short-circuit calls against a direct call.",
    .description = "Rows, interleaved in each run: rpc-block (a typed call to another process),\n"
                   "ipc-block (raw ward IPC of the same payload), rpc-shortcircuit (a call to a\n"
                   "server in the same process), direct (the same pack and unpack as a function\n"
                   "call), rpc-block-traced (rpc-block with tracing on in both processes). Each\n"
                   "cell is the median over runs of each run's median round trip.",
    .options =
        (const struct cli_option[]){
            {OPT_SIZES, "sizes", 0, "LIST",
             "payload sizes in bytes, comma-separated (default 64,1024,8192,65536,1048576)"},
            {OPT_RUNS, "runs", 0, "N", "runs, 1 to 64 (default 5; 1 with --quick)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "fewer round trips and one run (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench rpc --sizes 64,65536 --runs 3",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(struct bench *b, int argc, char **argv)
{
        long runs = 0;
        struct cli c;
        parse_sizes(b, "64,1024,8192,65536,1048576");
        b->runs = 5;
        cli_init(&c, &rpc_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_SIZES:
                        if (parse_sizes(b, c.value) < 0) {
                                return cli_bad_value(&c, "--sizes", c.value,
                                                     "sizes in bytes, 1 to 8388608, "
                                                     "comma-separated, at most 16");
                        }
                        break;
                case OPT_RUNS:
                        if (bench_count(&c, "--runs", 1, 64, &runs) != 0) {
                                return CLI_USAGE;
                        }
                        break;
                case OPT_JSON:
                        b->json = 1;
                        break;
                case OPT_QUICK:
                        b->quick = 1;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        b->runs = runs ? (int)runs : b->quick ? 1 : 5;
        return -1;
}

static double median_over_runs(struct bench *b, int m, int s)
{
        double v[64];
        memcpy(v, b->med[m][s], sizeof(double) * (size_t)b->runs);
        return stats_median_double(v, (size_t)b->runs);
}

/* A target: num / den at each size, read as ratio <= limit. */
struct target {
        int num, den;
        double limit;
};

static const struct target targets[] = {
    {RPC_BLOCK, IPC_BLOCK, 1.2},
    {RPC_TRACED, RPC_BLOCK, 1.1},
    {RPC_SHORTCIRCUIT, DIRECT, 1.5},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static void report_json(struct bench *b)
{
        printf("{\"rows\":[");
        for (int m = 0, first = 1; m < NMECH; m++) {
                for (int s = 0; s < b->nsizes; s++, first = 0) {
                        printf("%s{\"mechanism\":\"%s\",\"size\":%zu,\"rtt_us_median\":%.3f,"
                               "\"runs\":%d}",
                               first ? "" : ",", mech_names[m], b->sizes[s],
                               median_over_runs(b, m, s), b->runs);
                }
        }
        printf("],\"targets\":[");
        for (size_t t = 0, first = 1; t < NTARGETS; t++) {
                for (int s = 0; s < b->nsizes; s++, first = 0) {
                        const struct target *g = &targets[t];
                        printf("%s{\"name\":\"%s / %s @ %zu B\",\"ratio\":%.3f,\"limit\":%.2f}",
                               first ? "" : ",", mech_names[g->num], mech_names[g->den],
                               b->sizes[s],
                               median_over_runs(b, g->num, s) / median_over_runs(b, g->den, s),
                               g->limit);
                }
        }
        printf("]}\n");
}

static void report(struct bench *b)
{
        if (b->json) {
                report_json(b);
                return;
        }
        printf("%10s %12s %12s %8s %12s %8s %18s %18s %8s\n", "size", "rpc-block", "ipc-block",
               "ratio", "rpc-traced", "ratio", "rpc-shortcircuit", "direct-packunpack", "ratio");
        for (int s = 0; s < b->nsizes; s++) {
                double v[NMECH];
                for (int m = 0; m < NMECH; m++) {
                        v[m] = median_over_runs(b, m, s);
                }
                printf("%10zu %10.2fus %10.2fus %7.2fx %10.2fus %7.2fx %16.2fus %16.2fus %7.2fx\n",
                       b->sizes[s], v[RPC_BLOCK], v[IPC_BLOCK], v[RPC_BLOCK] / v[IPC_BLOCK],
                       v[RPC_TRACED], v[RPC_TRACED] / v[RPC_BLOCK], v[RPC_SHORTCIRCUIT], v[DIRECT],
                       v[RPC_SHORTCIRCUIT] / v[DIRECT]);
        }
        printf("targets: rpc-block <= 1.2x ipc-block and rpc-block-traced <= 1.1x rpc-block at "
               "every size; rpc-shortcircuit <= 1.5x direct-packunpack (medians over %d runs)\n",
               b->runs);
}

static int connect_all(struct bench *b, const char *rpc_addr, const char *ipc_addr,
                       const char *local_addr, const char *traced_addr, ward_loop *loop,
                       ward_rpc_server **local_srv, const struct ward_ipc_options *o)
{
        if (ward_rpc_client_open(rpc_addr, &calc__calculator__descriptor, o, &b->rpc) < 0 ||
            ward_rpc_client_open(traced_addr, &calc__calculator__descriptor, o, &b->traced) < 0 ||
            ward_ipc_connect(ipc_addr, o, &b->ipc) < 0 ||
            ward_rpc_server_new(loop, local_addr, o, local_srv) < 0 ||
            ward_rpc_server_add(*local_srv, &calc_service.base) < 0 ||
            ward_rpc_client_open(local_addr, &calc__calculator__descriptor, o, &b->local) < 0) {
                return -1;
        }
        return 0;
}

static int run_all(struct bench *b)
{
        for (int r = 0; r < b->runs; r++) {
                for (int s = 0; s < b->nsizes; s++) {
                        for (int m = 0; m < NMECH; m++) {
                                char row[96];
                                snprintf(row, sizeof(row), "%s at %zu B", mech_names[m],
                                         b->sizes[s]);
                                bench_progress("ward bench rpc", row, (unsigned)r + 1,
                                               (unsigned)b->runs);
                                if (measure(b, m, b->sizes[s], &b->med[m][s][r]) < 0) {
                                        bench_progress_done();
                                        fprintf(stderr, "ward bench rpc: %s failed at %zu B\n",
                                                mech_names[m], b->sizes[s]);
                                        return -1;
                                }
                        }
                }
        }
        bench_progress_done();
        return 0;
}

/* start_server: fork a server process (traced into trace_dir when not NULL);
 * returns its pid once it listens, or -1. */
static pid_t start_server(const char *rpc_addr, const char *ipc_addr,
                          const struct ward_ipc_options *o, const char *trace_dir)
{
        int ready[2];
        char c;
        if (pipe(ready) < 0) {
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(ready[0]);
                _exit(serve(rpc_addr, ipc_addr, o, ready[1], trace_dir));
        }
        close(ready[1]);
        int ok = pid > 0 && read(ready[0], &c, 1) == 1;
        close(ready[0]);
        return ok ? pid : -1;
}

static void stop_server(pid_t pid)
{
        if (pid > 0) {
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
        }
}

/* remove_dir: the trace files of the run, then their directory. */
static void remove_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[512];
        while (d && (e = readdir(d))) {
                if (e->d_name[0] != '.') {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        }
        if (d) {
                closedir(d);
        }
        rmdir(dir);
}

int main(int argc, char **argv)
{
        static struct bench b;
        char rpc_addr[64], ipc_addr[64], local_addr[64], traced_addr[64], traced_ipc[64];
        char trace_dir[] = "/tmp/ward-bench-rpc-trace-XXXXXX";
        struct ward_ipc_options o;
        int rc = parse_args(&b, argc, argv);
        if (rc >= 0) {
                return rc;
        }
        ward_ipc_options_init(&o);
        o.wait = WARD_IPC_WAIT_BLOCK;
        o.pool_bytes = 16u << 20;
        snprintf(rpc_addr, sizeof(rpc_addr), "@ward-bench-rpc-%d", getpid());
        snprintf(ipc_addr, sizeof(ipc_addr), "@ward-bench-rpc-ipc-%d", getpid());
        snprintf(local_addr, sizeof(local_addr), "@ward-bench-rpc-local-%d", getpid());
        snprintf(traced_addr, sizeof(traced_addr), "@ward-bench-rpc-traced-%d", getpid());
        snprintf(traced_ipc, sizeof(traced_ipc), "@ward-bench-rpc-traced-ipc-%d", getpid());
        if (!mkdtemp(trace_dir)) {
                perror("ward bench rpc: mkdtemp");
                return 1;
        }
        pid_t pid = start_server(rpc_addr, ipc_addr, &o, NULL);
        pid_t traced_pid = start_server(traced_addr, traced_ipc, &o, trace_dir);
        b.payload = malloc(8u << 20);
        b.sink = malloc(8u << 20);
        b.scratch = malloc(9u << 20);
        memset(b.payload, 0x5a, 8u << 20);
        ward_loop *loop = NULL;
        ward_rpc_server *local_srv = NULL;
        /* this process traces too, its level off but for rpc-block-traced */
        int r = pid > 0 && traced_pid > 0 && trace_to(trace_dir, "bench-rpc-client") == 0 &&
                        ward_trace_set_level(WARD_TRACE_OFF) == 0 && ward_loop_new(&loop) >= 0
                    ? 0
                    : -1;
        if (r == 0) {
                r = connect_all(&b, rpc_addr, ipc_addr, local_addr, traced_addr, loop, &local_srv,
                                &o);
        }
        if (r == 0) {
                r = run_all(&b);
        }
        if (r == 0) {
                report(&b);
        } else {
                fprintf(stderr, "ward bench rpc: set-up or measurement failed\n");
        }
        ward_rpc_client_free(b.traced);
        ward_rpc_client_free(b.local);
        ward_rpc_client_free(b.rpc);
        ward_ipc_conn_close(b.ipc);
        ward_rpc_server_free(local_srv);
        ward_loop_free(loop);
        ward_trace_stop();
        stop_server(pid);
        stop_server(traced_pid);
        remove_dir(trace_dir);
        free(b.payload);
        free(b.sink);
        free(b.scratch);
        return r == 0 ? 0 : 1;
}
