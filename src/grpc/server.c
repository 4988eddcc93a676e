/* The gRPC server of libward-grpc: gRPC's C core listening on an address,
 * a thread that waits on its completion queue and hands every event to the
 * rpc server's loop, and the shutdown that lets calls in flight finish. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/options.h"
#include "grpc/bridge.h"
#include "reflect.pb-c.h"

#define DEFAULT_MAX_REQUEST (4u << 20)

_Static_assert(_Alignof(struct ward__gtag) >= 8, "a tag's low three bits carry flags");

/* on_event: a completion-queue event, now on the loop thread: the tag, with
 * the event's success in its low bit (tags are aligned). */
static void on_event(void *arg)
{
        struct ward__gtag *t = (struct ward__gtag *)((uintptr_t)arg & ~(uintptr_t)WARD__GTAG_BITS);
        t->ok = (int)((uintptr_t)arg & 1);
        if (t->kind != WARD__GTAG_SHUTDOWN) {
                ward__gcall_event(t);
                return;
        }
        struct ward_grpc_server *g = t->server;
        g->shutdown_seen = 1;
        g->grace = ward_source_free(g->grace);
        if (g->done) {
                ward_defer_fn done = g->done;
                g->done = NULL;
                done(g->done_arg);
        }
}

#define HARVEST_FIRST_NS 1000000ull /* the harvest timer's first wait, */
#define HARVEST_MAX_NS 64000000ull  /* doubling to this while it finds nothing */

static void on_harvest_timer(ward_source *s, uint64_t expirations, void *arg);

/* take_call_events: handle what completed on call_cq; how many. */
static unsigned take_call_events(struct ward_grpc_server *g)
{
        unsigned n = 0;
        g->in_batch = 1;
        for (;;) {
                grpc_event ev =
                    grpc_completion_queue_next(g->call_cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), NULL);
                if (ev.type != GRPC_OP_COMPLETE) {
                        break;
                }
                on_event((void *)((uintptr_t)ev.tag | (ev.success ? 1u : 0u)));
                n++;
        }
        g->in_batch = 0;
        return n;
}

/* arm_harvest: while registered calls are open, look at call_cq again
 * later: what completes there without the loop's doing (a call cancelled
 * by its client or deadline, a reply too large to go at once) wakes nobody. */
static void arm_harvest(struct ward_grpc_server *g)
{
        if (g->open == 0 || g->harvest_armed) {
                return;
        }
        if (!g->harvest) {
                if (ward_loop_add_timer(g->loop, g->harvest_ns, 0, on_harvest_timer, g,
                                        &g->harvest) < 0) {
                        return; /* no timer: the next call's events take them */
                }
        } else if (ward_source_set_timer(g->harvest, g->harvest_ns, 0) < 0) {
                return;
        }
        g->harvest_armed = 1;
}

void ward__grpc_harvest(struct ward_grpc_server *g)
{
        if (g->call_cq && !g->in_batch) {
                take_call_events(g);
                arm_harvest(g);
        }
}

static void on_harvest_timer(ward_source *s, uint64_t expirations, void *arg)
{
        struct ward_grpc_server *g = arg;
        (void)s, (void)expirations;
        g->harvest_armed = 0;
        if (take_call_events(g) > 0) {
                g->harvest_ns = HARVEST_FIRST_NS;
        } else if (g->harvest_ns < HARVEST_MAX_NS) {
                g->harvest_ns *= 2;
        }
        arm_harvest(g);
}

/* on_batch: the events of one post, in the order they completed, then what
 * their handling completed on call_cq (a reply sent from the loop). */
static void on_batch(void *arg)
{
        struct ward__gbatch *b = arg;
        struct ward_grpc_server *g = b->g;
        g->in_batch = 1;
        for (size_t i = 0; i < b->n; i++) {
                on_event(b->tags[i]);
        }
        g->in_batch = 0;
        free(b);
        ward__grpc_harvest(g);
}

/* post: fn(arg) to the loop. A post that finds no memory is tried again: an
 * event must not be lost, or its call would never end. */
