/* The guardian's restart policy: no, on-failure or always; an exponential
 * back-off from min to max, reset after a stable run; at most burst
 * restarts in a window (then give up, like systemd's StartLimitBurst). */
#include <errno.h>
#include <stdlib.h>

#include "inspect/guard/guardian-internal.h"

#define BURST_MAX 10000u

int ward__policy_init(struct ward__restart_policy *p, const struct ward_guardian_options *o)
{
        *p = (struct ward__restart_policy){.restart = o->restart,
                                           .min_ns = o->backoff_min_ns,
                                           .max_ns = o->backoff_max_ns,
                                           .window_ns = o->burst_window_ns,
                                           .stable_ns = o->stable_ns,
                                           .burst = o->burst};
        if (p->burst == 0 || p->burst > BURST_MAX || p->min_ns > p->max_ns) {
                return -EINVAL;
        }
        p->times = calloc(p->burst, sizeof(*p->times));
        if (!p->times) {
                return -ENOMEM;
        }
        p->next_delay_ns = p->min_ns;
        return 0;
}

void ward__policy_free(struct ward__restart_policy *p)
{
        free(p->times);
        p->times = NULL;
}

/* burst_full: were there already burst restarts within the window? */
static int burst_full(const struct ward__restart_policy *p, uint64_t now_ns)
{
        if (p->n_times < p->burst) {
                return 0;
        }
        uint64_t oldest = p->times[p->head]; /* the ring is full: head is the oldest */
        return now_ns - oldest < p->window_ns;
}

static void burst_count(struct ward__restart_policy *p, uint64_t now_ns)
{
        p->times[p->head] = now_ns;
        p->head = (p->head + 1) % p->burst;
        if (p->n_times < p->burst) {
                p->n_times++;
        }
}

enum ward__policy_verdict ward__policy_next(struct ward__restart_policy *p, int failed,
                                            uint64_t up_ns, uint64_t now_ns, uint64_t *delay_ns)
{
        if (p->restart == WARD_GUARDIAN_RESTART_NO ||
            (p->restart == WARD_GUARDIAN_RESTART_ON_FAILURE && !failed)) {
                return WARD__POLICY_DONE;
        }
        if (up_ns >= p->stable_ns) {
                p->next_delay_ns = p->min_ns;
        }
        if (burst_full(p, now_ns)) {
                return WARD__POLICY_BURST;
        }
        burst_count(p, now_ns);
        *delay_ns = p->next_delay_ns;
        uint64_t next = p->next_delay_ns ? p->next_delay_ns * 2 : 0;
        p->next_delay_ns = next > p->max_ns || next < p->next_delay_ns ? p->max_ns : next;
        return WARD__POLICY_RESTART;
}
