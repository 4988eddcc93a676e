/* libnap.so: grpctest.Slow for `ward serve --load`: Sleep answers
 * after the time it is asked for, from a timer of the host's loop, so the
 * loop keeps serving other calls meanwhile. */
#include <stdint.h>
#include <stdlib.h>

#include <ward/rpc.h>

#include "slow.pb-c.h"

int ward_service_init(ward_rpc_server *srv, const char *address);
void ward_service_fini(void);

/* A call waiting for its timer. */
struct nap {
        Grpctest__Woke_Closure done;
        void *closure_data;
        int64_t value;
        ward_source *timer;
        struct nap *prev, *next;
};

static ward_loop *loop;
static struct nap *naps; /* the calls not answered yet */

static void unlink_nap(struct nap *n)
{
        if (n->prev) {
                n->prev->next = n->next;
        } else {
                naps = n->next;
        }
        if (n->next) {
                n->next->prev = n->prev;
        }
        ward_source_free(n->timer);
        free(n);
}

static void on_timer(ward_source *s, uint64_t expirations, void *arg)
{
        struct nap *n = arg;
        Grpctest__Woke out = GRPCTEST__WOKE__INIT;
        (void)s, (void)expirations;
        out.value = n->value;
        n->done(&out, n->closure_data);
        unlink_nap(n);
}

static void slow_sleep(Grpctest__Slow_Service *svc, const Grpctest__Nap *in,
                       Grpctest__Woke_Closure done, void *closure_data)
{
        (void)svc;
        struct nap *n = calloc(1, sizeof(*n));
        if (!n || in->ms < 0 || in->ms > 600000) {
                free(n);
                ward_rpc_fail(closure_data, "ms must be 0..600000");
                return;
        }
        *n = (struct nap){.done = done, .closure_data = closure_data, .value = in->value};
        if (ward_loop_add_timer(loop, (uint64_t)in->ms * 1000000u, 0, on_timer, n, &n->timer) < 0) {
                free(n);
                ward_rpc_fail(closure_data, "no timer");
                return;
        }
        n->next = naps;
        if (naps) {
                naps->prev = n;
        }
        naps = n;
}

static Grpctest__Slow_Service slow_service = GRPCTEST__SLOW__INIT(slow_);

int ward_service_init(ward_rpc_server *srv, const char *address)
{
        (void)address;
        loop = ward_rpc_server_get_loop(srv);
        return ward_rpc_server_add(srv, &slow_service.base);
}

/* ward_service_fini: the calls still waiting are never answered (the host
 * is going; its server tells their callers). */
void ward_service_fini(void)
{
        while (naps) {
                unlink_nap(naps);
        }
}
