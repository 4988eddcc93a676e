/* The options the benchmarks share: see args.h. */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_count(const struct cli *c, const char *option, long min, long max, long *out)
{
        char *end, what[96];
        errno = 0;
        long v = strtol(c->value, &end, 10);
        if (end == c->value || *end || errno || v < min || v > max) {
                snprintf(what, sizeof(what), "a whole number from %ld to %ld", min, max);
                return cli_bad_value(c, option, c->value, what);
        }
        *out = v;
        return 0;
}

/* option_name: the long name of option id of cmd, or "" */
static const char *option_name(const struct cli_command *cmd, int id)
{
        for (const struct cli_option *o = cmd->options; o && o->id; o++) {
                if (o->id == id && o->name) {
                        return o->name;
                }
        }
        return "";
}

/* count_value: a count option read into its entry; 0, or CLI_USAGE */
static int count_value(const struct cli *c, const char *name, struct bench_count_option *counts)
{
        char option[64];
        for (struct bench_count_option *k = counts; k && k->name; k++) {
                if (strcmp(k->name, name) == 0) {
                        snprintf(option, sizeof(option), "--%s", name);
                        return bench_count(c, option, k->min, k->max, &k->value);
                }
        }
        return cli_usage_error(c, "option '--%s' is not handled", name);
}

int bench_parse(const struct cli_command *cmd, int argc, char **argv,
                struct bench_count_option *counts, int *json, int *quick)
{
        int is_quick = 0;
        struct cli c;
        for (struct bench_count_option *k = counts; k && k->name; k++) {
                k->value = 0;
        }
        cli_init(&c, cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                if (r <= 0) {
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
                const char *name = option_name(cmd, r);
                if (strcmp(name, "json") == 0 && json) {
                        *json = 1;
                } else if (strcmp(name, "quick") == 0) {
                        is_quick = 1;
                } else if (count_value(&c, name, counts) != 0) {
                        return CLI_USAGE;
                }
        }
        for (struct bench_count_option *k = counts; k && k->name; k++) {
                k->value = k->value ? k->value : is_quick ? k->quick : k->normal;
        }
        if (quick) {
                *quick = is_quick;
        }
        return -1;
}
