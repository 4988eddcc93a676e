/* ward symbolize REPORT --debug-dir DIR [--json]: a crash report (CORE.json)
 * from a machine without debug info, its frames named with the debug files
 * of DIR by build-id. Exit 2: bad usage (no report, no directory); 1: the
 * report cannot be read, or no frame's debug file was found. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ward/error.h>
#include <ward/symbolize.h>

#include "commands.h"

static const char usage[] =
    "usage: ward symbolize REPORT --debug-dir DIR [--json]\n"
    "  names the frames of REPORT (the CORE.json ward core or a guardian wrote)\n"
    "  by build-id: function and file:line from DIR/.build-id/NN/REST.debug\n"
    "  (objcopy --only-keep-debug), DIR/.build-id/NN/REST or a binary in DIR\n"
    "  --debug-dir DIR  where the debug files are\n"
    "  --json           the frames as JSON on stdout\n";

/* parse: the arguments; 0, or the exit status (help: -1 then 0). */
static int parse(int argc, char **argv, const char **report, const char **dir, int *json)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        fputs(usage, stdout);
                        return -1;
                } else if (strcmp(argv[i], "--json") == 0) {
                        *json = 1;
                } else if (strcmp(argv[i], "--debug-dir") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(stderr, "ward symbolize: --debug-dir needs a directory\n%s",
                                        usage);
                                return 2;
                        }
                        *dir = argv[++i];
                } else if (strncmp(argv[i], "--debug-dir=", 12) == 0) {
                        *dir = argv[i] + 12;
                } else if (argv[i][0] == '-' && argv[i][1]) {
                        fprintf(stderr, "ward symbolize: unknown option '%s'\n%s", argv[i], usage);
                        return 2;
                } else if (*report) {
                        fprintf(stderr, "ward symbolize: '%s': one report at a time\n%s", argv[i],
                                usage);
                        return 2;
                } else {
                        *report = argv[i];
                }
        }
        if (!*report || !*dir) {
                fprintf(stderr, "ward symbolize: %s\n%s",
                        *report ? "--debug-dir DIR is needed" : "which report? name its file",
                        usage);
                return 2;
        }
        return 0;
}

int cmd_symbolize(int argc, char **argv)
{
        const char *report = NULL, *dir = NULL;
        int json = 0;
        int r = parse(argc, argv, &report, &dir, &json);
        if (r != 0) {
                return r < 0 ? 0 : r;
        }
        struct ward_symbolize_result res;
        char err[512];
        FILE *devnull = json ? fopen("/dev/null", "we") : NULL;
        if (json && !devnull) {
                fprintf(stderr, "ward symbolize: /dev/null: %s\n", strerror(errno));
                return 1;
        }
        r = ward_symbolize_report(report, dir, json ? devnull : stdout, json ? stdout : NULL, &res,
                                  err, sizeof(err));
        if (devnull) {
                fclose(devnull);
        }
        if (r == -ENOTDIR || (r == -ENOENT && strncmp(err, dir, strlen(dir)) == 0)) {
                fprintf(stderr, "ward symbolize: --debug-dir %s\n", err);
                return 2;
        }
        if (r < 0) {
                fprintf(stderr, "ward symbolize: %s\n", err[0] ? err : ward_strerror(r));
                return r == -ENOENT ? 2 : 1; /* nothing to look at, as everywhere in ward */
        }
        if (res.with_id > 0 && res.found == 0) {
                fprintf(stderr,
                        "ward symbolize: no debug file in %s matches a build-id of %s;\n"
                        "  place them as DIR/.build-id/NN/REST.debug (see ward symbolize --help)\n",
                        dir, report);
                return 1;
        }
        return 0;
}
