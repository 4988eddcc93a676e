/* tests/rpc/probe-service.h: the Probe service of probe.proto, for a server
 * child (rt_server_start with .setup = probe_setup, .teardown =
 * probe_teardown) or an in-process server. Hold keeps calls unanswered until
 * Release; Die makes the server SIGKILL itself while the call waits; WhoAmI
 * and Note report ward_rpc_caller. */
#ifndef WARD_TESTS_RPC_PROBE_SERVICE_H
#define WARD_TESTS_RPC_PROBE_SERVICE_H

#include "probe.pb-c.h"
#include "rpc-util.h"

struct probe_held {
        Probe__Count_Closure done;
        void *closure_data;
        struct probe_held *next;
};

static struct {
        ward_loop *loop;
        ward_rpc_server *srv;
        struct probe_held *held;
        uint64_t nheld;
        struct ward_ipc_peer last_note;
        int have_note;
        /* optional: runs first in WhoAmI, with the handler's closure_data */
        void (*whoami_hook)(void *closure_data);
} probe;

static inline Probe__Peer probe_peer_msg(const struct ward_ipc_peer *p)
{
        Probe__Peer m = PROBE__PEER__INIT;
        m.pid = p->pid;
        m.uid = p->uid;
        m.gid = p->gid;
        return m;
}

static inline void probe_hold(Probe__Probe_Service *svc, const Probe__Empty *in,
                              Probe__Count_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        struct probe_held *h = malloc(sizeof(*h));
        if (!h) {
                done(NULL, closure_data);
                return;
        }
        *h = (struct probe_held){.done = done, .closure_data = closure_data, .next = probe.held};
        probe.held = h;
        probe.nheld++;
}

static inline void probe_release(Probe__Probe_Service *svc, const Probe__Empty *in,
                                 Probe__Count_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        Probe__Count out = PROBE__COUNT__INIT;
        while (probe.held) {
                struct probe_held *h = probe.held;
                probe.held = h->next;
                out.n++;
                h->done(&out, h->closure_data); /* to a caller that may be gone */
                free(h);
        }
        probe.nheld = 0;
        done(&out, closure_data);
}

static inline void probe_stats(Probe__Probe_Service *svc, const Probe__Empty *in,
                               Probe__State_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        Probe__State out = PROBE__STATE__INIT;
        out.held = probe.nheld;
        out.conns = probe.srv ? ward_ipc_server_count(ward_rpc_server_ipc(probe.srv)) : -1;
        done(&out, closure_data);
}

static inline void probe_die_now(ward_source *s, uint64_t expirations, void *arg)
{
        (void)s;
        (void)expirations;
        (void)arg;
        kill(getpid(), SIGKILL);
}

/* Die: the caller is left waiting, then the server is killed. */
static inline void probe_die(Probe__Probe_Service *svc, const Probe__Empty *in,
                             Probe__Empty_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        if (!probe.loop ||
            ward_loop_add_timer(probe.loop, 20 * TU_MS, 0, probe_die_now, NULL, NULL) < 0) {
                done(NULL, closure_data);
        }
}

static inline void probe_who_am_i(Probe__Probe_Service *svc, const Probe__Empty *in,
                                  Probe__Peer_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        struct ward_ipc_peer p;
        if (probe.whoami_hook) {
                probe.whoami_hook(closure_data);
        }
        if (ward_rpc_caller(closure_data, &p) < 0) {
                done(NULL, closure_data);
                return;
        }
        Probe__Peer out = probe_peer_msg(&p);
        done(&out, closure_data);
}

static inline void probe_note(Probe__Probe_Service *svc, const Probe__Empty *in,
                              Ward__NoReply_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        probe.have_note = ward_rpc_caller(closure_data, &probe.last_note) == 0;
        done(NULL, closure_data);
}

static inline void probe_last_note(Probe__Probe_Service *svc, const Probe__Empty *in,
                                   Probe__Peer_Closure done, void *closure_data)
{
        (void)svc;
        (void)in;
        Probe__Peer out = probe_peer_msg(&probe.last_note);
        done(probe.have_note ? &out : NULL, closure_data);
}

static Probe__Probe_Service probe_service = PROBE__PROBE__INIT(probe_);

static inline void probe_setup(ward_loop *loop, ward_rpc_server *srv, void *arg)
{
        (void)arg;
        probe.loop = loop;
        probe.srv = srv;
}

/* probe_teardown: forget held calls unanswered (the server frees them). */
static inline void probe_teardown(void *arg)
{
        (void)arg;
        while (probe.held) {
                struct probe_held *h = probe.held;
                probe.held = h->next;
                free(h);
        }
        probe.nheld = 0;
}

/* probe_start: a Probe server child at a fresh address. */
static inline pid_t probe_start(char *addr, size_t size, const char *name)
{
        rt_addr(addr, size, name);
        struct rt_server cfg = {.addr = addr,
                                .services = {&probe_service.base},
                                .setup = probe_setup,
                                .teardown = probe_teardown};
        return rt_server_start(&cfg);
}

enum {
        PROBE_HOLD,
        PROBE_RELEASE,
        PROBE_STATS,
        PROBE_DIE,
        PROBE_WHOAMI,
        PROBE_NOTE,
        PROBE_LAST_NOTE
};

/* probe_state: Stats through c (synchronous). */
static inline Probe__State probe_state(ward_rpc_client *c)
{
        Probe__Empty e = PROBE__EMPTY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, PROBE_STATS, &e.base, 5 * TU_SEC, &out), 0);
        Probe__State st = *(Probe__State *)out;
        protobuf_c_message_free_unpacked(out, NULL);
        return st;
}

/* probe_wait_held: poll Stats until the server holds n calls. */
static inline void probe_wait_held(ward_rpc_client *c, uint64_t n)
{
        uint64_t t0 = ward_now_ns();
        while (probe_state(c).held != n) {
                if (tu_ms_since(t0) > 5000) {
                        TEST_FAIL("the server never held %llu calls", (unsigned long long)n);
                }
                tu_sleep_ms(1);
        }
}

/* probe_wait_conns: poll Stats until the server has n connections. */
static inline void probe_wait_conns(ward_rpc_client *c, int n)
{
        uint64_t t0 = ward_now_ns();
        while (probe_state(c).conns != n) {
                if (tu_ms_since(t0) > 5000) {
                        TEST_FAIL("the server never had %d connections", n);
                }
                tu_sleep_ms(1);
        }
}

#endif
