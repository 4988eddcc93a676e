/* ward core [-o DIR] [--full] [--json] PID: an ELF core and a report of a
 * live process (a hung process's snapshot), which keeps running. Prints the
 * paths (or, with --json, the JSON report's path and the result as JSON).
 * Exit 2: bad usage, no such process or no permission to trace it (the
 * reason said); 1: the capture failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/core.h>
#include <ward/error.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

static void put_path(struct ward__buf *b, const char *key, const char *v)
{
        ward__buf_printf(b, ",\"%s\":", key);
        ward__json_put_string(b, v, strlen(v));
}

static void print_result(int pid, const struct ward_core_result *res, int json)
{
        if (json) {
                struct ward__buf b = {0};
                ward__buf_printf(&b, "{\"pid\":%d", pid);
                put_path(&b, "core", res->core);
                put_path(&b, "report", res->text);
                put_path(&b, "report_json", res->json);
                ward__buf_printf(&b, ",\"core_size\":%llu,\"threads\":%d}\n",
                                 (unsigned long long)res->core_size, res->threads);
                fwrite(b.p, 1, b.len, stdout);
                ward__buf_free(&b);
        } else {
                printf("core    %s (%llu bytes, %d threads)\nreport  %s\njson    %s\n", res->core,
                       (unsigned long long)res->core_size, res->threads, res->text, res->json);
        }
}

enum { OPT_DIR = 1, OPT_FULL, OPT_JSON };

static const struct cli_command core_cmd = {
    .name = "core",
    .synopsis = "[-o DIR] [--full] [--json] PID",
    .summary = "An ELF core and a report of a live process, which keeps running.",
    .description = "Writes DIR/core.PID.TIME, an ELF core that gdb and eu-stack read (registers,\n"
                   "stacks, ELF headers, the link_map chain; with --full the private writable\n"
                   "memory too), and its report beside it: CORE.txt and CORE.json, with every\n"
                   "thread's stack and build-ids, the modules, the last trace events and the\n"
                   "held ward locks. The process is stopped only while it is read. Prints the\n"
                   "paths.",
    .options =
        (const struct cli_option[]){
            {OPT_DIR, "output", 'o', "DIR", "where they go (default: the current directory)"},
            {OPT_FULL, "full", 0, NULL, "also the private writable memory"},
            {OPT_JSON, "json", 0, NULL, "the result as one JSON object"},
            {0},
        },
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
    .exit_status = "0  written\n"
                   "1  the capture failed (the reason is said)\n"
                   "2  bad usage, no such process, or no permission to trace it (why is said)\n",
    .examples = "ward core -o /tmp 4200\nward core --full --json 4200",
};

int cmd_core(int argc, char **argv)
{
        struct ward_core_options o = {.size = sizeof(o), .report = 1};
        int json = 0, pid = -1;
        struct cli c;
        cli_init(&c, &core_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_DIR:
                        o.dir = c.value;
                        break;
                case OPT_FULL:
                        o.full_core = 1;
                        break;
                case OPT_JSON:
                        json = c.json = 1;
                        break;
                case CLI_ARG:
                        if (cli_arg_pid(&c, &pid) != 0) {
                                return CLI_USAGE;
                        }
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        struct ward_core_result res;
        char err[512] = "";
        int r = ward_core_write(pid, &o, &res, err, sizeof(err));
        if (r == -ESRCH || r == -EPERM || r == -EACCES) {
                return cli_process_error(&c, pid, r);
        }
        if (r == -EBUSY) {
                return cli_error(&c, CLI_USAGE, "process %d is traced by a debugger already", pid);
        }
        if (r < 0 && o.dir && access(o.dir, W_OK) < 0) {
                return cli_file_error(&c, o.dir, -errno); /* -o DIR: no such directory */
        }
        if (r < 0) {
                return cli_error(&c, CLI_PROBLEM, "process %d: %s", pid,
                                 err[0] ? err : ward_strerror(r));
        }
        print_result(pid, &res, json);
        return CLI_OK;
}
