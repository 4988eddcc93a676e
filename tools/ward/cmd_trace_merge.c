/* ward trace merge [-o OUT] [--json | --ctf DIR] FILES...|DIRS...: the trace
 * files of many threads and processes, merged by time, as text (the seed's
 * `<ns>-<tid> : message` lines), Chrome/Perfetto JSON, or CTF. */
#include <stdio.h>
#include <string.h>

#include <ward/trace-read.h>

#include "commands.h"

static void on_error(void *arg, const char *message)
{
        (void)arg;
        fprintf(stderr, "ward trace merge: %s\n", message);
}

static void usage(FILE *f)
{
        fprintf(f, "usage: ward trace merge [-o OUT] [--json | --ctf DIR] FILE|DIR...\n");
}

static void help(void)
{
        usage(stdout);
        fputs("\nMerge trace files (a directory: its *.trace.* files) by time, as text lines,\n"
              "Chrome/Perfetto JSON (--json: RPC calls joined to their handlers by flow\n"
              "events) or CTF (--ctf DIR). Files of one host stay on its CLOCK_MONOTONIC;\n"
              "files of several hosts (boot ids) are aligned by their CLOCK_REALTIME anchors,\n"
              "and the output says so. Exit status: 0, 1 when a file could not be read.\n",
              stdout);
}

int cmd_trace_merge(int argc, char **argv)
{
        const char *out_path = NULL, *ctf = NULL;
        int json = 0, i = 1;
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
                        out_path = argv[++i];
                } else if (strcmp(argv[i], "--json") == 0) {
                        json = 1;
                } else if (strcmp(argv[i], "--ctf") == 0 && i + 1 < argc) {
                        ctf = argv[++i];
                } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        help();
                        return 0;
                } else {
                        fprintf(stderr,
                                "ward trace merge: unknown option or missing value: '%s' (see "
                                "ward trace merge --help)\n",
                                argv[i]);
                        return 2;
                }
        }
        if (i == argc || (json && ctf)) {
                fprintf(stderr, "ward trace merge: %s\n",
                        i == argc ? "no trace file or directory given"
                                  : "--json and --ctf exclude each other");
                usage(stderr);
                return 2;
        }
        ward_trace_merge *m;
        if (ward_trace_merge_open(argv + i, argc - i, on_error, NULL, &m) < 0) {
                fprintf(stderr, "ward trace merge: no trace file could be read\n");
                return 1;
        }
        FILE *out = out_path ? fopen(out_path, "we") : stdout;
        int r = 0;
        if (!out) {
                perror(out_path);
                r = -1;
        } else if (ctf) {
                r = ward_trace_merge_write_ctf(m, ctf);
        } else if (json) {
                r = ward_trace_merge_write_chrome(m, out);
        } else {
                r = ward_trace_merge_write_text(m, out);
        }
        if (out && out != stdout && fclose(out) != 0) {
                r = -1;
        }
        int errors = ward_trace_merge_errors(m);
        ward_trace_merge_close(m);
        return r < 0 || errors ? 1 : 0;
}
