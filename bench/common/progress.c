/* The progress line of the benchmarks: see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

static int tty = -1; /* unknown yet */
static int shown;

void bench_progress(const char *bench, const char *row, unsigned k, unsigned n)
{
        if (tty < 0) {
                tty = isatty(STDERR_FILENO);
        }
        if (!tty) {
                return;
        }
        fprintf(stderr, "\r\033[K%s: %s%srun %u of %u", bench, row ? row : "", row ? ", " : "", k,
                n);
        fflush(stderr);
        shown = 1;
}

void bench_progress_done(void)
{
        if (shown) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
                shown = 0;
        }
}
