/* ward-bench-memory (`ward bench memory`): what hosting services in one process
 * saves. The two example services (examples/calc, examples/store) run first as
 * two processes (calc-server, store-server), then loaded into one `ward serve`.
 * Each setup gets the same clients and the same warm-up calls; its memory is the
 * sum of the PSS (proportional set size: each shared page divided among the
 * processes that map it, so nothing is counted twice system-wide) of its
 * processes, read from /proc/PID/smaps_rollup while the clients are connected.
 * The setups alternate within each run; the report gives medians over runs.
 *
 *   ward bench memory [--runs N] [--json]
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "calc.pb-c.h"
#include "progress.h"
#include "store.pb-c.h"

#define MAX_RUNS 64
#define MAX_CHILDREN 4
#define READY_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000
#define CALL_TIMEOUT_NS 1000000000ull
#define WARM_CALLS 64
#define WARM_KEYS 64
#define WARM_VALUE 256

enum { CALC, STORE, SEPARATE, COHOSTED, NSERIES };

struct bench {
        int runs, json;
        char calc_server[PATH_MAX], store_server[PATH_MAX], ward[PATH_MAX];
        char libcalc[PATH_MAX], libstore[PATH_MAX];
        double kb[NSERIES][MAX_RUNS]; /* PSS per run: calc-server, store-server, sums */
};

/* The servers this process started and has not reaped: killed on every error
 * path (and by PR_SET_PDEATHSIG should this process die first). */
static pid_t children[MAX_CHILDREN];
static int nchildren;

static void forget_child(pid_t pid)
{
        for (int i = 0; i < nchildren; i++) {
                if (children[i] == pid) {
                        children[i] = children[--nchildren];
                        return;
                }
        }
}

static void kill_children(void)
{
        while (nchildren > 0) {
                pid_t pid = children[--nchildren];
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}

/* spawn: start argv[0] with stdout on /dev/null (the servers announce
 * themselves there); stderr stays ours, for their errors. */
static pid_t spawn(char *const argv[])
{
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                fprintf(stderr, "ward bench memory: fork: %s\n", strerror(errno));
                return -1;
        }
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent) {
                        _exit(127);
                }
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                }
                execv(argv[0], argv);
                fprintf(stderr, "ward bench memory: %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        children[nchildren++] = pid;
        return pid;
}

static void describe_exit(const char *name, int status)
{
        if (WIFEXITED(status)) {
                fprintf(stderr, "ward bench memory: %s exited with status %d\n", name,
                        WEXITSTATUS(status));
        } else {
                fprintf(stderr, "ward bench memory: %s killed by signal %d\n", name,
                        WTERMSIG(status));
        }
}

/* exited: whether the child is gone already (then it is reaped and reported). */
static int exited(pid_t pid, const char *name)
{
        int status;
        if (waitpid(pid, &status, WNOHANG) != pid) {
                return 0;
        }
        forget_child(pid);
        describe_exit(name, status);
        return 1;
}

/* stop: SIGTERM, then the child must exit 0 within STOP_TIMEOUT_MS. */
static int stop(pid_t pid, const char *name)
{
        int status;
        kill(pid, SIGTERM);
        for (int ms = 0; ms < STOP_TIMEOUT_MS; ms += 10) {
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        forget_child(pid);
                        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                                return 0;
                        }
                        describe_exit(name, status);
                        return -1;
                }
                usleep(10000);
        }
        fprintf(stderr, "ward bench memory: %s did not stop within %d ms\n", name, STOP_TIMEOUT_MS);
        return -1;
}

/* ---- calls: a probe that proves a service answers, and the warm-up ---- */

static int call(ward_rpc_client *c, unsigned method, const ProtobufCMessage *in,
                ProtobufCMessage **ret_out)
{
        ProtobufCMessage *out = NULL;
        int s = ward_rpc_call(c, method, in, CALL_TIMEOUT_NS, &out);
        if (s < 0) {
                return -1;
        }
        if (ret_out) {
                *ret_out = out;
        } else {
                protobuf_c_message_free_unpacked(out, NULL);
        }
        return 0;
}

