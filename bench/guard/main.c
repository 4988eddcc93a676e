/* ward-bench-guard (`ward bench guard`): the capture of a live process next
 * to gdb's gcore on the same process, in one run, medians over runs:
 *   a 4-thread process with a 50 MB heap (touched); ward_core_write's time
 *   and core size against `gcore`'s. Targets: ward's time <= 0.05x gcore's,
 *   its core <= 0.02x gcore's.
 *   a guarded worker's crash to its restarted main() under ward_guardian_run
 *   (no back-off), the capture inside it, and a bare spawn of the same
 *   program to its main(). Target: crash-to-main <= 1.5x the bare spawn plus
 *   the capture, read per cycle as (the CRASHED event to the new main()) /
 *   bare <= 1.5.
 *
 *   ward bench guard [--runs N] [--json] [--quick]
 *
 * --json prints {"rows":[...],"targets":[{"name","ratio","limit"}]}, every
 * target read as ratio <= limit. No timing assertions anywhere: the numbers
 * are for people to read. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/core.h>
#include <ward/error.h>

#include "../common/target.h"
#include "../ipc/stats.h"
#include "args.h"
#include "progress.h"
#include "restart.h"

#define MAX_RUNS 32
#define HEAP (50u << 20)

enum { WARD_ROW, GCORE_ROW, ROWS };

static void *idle(void *arg)
{
        (void)arg;
        for (;;) {
                pause();
        }
        return NULL;
}

/* start_target: 4 threads (3 in pause), 50 MB of touched heap */
static pid_t start_target(void)
{
        int ready[2];
        char c = 0;
        if (pipe(ready) < 0) {
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                char *heap = malloc(HEAP);
                pthread_t t;
                if (!heap) {
                        _exit(1);
                }
                memset(heap, 0x5a, HEAP);
                for (int i = 0; i < 3; i++) {
                        pthread_create(&t, NULL, idle, NULL);
                }
                (void)!write(ready[1], &c, 1);
                idle(heap);
        }
        close(ready[1]);
        if (pid < 0 || read(ready[0], &c, 1) != 1) {
                pid = -1;
        }
        close(ready[0]);
        return pid;
}

