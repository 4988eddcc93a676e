/* The options the benchmarks share: see args.h. */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
