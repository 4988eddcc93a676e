/* ward-bench-ipc: round-trip time of ward IPC against its floors (pipe, bare
 * cache-line spin, shared memory with copies) and its peers (zeromq, nng).
 *
 * Usage: ward bench ipc [--sizes LIST] [--runs N] [--mechanisms LIST] [--json]
 *                       [--quick] (--help tells more)
 *
 * Run r measures every mechanism at every size, sizes outer and mechanisms
 * inner, before run r+1 starts, so that machine noise hits all mechanisms
 * alike. Each cell gets fresh processes (cell.c). Reported per (mechanism,
 * size): the median over runs of each run's median and of each run's p99. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cell.h"
#include "progress.h"
#include "report.h"
#include "stats.h"

#define MAX_SIZES 32
#define MAX_SIZE (256u << 20)
#define MAX_RUNS 1000
#define MS 1000000ull
/* Time the cells of one run may take in all, for the time caps (cap_cell): 5
 * default runs must end within 3 minutes with room for forks and set-up. */
#define BUDGET_PER_RUN (30000 * MS)
#define QUICK_BUDGET_PER_RUN (10000 * MS)

static const struct mech *const all_mechs[] = {
    &mech_floor_pipe,         &mech_floor_spin, &mech_floor_shm,
    &mech_ward_block,         &mech_ward_spin,  &mech_ward_zerocopy_block,
    &mech_ward_zerocopy_spin, &mech_zeromq,     &mech_nng,
};
#define NMECHS (sizeof(all_mechs) / sizeof(all_mechs[0]))

struct opts {
        size_t sizes[MAX_SIZES];
        size_t nsizes;
        unsigned runs;
        int runs_set;
        int json;
        int quick;
        int use[NMECHS];
};

/* Per (mechanism, size): each run's median and p99, in nanoseconds. */
struct cell_log {
        double *med, *p99;
        unsigned n;
};

/* parse_size: bytes, with an optional k or m suffix (binary units). */
static int parse_size(const char *s, size_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || errno) {
                return -EINVAL;
        }
        if (*end == 'k' || *end == 'K') {
                v *= 1024u, end++;
        } else if (*end == 'm' || *end == 'M') {
                v *= 1024u * 1024u, end++;
        }
        if (*end || v == 0 || v > MAX_SIZE) {
                return -EINVAL;
        }
        *ret = (size_t)v;
        return 0;
}

static int parse_sizes(char *list, struct opts *o)
{
        o->nsizes = 0;
        for (char *save, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (o->nsizes == MAX_SIZES || parse_size(tok, &o->sizes[o->nsizes]) < 0) {
                        return -EINVAL;
                }
                o->nsizes++;
        }
        return o->nsizes ? 0 : -EINVAL;
}

static int parse_mechanisms(char *list, struct opts *o)
{
        memset(o->use, 0, sizeof(o->use));
        for (char *save, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                size_t i = 0;
                while (i < NMECHS && strcmp(all_mechs[i]->name, tok) != 0) {
                        i++;
                }
                if (i == NMECHS) {
                        return -EINVAL;
                }
                o->use[i] = 1;
        }
        return 0;
}

enum { OPT_SIZES = 1, OPT_RUNS, OPT_MECHANISMS, OPT_JSON, OPT_QUICK };

