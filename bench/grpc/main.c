/* ward-bench-grpc (`ward bench grpc`): a gRPC client of C core calling
 * calc.Calculator/Add through ward's bridge (the Calculator hosted by a
 * ward_rpc_server, served by ward_grpc_server_new, as `ward serve --grpc`
 * does), next to the same client calling a plain C-core server that answers
 * the same method itself. Each server is a process of its own; the calls
 * alternate between them, one at a time, so both see the same machine.
 * A third row calls the plain server through examples/calc's generated
 * stubs with a "grpc:127.0.0.1:PORT" address (ward_rpc_client_open), next
 * to the hand-written client's row.
 *
 *   ward bench grpc [--calls N] [--runs N] [--json] [--quick]
 *
 * With --json: {"rows":[...], "targets":[{"name", "ratio", "limit"}]}.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include <ward/grpc.h>
#include <ward/ward.h>

#include "../ipc/stats.h"
#include "args.h"
#include "calc-service.h"
#include "progress.h"
#include "rpc/remote.h"

#define MAX_RUNS 64
#define LIMIT_BRIDGE 1.3 /* bridge / plain C-core server, medians */
#define LIMIT_STUBS 1.1  /* the stubs with a grpc: address / the hand-written client */
#define ROWS 3

static const char *const names[ROWS] = {"grpc-ward-serve", "grpc-plain-server", "grpc-stubs"};

/* ---- the ward side: the Calculator behind the bridge ---- */

static ward_grpc_server *bridge;

static void stop_loop(void *loop)
{
        ward_loop_stop(loop);
}

static void on_term(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_grpc_server_shutdown(bridge, 1000000000ull, stop_loop, ward_source_get_loop(s));
}

static int serve_ward(int ready)
{
        ward_loop *loop;
        ward_rpc_server *srv;
        char addr[64];
        snprintf(addr, sizeof(addr), "@ward-bench-grpc-%d", getpid());
        if (ward_loop_new(&loop) < 0 ||
            ward_loop_add_signal(loop, SIGTERM, on_term, NULL, NULL) < 0 ||
            ward_rpc_server_new(loop, addr, NULL, &srv) < 0 ||
            ward_rpc_server_add(srv, &calc_service.base) < 0 ||
            ward_grpc_server_new(srv, "127.0.0.1:0", NULL, &bridge) < 0) {
                return 1;
        }
        int port = ward_grpc_server_port(bridge);
        if (write(ready, &port, sizeof(port)) != sizeof(port)) {
                return 1;
        }
        ward_loop_run(loop);
        bridge = ward_grpc_server_free(bridge);
        ward_rpc_server_free(srv);
        ward_loop_free(loop);
        return 0;
}

/* ---- the plain side: C core answering Add itself, one call at a time ---- */

