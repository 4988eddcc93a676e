/* fuzz-cli-args: the ward command's option parser (tools/common/cli.c) on
 * any argument vector: never reads past argv, never crashes, and what it
 * returns is one of its documented results. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_FLAG = 1, OPT_VALUE, OPT_SHORT, OPT_JSON, OPT_DIGIT };

static const struct cli_option plain_options[] = {
    {OPT_FLAG, "flag", 'f', NULL, "a flag"},
    {OPT_VALUE, "value", 'v', "V", "takes a value"},
    {OPT_SHORT, NULL, 's', "S", "short only"},
    {OPT_JSON, "json", 0, NULL, "json"},
    {0},
};

static const struct cli_option digit_options[] = {
    {OPT_DIGIT, NULL, '1', NULL, "a digit letter"},
    {OPT_VALUE, "value", 'v', "V", "takes a value"},
    {0},
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        if (!freopen("/dev/null", "w", stdout)) { /* help text; errors stay on stderr */
                abort();
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1 || size > 4096) {
                return 0;
        }
        struct cli_command cmd = {
            .name = "fuzz",
            .synopsis = "[options] ARGS",
            .summary = "fuzzing",
            .options = data[0] & 1 ? digit_options : plain_options,
            .args = "ARGS",
            .min_args = data[0] >> 1 & 3,
            .max_args = (data[0] >> 3 & 3) == 3 ? -1 : data[0] >> 3 & 3,
            .flags = data[0] & 0x20 ? CLI_REST_ARE_ARGS : 0,
        };
        char *copy = malloc(size);
        char *argv[66] = {"fuzz"};
        int argc = 1;
        memcpy(copy, data + 1, size - 1);
        copy[size - 1] = '\0';
        for (char *p = copy; argc < 64 && p < copy + size - 1; p += strlen(p) + 1) {
                argv[argc++] = p;
        }
        argv[argc] = NULL;
        struct cli c;
        cli_init(&c, &cmd, argc, argv);
        for (int steps = 0;; steps++) {
                int r = cli_next(&c);
                if (r == CLI_END || r == CLI_HELP || r == CLI_BAD) {
                        break;
                }
                if (r != CLI_ARG && (r < OPT_FLAG || r > OPT_DIGIT)) {
                        abort();
                }
                if (steps > (int)size + 8 || c.i > argc) {
                        abort(); /* it must move on */
                }
        }
        free(copy);
        return 0;
}
