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

static void usage(void)
{
        fprintf(stderr, "usage: ward trace merge [-o OUT] [--json | --ctf DIR] FILE|DIR...\n");
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
                } else {
                        usage();
                        return 2;
                }
        }
        if (i == argc || (json && ctf)) {
                usage();
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