/* next: the next event of cq for tag (the only one in flight). */
static int next_ok(grpc_completion_queue *cq)
{
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* answer_add: the reply to one Add request in req (NULL: not an Add). */
static grpc_byte_buffer *answer_add(grpc_byte_buffer *req)
{
        grpc_byte_buffer_reader r;
        if (!req || !grpc_byte_buffer_reader_init(&r, req)) {
                return NULL;
        }
        grpc_slice in = grpc_byte_buffer_reader_readall(&r);
        grpc_byte_buffer_reader_destroy(&r);
        Calc__BinaryOp *op =
            calc__binary_op__unpack(NULL, GRPC_SLICE_LENGTH(in), GRPC_SLICE_START_PTR(in));
        grpc_slice_unref(in);
        if (!op) {
                return NULL;
        }
        Calc__Result out = CALC__RESULT__INIT;
        uint8_t buf[32];
        out.value = op->a + op->b;
        calc__binary_op__free_unpacked(op, NULL);
        grpc_slice s =
            grpc_slice_from_copied_buffer((const char *)buf, calc__result__pack(&out, buf));
        grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        return bb;
}

static void serve_one(grpc_server *server, grpc_completion_queue *cq)
{
        grpc_call *call = NULL;
        grpc_call_details details;
        grpc_metadata_array md;
        grpc_byte_buffer *req = NULL, *reply;
        int cancelled = 0;
        grpc_call_details_init(&details);
        grpc_metadata_array_init(&md);
        grpc_server_request_call(server, &call, &details, &md, cq, cq, (void *)1);
        if (next_ok(cq)) {
                grpc_op ops[4];
                memset(ops, 0, sizeof(ops));
                ops[0].op = GRPC_OP_RECV_MESSAGE;
                ops[0].data.recv_message.recv_message = &req;
                grpc_call_start_batch(call, ops, 1, (void *)2, NULL);
                next_ok(cq);
                reply = answer_add(req);
                memset(ops, 0, sizeof(ops));
                ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
                ops[1].op = GRPC_OP_SEND_MESSAGE;
                ops[1].data.send_message.send_message = reply;
                ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
                ops[2].data.send_status_from_server.status =
                    reply ? GRPC_STATUS_OK : GRPC_STATUS_INVALID_ARGUMENT;
                ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
                ops[3].data.recv_close_on_server.cancelled = &cancelled;
                grpc_call_start_batch(call, reply ? ops : ops + 2, reply ? 4 : 2, (void *)3, NULL);
                next_ok(cq);
                if (reply) {
                        grpc_byte_buffer_destroy(reply);
                }
                if (req) {
                        grpc_byte_buffer_destroy(req);
                }
                grpc_call_unref(call);
        }
        grpc_call_details_destroy(&details);
        grpc_metadata_array_destroy(&md);
}

static int serve_plain(int ready)
{
        grpc_init();
        grpc_server *server = grpc_server_create(NULL, NULL);
        grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(server, cq, NULL);
        grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
        int port = grpc_server_add_http2_port(server, "127.0.0.1:0", creds);
        grpc_server_credentials_release(creds);
        grpc_server_start(server);
        if (port <= 0 || write(ready, &port, sizeof(port)) != sizeof(port)) {
                return 1;
        }
        for (;;) { /* until SIGTERM */
                serve_one(server, cq);
        }
}

/* start: fork a server (which), its port in *port. */
static pid_t start(int which, int *port)
{
        int p[2];
        if (pipe(p) < 0) {
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(p[0]);
                if (which == 0) {
                        sigset_t set;
                        sigemptyset(&set);
                        sigaddset(&set, SIGTERM);
                        sigprocmask(SIG_BLOCK, &set, NULL);
                }
                _exit(which == 0 ? serve_ward(p[1]) : serve_plain(p[1]));
        }
        close(p[1]);
        int ok = pid > 0 && read(p[0], port, sizeof(*port)) == sizeof(*port);
        close(p[0]);
        return ok ? pid : -1;
}

/* ---- the client ---- */

struct client {
        grpc_channel *ch;
        grpc_completion_queue *cq;
        grpc_slice method;
        grpc_slice req; /* a byte buffer is made of it for each call: sending consumes one */
};

static int client_open(struct client *c, int port)
{
        char target[64];
        snprintf(target, sizeof(target), "127.0.0.1:%d", port);
        grpc_channel_credentials *creds = grpc_insecure_credentials_create();
        c->ch = grpc_channel_create(target, creds, NULL);
        grpc_channel_credentials_release(creds);
        c->cq = grpc_completion_queue_create_for_next(NULL);
        c->method = grpc_slice_from_static_string("/calc.Calculator/Add");
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        uint8_t buf[32];
        op.a = 40;
        op.b = 2;
        c->req = grpc_slice_from_copied_buffer((const char *)buf, calc__binary_op__pack(&op, buf));
        return c->ch && c->cq ? 0 : -1;
}

/* call: one Add; 0 when the answer is 42. */
static int call(struct client *c)
{
        grpc_metadata_array init_md, trailing;
        grpc_byte_buffer *reply = NULL;
        grpc_status_code status = GRPC_STATUS_UNKNOWN;
        grpc_slice details;
        grpc_op ops[6];
        gpr_timespec deadline =
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(10, GPR_TIMESPAN));
        grpc_call *k = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
                                                c->method, NULL, deadline, NULL);
        grpc_metadata_array_init(&init_md);
        grpc_metadata_array_init(&trailing);
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        grpc_byte_buffer *req = grpc_raw_byte_buffer_create(&c->req, 1);
        ops[1].data.send_message.send_message = req;
        ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[3].data.recv_initial_metadata.recv_initial_metadata = &init_md;
        ops[4].op = GRPC_OP_RECV_MESSAGE;
        ops[4].data.recv_message.recv_message = &reply;
        ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
        ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
        ops[5].data.recv_status_on_client.status = &status;
        ops[5].data.recv_status_on_client.status_details = &details;
        int ok =
            grpc_call_start_batch(k, ops, 6, (void *)1, NULL) == GRPC_CALL_OK && next_ok(c->cq);
        int value = -1;
        if (ok && status == GRPC_STATUS_OK && reply) {
                grpc_byte_buffer_reader r;
                if (grpc_byte_buffer_reader_init(&r, reply)) {
                        grpc_slice in = grpc_byte_buffer_reader_readall(&r);
                        Calc__Result *res = calc__result__unpack(NULL, GRPC_SLICE_LENGTH(in),
                                                                 GRPC_SLICE_START_PTR(in));
                        value = res ? (int)res->value : -1;
                        if (res) {
                                calc__result__free_unpacked(res, NULL);
                        }
                        grpc_slice_unref(in);
                        grpc_byte_buffer_reader_destroy(&r);
                }
        }
        if (ok) {
                grpc_slice_unref(details);
        }
        if (reply) {
                grpc_byte_buffer_destroy(reply);
        }
        grpc_byte_buffer_destroy(req);
        grpc_metadata_array_destroy(&init_md);
        grpc_metadata_array_destroy(&trailing);
        grpc_call_unref(k);
        return value == 42 ? 0 : -1;
}