static void post(struct ward_grpc_server *g, ward_defer_fn fn, void *arg)
{
        while (ward_loop_post(g->loop, fn, arg) == -ENOMEM) {
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
}

/* flush: the held events to the loop: handled here when the loop sleeps and
 * lends itself (ward_loop_try_acquire: no thread switch), else in one post. */
static void flush(struct ward_grpc_server *g)
{
        if (!g->held) {
                return;
        }
        struct ward__gbatch *b = g->held;
        g->held = NULL;
        if (ward_loop_try_acquire(g->loop) == 0) {
                on_batch(b);
                ward_loop_release(g->loop);
        } else {
                post(g, on_batch, b);
        }
}

/* hold: t joins the held events (allocating a batch, and starting the time
 * they may wait, for the first; a batch that finds no memory is tried again,
 * as a post is). */
static void hold(struct ward_grpc_server *g, void *t)
{
        if (g->held && g->held->n == WARD__GBATCH_MAX) {
                flush(g);
        }
        if (!g->held) {
                while (!(g->held = malloc(sizeof(*g->held)))) {
                        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
                }
                g->held->g = g;
                g->held->n = 0;
                g->held_until =
                    gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                 gpr_time_from_micros(WARD__GRPC_HOLD_US, GPR_TIMESPAN));
        }
        g->held->tags[g->held->n++] = t;
}

/* cq_thread: wait for events and hand them to the loop, until the queue is
 * shut down. It touches a tag's memory (the loop thread owns it) only for a
 * call that just arrived (ward__gcall_arrived_cq); the success rides in the
 * pointer's low bit. An event that may wait (WARD__GTAG_LAZY_BIT) is held;
 * the next one that cannot, or the hold's end, takes it to the loop. */
static void *cq_thread(void *arg)
{
        struct ward_grpc_server *g = arg;
        for (;;) {
                gpr_timespec until = g->held ? g->held_until : gpr_inf_future(GPR_CLOCK_MONOTONIC);
                grpc_event ev = grpc_completion_queue_next(g->cq, until, NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN) {
                        flush(g);
                        return NULL;
                }
                if (ev.type != GRPC_OP_COMPLETE) { /* GRPC_QUEUE_TIMEOUT: the hold is over */
                        flush(g);
                        continue;
                }
                if (((uintptr_t)ev.tag & WARD__GTAG_NEW_BIT) && ev.success) {
                        ward__gcall_arrived_cq(g, ev.tag);
                }
                hold(g, (void *)((uintptr_t)ev.tag | (ev.success ? 1u : 0u)));
                if (!((uintptr_t)ev.tag & WARD__GTAG_LAZY_BIT)) {
                        flush(g);
                }
        }
}

/* start_thread: the completion-queue thread, with every signal blocked (the
 * loop's signalfds get them). */
static int start_thread(struct ward_grpc_server *g)
{
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = pthread_create(&g->thread, NULL, cq_thread, g);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                return -r;
        }
        g->thread_started = 1;
        return 0;
}

/* add_method: register svc/method with gRPC, its request read with the
 * call. Leaves it out when the names do not fit (it stays a generic call). */
