/* ward symbolize --debug-dir DIR [--json] REPORT: a crash report (CORE.json)
 * from a machine without debug info, its frames named with the debug files
 * of DIR by build-id. Exit 2: bad usage (no report, no directory); 1: the
 * report cannot be read, or no frame's debug file was found. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ward/error.h>
#include <ward/symbolize.h>

#include "cli.h"
#include "commands.h"

enum { OPT_DEBUG_DIR = 1, OPT_JSON };

static const struct cli_command symbolize_cmd = {
    .name = "symbolize",
    .synopsis = "--debug-dir=DIR [--json] REPORT",
    .summary = "Name the frames of a crash report by build-id, with separate debug files.",
    .description = "REPORT is the CORE.json that ward core or a guardian wrote, maybe on a\n"
                   "machine without debug info. Each frame's function and file:line are looked\n"
                   "up by the build-id of its module in DIR: DIR/.build-id/NN/REST.debug (as\n"
                   "objcopy --only-keep-debug makes them and /usr/lib/debug holds them),\n"
                   "DIR/.build-id/NN/REST, or a binary in DIR. Prints the report's stacks with\n"
                   "the names found.",
    .options =
        (const struct cli_option[]){
            {OPT_DEBUG_DIR, "debug-dir", 0, "DIR", "where the debug files are (needed)"},
            {OPT_JSON, "json", 0, NULL, "the frames as one JSON object"},
            {0},
        },
    .args = "REPORT",
    .min_args = 1,
    .max_args = 1,
    .exit_status = "0  symbolized\n"
                   "1  REPORT is not a ward report, or no debug file in DIR matched\n"
                   "2  bad usage, no such REPORT or DIR\n",
    .examples = "ward symbolize --debug-dir=/usr/lib/debug /var/crash/core.4200.CORE.json",
};

/* symbolize: the report to stdout, as text or JSON; 0, or the exit status */
static int symbolize(const struct cli *c, const char *report, const char *dir, int json)
{
        struct ward_symbolize_result res;
        char err[512] = "";
        FILE *devnull = json ? fopen("/dev/null", "we") : NULL;
        if (json && !devnull) {
                return cli_file_error(c, "/dev/null", -errno);
        }
        int r = ward_symbolize_report(report, dir, json ? devnull : stdout, json ? stdout : NULL,
                                      &res, err, sizeof(err));
        if (devnull) {
                fclose(devnull);
        }
        if (r == -ENOTDIR || (r == -ENOENT && strncmp(err, dir, strlen(dir)) == 0)) {
                return cli_error(c, CLI_USAGE, "--debug-dir %s", err);
        }
        if (r < 0) {
                /* a missing report: nothing to look at, as everywhere in ward */
                return cli_error(c, r == -ENOENT ? CLI_USAGE : CLI_PROBLEM, "%s",
                                 err[0] ? err : ward_strerror(r));
        }
        if (res.with_id > 0 && res.found == 0) {
                return cli_error(c, CLI_PROBLEM,
                                 "no debug file in %s matches a build-id of %s; place them as "
                                 "DIR/.build-id/NN/REST.debug (see 'ward symbolize --help')",
                                 dir, report);
        }
        return CLI_OK;
}

int cmd_symbolize(int argc, char **argv)
{
        const char *report = NULL, *dir = NULL;
        int json = 0;
        struct cli c;
        cli_init(&c, &symbolize_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_DEBUG_DIR:
                        dir = c.value;
                        break;
                case OPT_JSON:
                        json = c.json = 1;
                        break;
                case CLI_ARG:
                        report = c.value;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if (!dir) {
                return cli_usage_error(&c, "--debug-dir DIR is needed: where the debug files are");
        }
        return symbolize(&c, report, dir, json);
}