static int calc_add(ward_rpc_client *c, int64_t a, int64_t b)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out;
        op.a = a;
        op.b = b;
        if (call(c, 0 /* Add */, &op.base, &out) < 0) {
                return -1;
        }
        int ok = ((Calc__Result *)out)->value == a + b;
        protobuf_c_message_free_unpacked(out, NULL);
        return ok ? 0 : -1;
}

static int store_put(ward_rpc_client *c, const char *key, const uint8_t *value, size_t len)
{
        Store__Item item = STORE__ITEM__INIT;
        item.key = (char *)key;
        item.value.data = (uint8_t *)value;
        item.value.len = len;
        return call(c, 0 /* Put */, &item.base, NULL);
}

static int store_get(ward_rpc_client *c, const char *key, size_t len)
{
        Store__Key k = STORE__KEY__INIT;
        ProtobufCMessage *out;
        k.key = (char *)key;
        if (call(c, 1 /* Get */, &k.base, &out) < 0) {
                return -1;
        }
        int ok = ((Store__Item *)out)->value.len == len;
        protobuf_c_message_free_unpacked(out, NULL);
        return ok ? 0 : -1;
}

static int probe_calc(ward_rpc_client *c)
{
        return calc_add(c, 1, 2);
}

static int probe_store(ward_rpc_client *c)
{
        return store_put(c, "probe", (const uint8_t *)"1", 1);
}

/* warm_up: the same calls in both setups, so both hold the same data. */
static int warm_up(ward_rpc_client *calc, ward_rpc_client *store)
{
        uint8_t value[WARM_VALUE];
        char key[32];
        memset(value, 0x5a, sizeof(value));
        for (int i = 0; i < WARM_CALLS; i++) {
                if (calc_add(calc, i, 2 * i) < 0) {
                        return -1;
                }
        }
        for (int i = 0; i < WARM_KEYS; i++) {
                snprintf(key, sizeof(key), "key-%d", i);
                if (store_put(store, key, value, sizeof(value)) < 0) {
                        return -1;
                }
        }
        for (int i = 0; i < WARM_KEYS; i++) {
                snprintf(key, sizeof(key), "key-%d", i);
                if (store_get(store, key, sizeof(value)) < 0) {
                        return -1;
                }
        }
        return 0;
}

/* connect_ready: a client of desc at addr, once the server there answers a real
 * call (probe); fails when the server exits or READY_TIMEOUT_MS passes. */
static int connect_ready(pid_t pid, const char *name, const char *addr,
                         const ProtobufCServiceDescriptor *desc, int (*probe)(ward_rpc_client *),
                         ward_rpc_client **ret)
{
        for (int ms = 0; ms < READY_TIMEOUT_MS; ms += 10) {
                ward_rpc_client *c = NULL;
                if (ward_rpc_client_open(addr, desc, NULL, &c) == 0 && probe(c) == 0) {
                        *ret = c;
                        return 0;
                }
                ward_rpc_client_free(c);
                if (exited(pid, name)) {
                        return -1;
                }
                usleep(10000);
        }
        fprintf(stderr, "ward bench memory: %s did not answer %s on %s within %d ms\n", name,
                desc->name, addr, READY_TIMEOUT_MS);
        return -1;
}

/* ---- PSS ---- */

/* sum_pss: the sum of the "Pss:" lines of a smaps-style file, in kB. */
static long sum_pss(const char *path)
{
        FILE *f = fopen(path, "re");
        char line[512];
        long total = 0, kb;
        int found = 0;
        if (!f) {
                return -1;
        }
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "Pss: %ld kB", &kb) == 1) {
                        total += kb;
                        found = 1;
                }
        }
        fclose(f);
        return found ? total : -1;
}

