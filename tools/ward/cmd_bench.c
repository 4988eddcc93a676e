/* ward bench NAME [options]: run the benchmark program ward-bench-NAME that
 * sits next to the ward binary (benchmarks link peers such as libzmq that
 * ward itself never links). `ward bench --help` lists them; each one's
 * --help tells its options. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

/* run_benchmark: exec ward-bench-NAME with the arguments (argv[0] NAME);
 * CLI_USAGE when it is not there (a build without the benchmarks) */
static int run_benchmark(int argc, char **argv)
{
        char prog[64], why[512];
        struct cli_command cmd = {.name = "bench"};
        struct cli c;
        cli_init(&c, &cmd, argc, argv);
        snprintf(prog, sizeof(prog), "ward-bench-%s", argv[0]);
        exec_sibling(prog, argv, why, sizeof(why));
        return cli_error(&c, CLI_USAGE,
                         "cannot run benchmark '%s': %s (built with -DWARD_BENCH=ON?)", argv[0],
                         why);
}

static const struct cli_subcommand benchmarks[] = {
    {"ipc", "IPC round trips of ward against pipes, shared memory, ZeroMQ and nng", run_benchmark},
    {"rpc", "typed calls against raw IPC; short-circuit against a direct pack/unpack",
     run_benchmark},
    {"memory", "two services as two processes against both in one ward serve (PSS)", run_benchmark},
    {"trace", "the cost of a trace event next to fprintf and LTTng-UST", run_benchmark},
    {"locks", "instrumented locks against pthread; ward locks against eu-stack", run_benchmark},
    {"proc", "ward ps and the process tools next to procps and psutil", run_benchmark},
    {"proc-watch", "exit-to-event latency of ward_watch next to a bare pidfd", run_benchmark},
    {"proc-stack", "ward stack, stopping and live, against eu-stack", run_benchmark},
    {"guard", "the guardian's capture of a process next to gdb's gcore; restarts", run_benchmark},
    {"grpc", "a gRPC client calling through ward's bridge next to a plain gRPC server",
     run_benchmark},
    {0},
};

int cmd_bench(int argc, char **argv)
{
        return cli_dispatch("bench", "Run one of ward's benchmarks (numbers for people to read).",
                            benchmarks, argc, argv);
}