/* ---- the same stubs, with a grpc: address ---- */

static void on_result(const Calc__Result *res, void *closure_data)
{
        *(int64_t *)closure_data = res ? res->value : -1;
}

/* stubs_open: a ward client of the Calculator at grpc:127.0.0.1:port. The
 * transport is libward-grpc's, linked here statically (the reference pulls
 * it in; a program linking libward.so gets it by dlopen). */
static int stubs_open(ward_rpc_client **ret, int port)
{
        char address[64];
        if (!ward__grpc_client_ops()) {
                return -1;
        }
        snprintf(address, sizeof(address), "grpc:127.0.0.1:%d", port);
        if (ward_rpc_client_open(address, &calc__calculator__descriptor, NULL, ret) < 0) {
                return -1;
        }
        ward_rpc_client_set_timeout(*ret, 10000000000ull);
        return 0;
}

/* stubs_call: one Add through the generated stub; 0 when the answer is 42. */
static int stubs_call(ward_rpc_client *c)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        int64_t sum = 0;
        op.a = 40;
        op.b = 2;
        calc__calculator__add(ward_rpc_client_service(c), &op, on_result, &sum);
        return sum == 42 ? 0 : -1;
}

/* run: calls round trips to c; the median in microseconds, or -1. */
static double run(struct client *c, ward_rpc_client *stubs, int calls, uint64_t *lat)
{
        for (int i = 0; i < calls; i++) {
                uint64_t t0 = ward_now_ns();
                if ((stubs ? stubs_call(stubs) : call(c)) < 0) {
                        return -1;
                }
                lat[i] = ward_now_ns() - t0;
        }
        return stats_median_u64(lat, (size_t)calls) / 1000.0;
}

enum { OPT_CALLS = 1, OPT_RUNS, OPT_JSON, OPT_QUICK };

