/* ward core [-o DIR] [--full] [--json] PID: an ELF core and a report of a
 * live process (a hung process's snapshot), which keeps running. Prints the
 * paths (or, with --json, the JSON report's path and the result as JSON).
 * Exit 2: bad usage or no such process; 1: the capture failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/core.h>
#include <ward/error.h>

#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

static const char usage[] =
    "usage: ward core [-o DIR] [--full] [--json] PID\n"
    "  writes DIR/core.PID.TIME (an ELF core gdb and eu-stack read: registers,\n"
    "  stacks, ELF headers; --full: the writable memory too) and its report\n"
    "  (CORE.txt, CORE.json: stacks, modules, trace events, held ward locks)\n"
    "  -o DIR   where they go (default: the current directory)\n";

static void eperm_help(int pid)
{
        fprintf(stderr,
                "ward core: %d: ptrace is not permitted. It needs the same user (or\n"
                "  CAP_SYS_PTRACE); with kernel.yama.ptrace_scope=1 only a parent may trace\n"
                "  (run as root, or sysctl kernel.yama.ptrace_scope=0); in a container,\n"
                "  seccomp or a missing CAP_SYS_PTRACE forbids ptrace (docker run\n"
                "  --cap-add=SYS_PTRACE).\n",
                pid);
}

static void put_path(struct ward__buf *b, const char *key, const char *v)
{
        ward__buf_printf(b, ",\"%s\":", key);
        ward__json_put_string(b, v, strlen(v));
}

int cmd_core(int argc, char **argv)
{
        struct ward_core_options o = {.size = sizeof(o), .report = 1};
        int json = 0, pid = -1;
        for (int i = 1; i < argc; i++) {
                char *end;
                long v;
                if (strcmp(argv[i], "--json") == 0) {
                        json = 1;
                } else if (strcmp(argv[i], "--full") == 0) {
                        o.full_core = 1;
                } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        fputs(usage, stdout);
                        return 0;
                } else if (strcmp(argv[i], "-o") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(stderr, "ward core: -o needs a directory\n%s", usage);
                                return 2;
                        }
                        o.dir = argv[++i];
                } else if (pid < 0 && (v = strtol(argv[i], &end, 10)) > 0 && !*end && v < 1 << 22) {
                        pid = (int)v;
                } else {
                        fprintf(stderr, "ward core: '%s' is not a process id\n%s", argv[i], usage);
                        return 2;
                }
        }
        if (pid < 0) {
                fputs(usage, stderr);
                return 2;
        }
        struct ward_core_result res;
        char err[512];
        int r = ward_core_write(pid, &o, &res, err, sizeof(err));
        if (r == -ESRCH) {
                fprintf(stderr, "ward core: %d: no such process\n", pid);
                return 2;
        }
        if (r == -EPERM) {
                eperm_help(pid);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "ward core: %d: %s\n", pid, err[0] ? err : ward_strerror(r));
                return 1;
        }
        if (json) {
                struct ward__buf b = {0};
                ward__buf_printf(&b, "{\"pid\":%d", pid);
                put_path(&b, "core", res.core);
                put_path(&b, "report", res.text);
                put_path(&b, "report_json", res.json);
                ward__buf_printf(&b, ",\"core_size\":%llu,\"threads\":%d}\n",
                                 (unsigned long long)res.core_size, res.threads);
                fwrite(b.p, 1, b.len, stdout);
                ward__buf_free(&b);
        } else {
                printf("core    %s (%llu bytes, %d threads)\nreport  %s\njson    %s\n", res.core,
                       (unsigned long long)res.core_size, res.threads, res.text, res.json);
        }
        return 0;
}
