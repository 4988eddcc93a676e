/* ward locks --report: the contention top list of a process's instrumented
 * locks: a lock that threads often find taken is where they queue, so the
 * most contended ones come first. Sorted by contentions, then total wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locks.h"

#define TOP 20

static int by_contention(const void *a, const void *b)
{
        const struct ward_lock_entry *x = a, *y = b;
        if (x->contentions != y->contentions) {
                return x->contentions < y->contentions ? 1 : -1;
        }
        return x->wait_ns_total < y->wait_ns_total   ? 1
               : x->wait_ns_total > y->wait_ns_total ? -1
                                                     : 0;
}

void locks_print_report(const struct locks_ctx *c)
{
        const struct ward_lock_registry *r = &c->reg;
        if (c->reg_status < 0) {
                printf("process %d has no lock registry (no ward_mutex used, or not run under "
                       "libward-locks.so)\n",
                       c->scan.pid);
                return;
        }
        qsort(r->entries, r->n, sizeof(r->entries[0]), by_contention);
        printf("%-4s %-40s %-32s %12s %10s %7s %12s %12s %12s\n", "rank", "lock", "created at",
               "acquired", "contended", "%", "wait total", "wait max", "hold max");
        for (size_t i = 0; i < r->n && i < TOP; i++) {
                const struct ward_lock_entry *e = &r->entries[i];
                uint64_t acq = e->acquisitions + e->read_acquisitions;
                char name[160];
                locks_entry_name(c, e, name, sizeof(name));
                const char *slash = strrchr(e->site, '/'); /* the file's name will do */
                printf("%-4zu %-40.40s %-32.32s %12llu %10llu %6.2f%% %9.3f ms %9.3f ms %9.3f ms\n",
                       i + 1, name, slash ? slash + 1 : e->site, (unsigned long long)acq,
                       (unsigned long long)e->contentions,
                       acq ? 100.0 * (double)e->contentions / (double)acq : 0.0,
                       (double)e->wait_ns_total / 1e6, (double)e->wait_ns_max / 1e6,
                       (double)e->hold_ns_max / 1e6);
        }
        if (r->n > TOP) {
                printf("(%zu more locks)\n", r->n - TOP);
        }
        if (r->inversions) {
                printf("%u lock-order inversion(s): see ward locks %d\n", r->inversions,
                       c->scan.pid);
        }
}