static const struct cli_command grpc_cmd = {
    .name = "bench grpc",
    .synopsis = "[--calls=N] [--runs=N] [--json] [--quick]",
    .summary = "A gRPC client calling through ward's bridge next to a plain gRPC server.",
    .description = "A gRPC C-core client calls calc.Calculator/Add (unary) on ward serve --grpc\n"
                   "and on a plain C-core server answering it, and through ward's generated\n"
                   "stubs over a grpc: address. Median round trip over runs.",
    .options =
        (const struct cli_option[]){
            {OPT_CALLS, "calls", 0, "N", "calls per run and row (default 2000; 200 with --quick)"},
            {OPT_RUNS, "runs", 0, "N", "runs (default 5; 3 with --quick)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "fewer calls and runs (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench grpc --calls 10000",
};

/* parse: -1 to go on, else the exit status (after --help or an error) */
static int parse(int argc, char **argv, int *calls, int *runs, int *json)
{
        struct bench_count_option counts[] = {
            {"calls", 1, 10000000, 2000, 200, 0},
            {"runs", 1, MAX_RUNS, 5, 3, 0},
            {0},
        };
        int rc = bench_parse(&grpc_cmd, argc, argv, counts, json, NULL);
        *calls = (int)counts[0].value;
        *runs = (int)counts[1].value;
        return rc;
}

static void report(const double med[ROWS], int calls, int runs, int json)
{
        double ratio = med[0] / med[1], stubs = med[2] / med[1];
        if (json) {
                printf("{\"rows\":[");
                for (int m = 0; m < ROWS; m++) {
                        printf("%s{\"mechanism\":\"%s\",\"size\":16,\"rtt_us_median\":%.2f,"
                               "\"runs\":%d,\"calls\":%d}",
                               m ? "," : "", names[m], med[m], runs, calls);
                }
                printf("],\"targets\":[{\"name\":\"grpc-ward-serve/grpc-plain-server\","
                       "\"ratio\":%.3f,\"limit\":%.1f},"
                       "{\"name\":\"grpc-stubs/grpc-plain-server\","
                       "\"ratio\":%.3f,\"limit\":%.1f}]}\n",
                       ratio, LIMIT_BRIDGE, stubs, LIMIT_STUBS);
                return;
        }
        printf("gRPC C-core client, unary calc.Calculator/Add, median of %d runs x %d calls\n",
               runs, calls);
        for (int m = 0; m < ROWS; m++) {
                printf("  %-20s %8.1f us\n", names[m], med[m]);
        }
        printf("  ward-serve / plain-server %.2f (target <= %.1f): %s\n", ratio, LIMIT_BRIDGE,
               ratio <= LIMIT_BRIDGE ? "ok" : "MISSED");
        printf("  stubs / hand-written client %.2f (target <= %.1f): %s\n", stubs, LIMIT_STUBS,
               stubs <= LIMIT_STUBS ? "ok" : "MISSED");
}

int main(int argc, char **argv)
{
        int calls = 2000, runs = 5, json = 0, port[2];
        pid_t pid[2] = {-1, -1};
        struct client c[2];
        ward_rpc_client *stubs = NULL;
        double per_run[ROWS][MAX_RUNS], med[ROWS];
        int rc = parse(argc, argv, &calls, &runs, &json);
        if (rc >= 0) {
                return rc;
        }
        uint64_t *lat = malloc(sizeof(*lat) * (size_t)calls);
        rc = lat ? 0 : 1;
        for (int m = 0; rc == 0 && m < 2; m++) {
                pid[m] = start(m, &port[m]);
                rc = pid[m] > 0 ? 0 : 1;
        }
        grpc_init();
        for (int m = 0; rc == 0 && m < 2; m++) {
                rc = client_open(&c[m], port[m]) == 0 && call(&c[m]) == 0 ? 0 : 1; /* warm */
        }
        if (rc == 0) {
                rc = stubs_open(&stubs, port[1]) == 0 && stubs_call(stubs) == 0 ? 0 : 1;
        }
        for (int r = 0; rc == 0 && r < runs; r++) {
                for (int m = 0; rc == 0 && m < ROWS; m++) {
                        bench_progress("ward bench grpc", names[m], (unsigned)r + 1,
                                       (unsigned)runs);
                        per_run[m][r] = run(&c[m < 2 ? m : 1], m == 2 ? stubs : NULL, calls, lat);
                        rc = per_run[m][r] < 0 ? 1 : 0;
                }
        }
        bench_progress_done();
        ward_rpc_client_free(stubs);
        if (rc == 0) {
                for (int m = 0; m < ROWS; m++) {
                        med[m] = stats_median_double(per_run[m], (size_t)runs);
                }
                report(med, calls, runs, json);
        } else {
                fprintf(stderr, "ward bench grpc: a server did not start or a call failed\n");
        }
        for (int m = 0; m < 2; m++) {
                if (pid[m] > 0) {
                        kill(pid[m], m == 0 ? SIGTERM : SIGKILL);
                        waitpid(pid[m], NULL, 0);
                }
        }
        free(lat);
        return rc;
}