static const struct cli_command ipc_cmd = {
    .name = "bench ipc",
    .synopsis = "[--sizes=LIST] [--runs=N] [--mechanisms=LIST] [--json] [--quick]",
    .summary = "Round-trip time of ward IPC against its floors and its peers.",
    .description =
        "Run r measures every mechanism at every size before run r+1 starts, so that\n"
        "machine noise hits all alike; each cell gets fresh processes. Reported per\n"
        "mechanism and size: the median over runs of each run's median and p99.\n"
        "\n"
        "Mechanisms: floor-pipe, floor-spin, floor-shm (the floors), ward-block,\n"
        "ward-spin, ward-zerocopy-block, ward-zerocopy-spin, zeromq, nng. The spin rows\n"
        "need two idle CPUs.",
    .options =
        (const struct cli_option[]){
            {OPT_SIZES, "sizes", 0, "LIST",
             "payload sizes, with k or m suffixes (default 64,1024,8192,65536,1048576)"},
            {OPT_RUNS, "runs", 0, "N", "runs (default 5; 1 with --quick)"},
            {OPT_MECHANISMS, "mechanisms", 0, "LIST", "only these mechanisms (comma-separated)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the tables"},
            {OPT_QUICK, "quick", 0, NULL, "a tenth of the round trips (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench ipc --sizes 64,64k --mechanisms floor-pipe,ward-block",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, struct opts *o)
{
        static const size_t defaults[] = {64, 1024, 8192, 65536, 1048576};
        memcpy(o->sizes, defaults, sizeof(defaults));
        o->nsizes = sizeof(defaults) / sizeof(defaults[0]);
        o->runs = 5;
        for (size_t i = 0; i < NMECHS; i++) {
                o->use[i] = 1;
        }
        char list[1024];
        long runs;
        struct cli c;
        cli_init(&c, &ipc_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                snprintf(list, sizeof(list), "%s", c.value ? c.value : "");
                switch (r) {
                case OPT_JSON:
                        o->json = 1;
                        break;
                case OPT_QUICK:
                        o->quick = 1;
                        break;
                case OPT_SIZES:
                        if (parse_sizes(list, o) < 0) {
                                return cli_bad_value(&c, "--sizes", c.value,
                                                     "sizes in bytes, 1 to 256m, k and m "
                                                     "suffixes, comma-separated");
                        }
                        break;
                case OPT_RUNS:
                        if (bench_count(&c, "--runs", 1, MAX_RUNS, &runs) != 0) {
                                return CLI_USAGE;
                        }
                        o->runs = (unsigned)runs;
                        o->runs_set = 1;
                        break;
                case OPT_MECHANISMS:
                        if (parse_mechanisms(list, o) < 0) {
                                return cli_bad_value(&c, "--mechanisms", c.value,
                                                     "names from 'ward bench ipc --help', "
                                                     "comma-separated");
                        }
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if (o->quick && !o->runs_set) {
                o->runs = 1;
        }
        return -1;
}

/* Enough round trips that a run of everything takes a few seconds: small
 * payloads cost microseconds, a MiB costs hundreds of them. --quick does a
 * tenth. The time caps are set per cell by cap_cell(). */
static struct cell_params params_for(size_t size, int quick)
{
        unsigned iters = size <= 8192 ? 2000 : size <= 65536 ? 1000 : size <= (1u << 20) ? 200 : 50;
        struct cell_params p = {
            .iters = iters,
            .warmup = iters / 4 < 200 ? iters / 4 : 200,
        };
        if (quick) {
                p.iters = p.iters / 10 > 10 ? p.iters / 10 : 10;
                p.warmup = p.warmup / 10 > 5 ? p.warmup / 10 : 5;
        }
        return p;
}

static uint64_t clamp_ns(uint64_t v, uint64_t lo, uint64_t hi)
{
        return v < lo ? lo : v > hi ? hi : v;
}

/* cap_cell: the whole benchmark must end in bounded time even where round trips
 * are slow, e.g. spinning on a machine whose cores are busy with other work
 * (the spinning side then waits for a time slice). Each cell may use at most
 * its share of the time left, and never more than 3 s. */
static void cap_cell(struct cell_params *p, uint64_t deadline, unsigned cells_left)
{
        uint64_t now = now_ns();
        uint64_t share = deadline > now ? (deadline - now) / (cells_left ? cells_left : 1) : 0;
        p->warmup_cap_ns = clamp_ns(share / 4, 10 * MS, 1000 * MS);
        p->time_cap_ns = clamp_ns(share / 4 * 3, 20 * MS, 2000 * MS);
}

static int runs_here(const struct mech *m, size_t size)
{
        return !m->only_size || m->only_size == size;
}

static unsigned count_cells(const struct opts *o)
{
        unsigned n = 0;
        for (size_t s = 0; s < o->nsizes; s++) {
                for (size_t m = 0; m < NMECHS; m++) {
                        n += o->use[m] && runs_here(all_mechs[m], o->sizes[s]);
                }
        }
        return n * o->runs;
}

static void record(const struct opts *o, struct cell_log *log, size_t m, size_t s,
                   const struct cell_result *res)
{
        struct cell_log *l = &log[m * o->nsizes + s];
        l->med[l->n] = res->median_ns;
        l->p99[l->n++] = res->p99_ns;
        if (res->truncated) {
                bench_progress_done();
                fprintf(stderr, "ward-bench-ipc: %s at %zu B: time cap hit after %u round trips\n",
                        all_mechs[m]->name, o->sizes[s], res->samples);
        }
}

/* run_all: the schedule. Returns the number of cells that failed. */
static unsigned run_all(const struct opts *o, struct cell_log *log)
{
        unsigned cell = 0, failed = 0, cells = count_cells(o);
        uint64_t deadline = now_ns() + o->runs * (o->quick ? QUICK_BUDGET_PER_RUN : BUDGET_PER_RUN);
        for (unsigned run = 0; run < o->runs; run++) {
                for (size_t s = 0; s < o->nsizes; s++) {
                        struct cell_params p = params_for(o->sizes[s], o->quick);
                        for (size_t m = 0; m < NMECHS; m++) {
                                if (!o->use[m] || !runs_here(all_mechs[m], o->sizes[s])) {
                                        continue;
                                }
                                struct cell_result res;
                                char row[96];
                                snprintf(row, sizeof(row), "%s at %zu B", all_mechs[m]->name,
                                         o->sizes[s]);
                                bench_progress("ward bench ipc", row, run + 1, o->runs);
                                cap_cell(&p, deadline, cells - cell);
                                if (cell_run(all_mechs[m], o->sizes[s], cell++, &p, &res) < 0) {
                                        failed++;
                                        continue;
                                }
                                record(o, log, m, s, &res);
                        }
                }
        }
        bench_progress_done();
        return failed;
}

/* aggregate: rows in table order (size, then mechanism) for every cell that
 * produced at least one result. */
static size_t aggregate(const struct opts *o, struct cell_log *log, struct row *rows)
{
        size_t n = 0;
        for (size_t s = 0; s < o->nsizes; s++) {
                for (size_t m = 0; m < NMECHS; m++) {
                        struct cell_log *l = &log[m * o->nsizes + s];
                        if (!l->n) {
                                continue;
                        }
                        rows[n++] = (struct row){
                            .mechanism = all_mechs[m]->name,
                            .size = o->sizes[s],
                            .median_us = stats_median_double(l->med, l->n) / 1000,
                            .p99_us = stats_median_double(l->p99, l->n) / 1000,
                            .runs = l->n,
                        };
                }
        }
        return n;
}

/* warn_if_busy: the spinning rows need two otherwise idle CPUs; with fewer, a
 * spinner waits for a time slice and measures the scheduler instead. */
static void warn_if_busy(void)
{
        double load;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (getloadavg(&load, 1) == 1 && cpus > 0 && load + 2 > (double)cpus + 0.5) {
                fprintf(stderr,
                        "ward-bench-ipc: load average %.1f on %ld CPUs: the spin rows need two "
                        "idle CPUs and may measure the scheduler instead\n",
                        load, cpus);
        }
}

static void log_free(struct cell_log *log, size_t cells)
{
        for (size_t i = 0; log && i < cells; i++) {
                free(log[i].med);
                free(log[i].p99);
        }
        free(log);
}

static struct cell_log *log_new(size_t cells, unsigned runs)
{
        struct cell_log *log = calloc(cells, sizeof(*log));
        for (size_t i = 0; log && i < cells; i++) {
                log[i].med = calloc(runs, sizeof(double));
                log[i].p99 = calloc(runs, sizeof(double));
                if (!log[i].med || !log[i].p99) {
                        log_free(log, cells);
                        return NULL;
                }
        }
        return log;
}

int main(int argc, char **argv)
{
        struct opts o = {0};
        int r = parse_args(argc, argv, &o);
        if (r >= 0) {
                return r;
        }
        warn_if_busy();
        signal(SIGPIPE, SIG_IGN); /* a dead peer shows as EPIPE, not as a dead client */
        size_t cells = NMECHS * o.nsizes;
        struct cell_log *log = log_new(cells, o.runs);
        struct row *rows = calloc(cells, sizeof(*rows));
        if (!log || !rows) {
                fprintf(stderr, "ward-bench-ipc: out of memory\n");
                return 1;
        }
        unsigned failed = run_all(&o, log);
        size_t n = aggregate(&o, log, rows);
        if (o.json) {
                report_json(stdout, rows, n);
        } else {
                printf("ward-bench-ipc: round-trip time, median over %u run(s) of each run's "
                       "median and p99\n\n",
                       o.runs);
                report_table(stdout, rows, n);
                printf("\n");
                report_targets(stdout, rows, n);
        }
        if (failed) {
                fprintf(stderr, "ward-bench-ipc: %u cell(s) failed\n", failed);
        }
        log_free(log, cells);
        free(rows);
        return failed ? 1 : 0;
}