static void add_method(struct ward_grpc_server *g, const char *svc, const char *method)
{
        struct ward__gmethod *m = &g->methods[g->n_methods];
        if (strlen(svc) > WARD__GRPC_NAME_MAX || strlen(method) > WARD__GRPC_NAME_MAX) {
                return;
        }
        strcpy(m->svc, svc);
        strcpy(m->method, method);
        snprintf(m->path, sizeof(m->path), "/%s/%s", svc, method);
        m->rm = grpc_server_register_method(g->server, m->path, NULL,
                                            GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        if (m->rm) {
                g->n_methods++;
        }
}

/* register_methods: the methods srv hosts now, at most
 * WARD__GRPC_MAX_METHODS, registered with gRPC (before it starts), with
 * the queue their calls' batches complete on. Without memory, none: every
 * call is then a generic one. */
static void register_methods(struct ward_grpc_server *g, ward_rpc_server *srv)
{
        struct Ward__Reflect__Description *d = NULL;
        grpc_completion_queue_attributes attr = {.version = 1,
                                                 .cq_completion_type = GRPC_CQ_NEXT,
                                                 .cq_polling_type = GRPC_CQ_NON_POLLING};
        if (ward_rpc_server_describe(srv, &d) < 0) {
                return;
        }
        g->methods = calloc(WARD__GRPC_MAX_METHODS, sizeof(*g->methods));
        g->call_cq = g->methods ? grpc_completion_queue_create(
                                      grpc_completion_queue_factory_lookup(&attr), &attr, NULL)
                                : NULL;
        for (size_t i = 0; g->call_cq && i < d->n_services; i++) {
                const Ward__Reflect__Service *svc = d->services[i];
                for (size_t k = 0; k < svc->n_methods && g->n_methods < WARD__GRPC_MAX_METHODS;
                     k++) {
                        add_method(g, svc->name, svc->methods[k]->name);
                }
        }
        protobuf_c_message_free_unpacked(&d->base, NULL);
}

/* listen_on: create gRPC's server, bound to address; with srv, its methods
 * registered. */
static int listen_on(struct ward_grpc_server *g, const char *address,
                     const struct ward_grpc_options *o, ward_rpc_server *srv)
{
        grpc_arg arg = {.type = GRPC_ARG_INTEGER,
                        .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                        .value.integer = (int)o->max_request};
        grpc_channel_args args = {.num_args = 1, .args = &arg};
        grpc_server_credentials *creds;
        int r = ward__grpc_credentials(o, &creds);
        if (r < 0) {
                return r;
        }
        g->server = grpc_server_create(&args, NULL);
        g->cq = grpc_completion_queue_create_for_next(NULL);
        if (!g->server || !g->cq) {
                grpc_server_credentials_release(creds);
                return -ENOMEM;
        }
        grpc_server_register_completion_queue(g->server, g->cq, NULL);
        g->port = grpc_server_add_http2_port(g->server, address, creds);
        grpc_server_credentials_release(creds);
        if (g->port <= 0) {
                return -EADDRNOTAVAIL;
        }
        if (srv) {
                register_methods(g, srv);
        }
        grpc_server_start(g->server);
        return 0;
}

static int server_new(ward_loop *loop, const char *address, const struct ward_grpc_options *opts,
                      ward_grpc_dispatch_fn dispatch, void *ctx, ward_rpc_server *srv,
                      ward_grpc_server **ret);

/* to_rpc_server: the dispatch of ward_grpc_server_new: the services srv hosts. */
static int to_rpc_server(void *ctx, const char *service, const char *method, const void *req,
                         size_t len, uint64_t timeout_ns, ward_rpc_bytes_fn fn, void *arg)
{
        (void)timeout_ns; /* gRPC ends the call at its deadline; the handler is not told */
        return ward_rpc_server_call_bytes(ctx, service, method, req, len, NULL, fn, arg);
}

/* describe_rpc: the describe of ward_grpc_server_new: the rpc server's
 * description, made again for each request (services may be added). */
static size_t describe_rpc(void *ctx, const struct Ward__Reflect__Description **out, size_t max)
{
        struct ward_grpc_server *g = ctx;
        if (g->cached) {
                protobuf_c_message_free_unpacked(&g->cached->base, NULL);
                g->cached = NULL;
        }
        if (max == 0 || ward_rpc_server_describe(g->rpc, &g->cached) < 0) {
                return 0;
        }
        out[0] = g->cached;
        return 1;
}

int ward_grpc_server_new(ward_rpc_server *srv, const char *address,
                         const struct ward_grpc_options *opts, ward_grpc_server **ret)
{
        ward_loop *loop = ward_rpc_server_get_loop(srv);
        if (!loop || !ret) {
                return -EINVAL;
        }
        int r = server_new(loop, address, opts, to_rpc_server, srv, srv, ret);
        if (r == 0) {
                (*ret)->rpc = srv;
                ward_grpc_server_set_describe(*ret, describe_rpc, *ret);
        }
        return r;
}

void ward_grpc_server_set_describe(ward_grpc_server *g, ward_grpc_describe_fn fn, void *ctx)
{
        if (g) {
                g->describe = fn;
                g->describe_ctx = ctx;
        }
}

int ward_grpc_server_new_dispatch(ward_loop *loop, const char *address,
                                  const struct ward_grpc_options *opts,
                                  ward_grpc_dispatch_fn dispatch, void *ctx, ward_grpc_server **ret)
{
        return server_new(loop, address, opts, dispatch, ctx, NULL, ret);
}

/* server_new: ward_grpc_server_new_dispatch, with the methods srv hosts
 * registered when srv is given. */
static int server_new(ward_loop *loop, const char *address, const struct ward_grpc_options *opts,
                      ward_grpc_dispatch_fn dispatch, void *ctx, ward_rpc_server *srv,
                      ward_grpc_server **ret)
{
        struct ward_grpc_options o = {.size = sizeof(o)};
        if (!loop || !address || !dispatch || !ret ||
            (opts && ward__options_copy(&o, sizeof(o), opts) < 0)) {
                return -EINVAL;
        }
        if (o.max_request == 0) {
                o.max_request = DEFAULT_MAX_REQUEST;
        }
        if (o.max_request > INT32_MAX) {
                return -EINVAL;
        }
        struct ward_grpc_server *g = calloc(1, sizeof(*g));
        if (!g) {
                return -ENOMEM;
        }
        grpc_init();
        g->dispatch = dispatch;
        g->ctx = ctx;
        g->loop = loop;
        g->shutdown_tag = (struct ward__gtag){.kind = WARD__GTAG_SHUTDOWN, .server = g};
        g->harvest_ns = HARVEST_FIRST_NS;
        int r = listen_on(g, address, &o, srv);
        if (r == 0) {
                r = start_thread(g);
        }
        if (r == 0) {
                r = ward__gcall_request(g, NULL);
        }
        for (size_t i = 0; r == 0 && i < g->n_methods; i++) {
                r = ward__gcall_request(g, &g->methods[i]);
        }
        if (r < 0) {
                ward_grpc_server_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

int ward_grpc_server_port(const ward_grpc_server *g)
{
        return g ? g->port : -EINVAL;
}

/* on_grace: the calls in flight had their time. */
static void on_grace(ward_source *s, uint64_t expirations, void *arg)
{
        struct ward_grpc_server *g = arg;
        (void)s, (void)expirations;
        grpc_server_cancel_all_calls(g->server);
}

void ward_grpc_server_shutdown(ward_grpc_server *g, uint64_t grace_ns, ward_defer_fn done,
                               void *arg)
{
        if (!g || !g->server || g->shutting_down) {
                return;
        }
        g->shutting_down = 1;
        g->done = done;
        g->done_arg = arg;
        grpc_server_shutdown_and_notify(g->server, g->cq, &g->shutdown_tag);
        if (ward_loop_add_timer(g->loop, grace_ns ? grace_ns : 1, 0, on_grace, g, &g->grace) < 0) {
                grpc_server_cancel_all_calls(g->server); /* no timer: no grace */
        }
}

/* drain: run the loop until gRPC has let go of every call. */
static void drain(struct ward_grpc_server *g)
{
        while (!g->shutdown_seen) {
                ward__grpc_harvest(g); /* the cancelled calls' ends, timer or not */
                if (ward_loop_run_once(g->loop, 100000000ull) < 0) {
                        break;
                }
        }
}

/* drain_call_cq: the registered calls' last events (normally none: gRPC
 * has let go of every call, cancelled or not, by now), then that queue's
 * end. */
static void drain_call_cq(struct ward_grpc_server *g)
{
        grpc_completion_queue_shutdown(g->call_cq);
        for (;;) {
                grpc_event ev = grpc_completion_queue_next(
                    g->call_cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN) {
                        return;
                }
                if (ev.type == GRPC_OP_COMPLETE) {
                        g->in_batch = 1;
                        on_event((void *)((uintptr_t)ev.tag | (ev.success ? 1u : 0u)));
                        g->in_batch = 0;
                }
        }
}

/* drain_here: without the thread, take the queue's last events ourselves. */
static void drain_here(struct ward_grpc_server *g)
{
        for (;;) {
                grpc_event ev =
                    grpc_completion_queue_next(g->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN) {
                        return;
                }
        }
}

ward_grpc_server *ward_grpc_server_free(ward_grpc_server *g)
{
        if (!g) {
                return NULL;
        }
        if (g->server) {
                if (!g->shutting_down) {
                        g->shutting_down = 1;
                        grpc_server_shutdown_and_notify(g->server, g->cq, &g->shutdown_tag);
                }
                g->done = NULL; /* nobody waits any more */
                grpc_server_cancel_all_calls(g->server);
                if (g->thread_started) {
                        drain(g);
                }
        }
        if (g->cq) {
                grpc_completion_queue_shutdown(g->cq);
                if (g->thread_started) {
                        pthread_join(g->thread, NULL);
                        ward_loop_run_once(g->loop, 0); /* the posts it made last */
                } else {
                        drain_here(g);
                }
        }
        if (g->call_cq) {
                drain_call_cq(g); /* before the server goes: these events end calls */
        }
        g->grace = ward_source_free(g->grace);
        g->harvest = ward_source_free(g->harvest);
        if (g->waiting) {
                ward__gcall_drop(g->waiting);
        }
        for (size_t i = 0; i < g->n_methods; i++) {
                if (g->methods[i].waiting) {
                        ward__gcall_drop(g->methods[i].waiting);
                }
        }
        if (g->server) {
                grpc_server_destroy(g->server);
        }
        if (g->cq) {
                grpc_completion_queue_destroy(g->cq);
        }
        if (g->call_cq) {
                grpc_completion_queue_destroy(g->call_cq);
        }
        free(g->methods);
        grpc_shutdown();
        if (g->cached) {
                protobuf_c_message_free_unpacked(&g->cached->base, NULL);
        }
        free(g);
        return NULL;
}