static long long file_size(const char *path)
{
        struct stat sb;
        return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static double median(double *v, int n)
{
        double ok[MAX_RUNS];
        int k = 0;
        for (int i = 0; i < n; i++) {
                if (v[i] >= 0) {
                        ok[k++] = v[i];
                }
        }
        return k ? stats_median_double(ok, (size_t)k) : -1;
}

enum { OPT_RUNS = 1, OPT_JSON, OPT_QUICK };

static const struct cli_command guard_cmd = {
    .name = "bench guard",
    .synopsis = "[--runs=N] [--json] [--quick]",
    .summary = "The guardian's capture of a process next to gdb's gcore; restarts.",
    .description = "Rows: ward-core (ward_core_write of a 4-thread process with a 50 MB heap)\n"
                   "next to gcore on the same process, time and size; then a guarded worker's\n"
                   "crash to its restarted main(), with and without the capture in between.\n"
                   "Medians over runs.",
    .options =
        (const struct cli_option[]){
            {OPT_RUNS, "runs", 0, "N", "runs, 1 to 32 (default 5; 1 with --quick)"},
            {OPT_JSON, "json", 0, NULL, "one JSON object on stdout instead of the table"},
            {OPT_QUICK, "quick", 0, NULL, "one run (a smoke test)"},
            {0},
        },
    .exit_status = BENCH_EXIT_STATUS,
    .examples = "ward bench guard --runs 9",
};

/* parse_args: -1 to go on, else the exit status (after --help or an error) */
static int parse_args(int argc, char **argv, int *runs, int *json)
{
        struct bench_count_option counts[] = {{"runs", 1, MAX_RUNS, 5, 1, 0}, {0}};
        int rc = bench_parse(&guard_cmd, argc, argv, counts, json, NULL);
        *runs = (int)counts[0].value;
        return rc;
}

int main(int argc, char **argv)
{
        int runs = 5, json = 0;
        int rc = parse_args(argc, argv, &runs, &json);
        if (rc >= 0) {
                return rc;
        }
        char dir[] = "/tmp/ward-bench-guard-XXXXXX", cmd[512], path[256];
        pid_t pid = start_target();
        if (!mkdtemp(dir) || pid < 0) {
                fprintf(stderr, "ward bench guard: cannot start the target\n");
                return 1;
        }
        int have_gcore = system("command -v gcore >/dev/null 2>&1") == 0;
        double ms[ROWS][MAX_RUNS], bytes[ROWS][MAX_RUNS];
        for (int run = 0; run < runs; run++) {
                struct ward_core_options o = {.size = sizeof(o), .dir = dir};
                struct ward_core_result res;
                char err[256];
                bench_progress("ward bench guard", "ward-core and gcore", (unsigned)run + 1,
                               (unsigned)runs);
                double t0 = bench_now_ms();
                int r = ward_core_write(pid, &o, &res, err, sizeof(err));
                ms[WARD_ROW][run] = bench_now_ms() - t0;
                if (r < 0) {
                        bench_progress_done();
                        fprintf(stderr, "ward bench guard: %s: %s\n", ward_strerror(r), err);
                        kill(pid, SIGKILL);
                        return 1;
                }
                bytes[WARD_ROW][run] = (double)res.core_size;
                unlink(res.core);
                ms[GCORE_ROW][run] = bytes[GCORE_ROW][run] = -1;
                if (have_gcore) {
                        snprintf(cmd, sizeof(cmd), "gcore -o %s/gcore %d >/dev/null 2>&1", dir,
                                 (int)pid);
                        snprintf(path, sizeof(path), "%s/gcore.%d", dir, (int)pid);
                        t0 = bench_now_ms();
                        int st = system(cmd);
                        double t = bench_now_ms() - t0;
                        long long size = file_size(path);
                        if (st == 0 && size > 0) {
                                ms[GCORE_ROW][run] = t;
                                bytes[GCORE_ROW][run] = (double)size;
                        }
                        unlink(path);
                }
        }
        bench_progress_done();
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        struct restart_rows rr;
        if (restart_measure(runs < 3 ? 3 : runs * 2, dir, &rr) < 0) {
                return 1;
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void)!system(cmd);
        double restart_ratio = rr.bare > 0 ? rr.after_capture / rr.bare : -1;

        static const char *const names[ROWS] = {"ward-core", "gcore"};
        double m[ROWS], b[ROWS];
        for (int r = 0; r < ROWS; r++) {
                m[r] = median(ms[r], runs);
                b[r] = median(bytes[r], runs);
        }
        double time_ratio = m[GCORE_ROW] > 0 ? m[WARD_ROW] / m[GCORE_ROW] : -1;
        double size_ratio = b[GCORE_ROW] > 0 ? b[WARD_ROW] / b[GCORE_ROW] : -1;
        if (json) {
                printf("{\"runs\":%d,\"rows\":[", runs);
                for (int r = 0; r < ROWS; r++) {
                        printf("%s{\"name\":\"%s\",\"ms\":%.3f,\"bytes\":%.0f}", r ? "," : "",
                               names[r], m[r], b[r]);
                }
                printf(",{\"name\":\"crash-to-main\",\"ms\":%.3f},{\"name\":\"capture-in-restart\","
                       "\"ms\":%.3f},{\"name\":\"restart-after-capture\",\"ms\":%.3f},"
                       "{\"name\":\"bare-spawn\",\"ms\":%.3f}",
                       rr.crash_to_main, rr.capture, rr.after_capture, rr.bare);
                printf("],\"targets\":[{\"name\":\"ward-core/gcore time\",\"ratio\":%.4f,"
                       "\"limit\":0.05},{\"name\":\"ward-core/gcore size\",\"ratio\":%.4f,"
                       "\"limit\":0.02},{\"name\":\"restart-after-capture/bare-spawn\","
                       "\"ratio\":%.4f,\"limit\":1.5}]}\n",
                       time_ratio, size_ratio, restart_ratio);
                return 0;
        }
        printf("ward bench guard: a 4-thread process with a 50 MB heap, median of %d runs\n", runs);
        for (int r = 0; r < ROWS; r++) {
                printf("  %-10s %9.2f ms %12.0f bytes\n", names[r], m[r], b[r]);
        }
        printf("  %-10s %9.2f ms  (a crash to the restarted worker's main, no back-off)\n",
               "crash-to-main", rr.crash_to_main);
        printf("  %-10s %9.2f ms  (the capture within it)\n", "capture", rr.capture);
        printf("  %-10s %9.2f ms  (the rest: the capture's end to the new main)\n", "after-capture",
               rr.after_capture);
        printf("  %-10s %9.2f ms  (a bare spawn of the same program to its main)\n", "bare-spawn",
               rr.bare);
        printf("targets (ratios of medians in this run):\n");
        printf("  time ward-core / gcore   %.4fx  (target <= 0.05x)  %s\n", time_ratio,
               time_ratio >= 0 && time_ratio <= 0.05 ? "met" : "NOT met");
        printf("  size ward-core / gcore   %.4fx  (target <= 0.02x)  %s\n", size_ratio,
               size_ratio >= 0 && size_ratio <= 0.02 ? "met" : "NOT met");
        printf("  after-capture / bare-spawn   %.4fx  (target <= 1.5x)  %s\n", restart_ratio,
               restart_ratio >= 0 && restart_ratio <= 1.5 ? "met" : "NOT met");
        return 0;
}