/* read_pss: smaps_rollup (one line, Linux 4.14+), else the sum over smaps. */
static int read_pss(pid_t pid, const char *name, double *ret_kb)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
        long kb = sum_pss(path);
        if (kb < 0) {
                snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
                kb = sum_pss(path);
        }
        if (kb < 0) {
                fprintf(stderr, "ward bench memory: no PSS for %s (pid %d) in /proc: %s\n", name,
                        (int)pid, strerror(errno));
                return -1;
        }
        *ret_kb = (double)kb;
        return 0;
}

/* ---- the two setups ---- */

/* measure: connect to both services, warm them up, read the PSS of the server
 * processes (pids[0..n)), disconnect. */
static int measure(const pid_t *pids, const char *const *names, int n, const char *calc_addr,
                   const char *store_addr, double *ret_kb)
{
        ward_rpc_client *calc = NULL, *store = NULL;
        int r = connect_ready(pids[0], names[0], calc_addr, &calc__calculator__descriptor,
                              probe_calc, &calc);
        if (r == 0) {
                r = connect_ready(pids[n - 1], names[n - 1], store_addr, &store__store__descriptor,
                                  probe_store, &store);
        }
        if (r == 0 && (r = warm_up(calc, store)) < 0) {
                fprintf(stderr, "ward bench memory: a warm-up call failed\n");
        }
        for (int i = 0; i < n && r == 0; i++) {
                r = read_pss(pids[i], names[i], &ret_kb[i]);
        }
        ward_rpc_client_free(calc);
        ward_rpc_client_free(store);
        return r;
}

static int run_separate(struct bench *b, int run)
{
        static const char *const names[] = {"calc-server", "store-server"};
        char calc_addr[64], store_addr[64];
        double kb[2];
        pid_t pids[2];
        snprintf(calc_addr, sizeof(calc_addr), "@ward-bench-memory-%d-%d-calc", getpid(), run);
        snprintf(store_addr, sizeof(store_addr), "@ward-bench-memory-%d-%d-store", getpid(), run);
        char *calc_argv[] = {b->calc_server, calc_addr, NULL};
        char *store_argv[] = {b->store_server, store_addr, NULL};
        if ((pids[0] = spawn(calc_argv)) < 0 || (pids[1] = spawn(store_argv)) < 0 ||
            measure(pids, names, 2, calc_addr, store_addr, kb) < 0 || stop(pids[0], names[0]) < 0 ||
            stop(pids[1], names[1]) < 0) {
                return -1;
        }
        b->kb[CALC][run] = kb[0];
        b->kb[STORE][run] = kb[1];
        b->kb[SEPARATE][run] = kb[0] + kb[1];
        return 0;
}

static int run_cohosted(struct bench *b, int run)
{
        static const char *const names[] = {"ward serve"};
        char addr[64];
        pid_t pid;
        snprintf(addr, sizeof(addr), "@ward-bench-memory-%d-%d-serve", getpid(), run);
        char *argv[] = {b->ward,    "serve",  "--listen",  addr, "--load",
                        b->libcalc, "--load", b->libstore, NULL};
        if ((pid = spawn(argv)) < 0 ||
            measure(&pid, names, 1, addr, addr, &b->kb[COHOSTED][run]) < 0 ||
            stop(pid, names[0]) < 0) {
                return -1;
        }
        return 0;
}

/* ---- set-up and report ---- */

static int path_in(char *buf, const char *dir, const char *name)
{
        int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);
        return n > 0 && n < PATH_MAX ? 0 : -1;
}

/* find_programs: the servers, ward and the libraries, from the build tree the
 * benchmark sits in (bin/ and lib/). */
static int find_programs(struct bench *b)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
                fprintf(stderr, "ward bench memory: /proc/self/exe: %s\n", strerror(errno));
                return -1;
        }
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        if (path_in(b->calc_server, self, "calc-server") < 0 ||
            path_in(b->store_server, self, "store-server") < 0 ||
            path_in(b->ward, self, "ward") < 0 ||
            path_in(b->libcalc, self, "../lib/libcalc.so") < 0 ||
            path_in(b->libstore, self, "../lib/libstore.so") < 0) {
                fprintf(stderr, "ward bench memory: %s: path too long\n", self);
                return -1;
        }
        const char *need[] = {b->calc_server, b->store_server, b->ward, b->libcalc, b->libstore};
        for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
                if (access(need[i], i < 3 ? X_OK : R_OK) < 0) {
                        fprintf(stderr, "ward bench memory: %s: %s (build the examples first)\n",
                                need[i], strerror(errno));
                        return -1;
                }
        }
        return 0;
}

enum { OPT_RUNS = 1, OPT_JSON };

static const struct cli_command memory_cmd = {
    .name = "bench memory",
    .synopsis = "[--runs=N] [--json]",
    .summary = "Two services as two processes against both loaded into one ward serve, in PSS.",
    .description =
        "Starts calc-server and store-server (the examples), then ward serve with\n"
        "libcalc.so and libstore.so, calls each service once, and reads the PSS of the\n"
        "service processes from /proc/PID/smaps_rollup. The setups alternate within each\n"
        "run; the report gives medians over runs. Needs the examples built.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "runs (default 3)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench memory --runs 5",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(struct bench *b, int argc, char **argv)
{
        long runs;
        struct cli c;
        b->runs = 3;
        cli_init(&c, &memory_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_RUNS:
                        if (bench_count(&c, "--runs", 1, MAX_RUNS, &runs) != 0) {
                                return CLI_USAGE;
                        }
                        b->runs = (int)runs;
                        break;
                case OPT_JSON:
                        b->json = 1;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        return -1;
}

static double median(struct bench *b, int series)
{
        double v[MAX_RUNS];
        memcpy(v, b->kb[series], sizeof(double) * (size_t)b->runs);
        return stats_median_double(v, (size_t)b->runs);
}

static void report(struct bench *b)
{
        double calc = median(b, CALC), store = median(b, STORE);
        double sep = median(b, SEPARATE), co = median(b, COHOSTED);
        if (b->json) {
                printf("{\"separate_pss_kb\":%.0f,\"cohosted_pss_kb\":%.0f,\"saved_kb\":%.0f,"
                       "\"ratio\":%.3f,\"calc_server_pss_kb\":%.0f,\"store_server_pss_kb\":%.0f,"
                       "\"runs\":%d}\n",
                       sep, co, sep - co, co / sep, calc, store, b->runs);
                return;
        }
        printf("PSS of the service processes (calc + store), median of %d run%s:\n", b->runs,
               b->runs == 1 ? "" : "s");
        printf("  %-10s %-52s %7s\n", "setup", "processes", "PSS");
        printf("  %-10s %-52s %7.0f kB  (%.0f + %.0f)\n", "separate", "calc-server + store-server",
               sep, calc, store);
        printf("  %-10s %-52s %7.0f kB\n", "cohosted",
               "ward serve --load libcalc.so --load libstore.so", co);
        printf("  %-10s %-52s %7.0f kB  (cohosted / separate = %.2fx)\n", "saved", "", sep - co,
               co / sep);
}

int main(int argc, char **argv)
{
        static struct bench b;
        int rc = parse_args(&b, argc, argv);
        if (rc >= 0) {
                return rc;
        }
        if (find_programs(&b) < 0) {
                return 1;
        }
        for (int run = 0; run < b.runs; run++) {
                bench_progress("ward bench memory", NULL, (unsigned)run + 1, (unsigned)b.runs);
                if (run_separate(&b, run) < 0 || run_cohosted(&b, run) < 0) {
                        bench_progress_done();
                        fprintf(stderr, "ward bench memory: run %d failed\n", run + 1);
                        kill_children();
                        return 1;
                }
        }
        bench_progress_done();
        report(&b);
        return 0;
}
