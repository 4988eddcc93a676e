/* Asynchronous calls of the grpc: client transport: a completion queue of
 * their own, waited on by a thread that only posts each event to the
 * client's loop, where the call is finished and its done called. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <ward/error.h>
#include <ward/rpc.h>

#include "grpc/client.h"

/* One asynchronous call. */
struct ward__gasync {
        struct ward__gclient *g;
        grpc_call *call;
        struct ward__gexchange x;
        const ProtobufCMessageDescriptor *output;
        ward__rpc_remote_done_fn done; /* NULL once the client closed */
        void *arg;
        struct ward__list link; /* in g->inflight */
};

static void finish(void *arg);

/* cq_thread: wait, and hand every completed call to the loop. */
static void *cq_thread(void *arg)
{
        struct ward__gclient *g = arg;
        for (;;) {
                grpc_event ev = grpc_completion_queue_next(
                    g->async_cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN) {
                        return NULL;
                }
                if (ev.type == GRPC_OP_COMPLETE) {
                        while (ward_loop_post(g->loop, finish, ev.tag) < 0) {
                                /* no memory for the post: the call must still end */
                                sched_yield();
                        }
                }
        }
}

int ward__gclient_attach(void *ctx, ward_loop *loop)
{
        struct ward__gclient *g = ctx;
        if (!loop) {
                return -EINVAL;
        }
        if (g->loop) {
                return -EBUSY;
        }
        g->async_cq = grpc_completion_queue_create_for_next(NULL);
        if (!g->async_cq) {
                return -ENOMEM;
        }
        g->loop = loop;
        ward__list_init(&g->inflight);
        int e = pthread_create(&g->thread, NULL, cq_thread, g);
        if (e != 0) {
                grpc_completion_queue_destroy(g->async_cq);
                g->async_cq = NULL;
                g->loop = NULL;
                return -e;
        }
        g->thread_started = 1;
        return 0;
}

static void gasync_free(struct ward__gasync *a)
{
        if (a->call) {
                grpc_call_unref(a->call);
        }
        ward__gexchange_destroy(&a->x);
        free(a);
}

/* finish: on the loop, a call came back: its answer to done, then its end. */
static void finish(void *arg)
{
        struct ward__gasync *a = arg;
        struct ward__gclient *g = a->g;
        ward__list_unlink(&a->link);
        if (a->done) {
                char msg[WARD_RPC_MESSAGE_MAX];
                ProtobufCMessage *out = NULL;
                int err = ward__gexchange_result(&a->x, a->output, &out, msg, sizeof(msg));
                a->done(a->arg, err, out, msg);
                protobuf_c_message_free_unpacked(out, NULL);
        }
        gasync_free(a);
        if (--g->finishing == 0 && g->closing) {
                ward__gclient_destroy(g); /* closed while calls were in flight */
        }
}

int ward__gclient_call_async(void *ctx, unsigned method, const ProtobufCMessage *input,
                             uint64_t timeout_ns, ward__rpc_remote_done_fn done, void *arg)
{
        return ward__gclient_call_async_traced(ctx, method, input, timeout_ns, NULL, done, arg);
}

int ward__gclient_call_async_traced(void *ctx, unsigned method, const ProtobufCMessage *input,
                                    uint64_t timeout_ns, const struct ward__rpc_trace *trace,
                                    ward__rpc_remote_done_fn done, void *arg)
{
        struct ward__gclient *g = ctx;
        if (!g->loop || method >= g->desc->n_methods) {
                return -EINVAL;
        }
        struct ward__gasync *a = calloc(1, sizeof(*a));
        if (!a) {
                return -ENOMEM;
        }
        *a = (struct ward__gasync){
            .g = g, .output = g->desc->methods[method].output, .done = done, .arg = arg};
        ward__gexchange_init(&a->x, input, trace);
        a->call = grpc_channel_create_registered_call(g->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
                                                      g->async_cq, g->methods[method],
                                                      ward__gclient_deadline(timeout_ns), NULL);
        if (!a->x.request || !a->call || ward__gclient_start(a->call, &a->x, a) < 0) {
                gasync_free(a);
                return -ENOMEM;
        }
        ward__list_prepend(&g->inflight, &a->link);
        g->finishing++;
        return 0;
}

unsigned ward__gclient_cancel_async(struct ward__gclient *g)
{
        if (!g->loop) {
                return 0;
        }
        struct ward__list *pos;
        for (pos = g->inflight.next; pos != &g->inflight; pos = pos->next) {
                struct ward__gasync *a = ward__list_entry(pos, struct ward__gasync, link);
                a->done = NULL;
                grpc_call_cancel(a->call, NULL);
        }
        g->closing = g->finishing > 0;
        return g->finishing;
}

void ward__gclient_stop_async(struct ward__gclient *g)
{
        if (g->thread_started) {
                grpc_completion_queue_shutdown(g->async_cq);
                pthread_join(g->thread, NULL);
                g->thread_started = 0;
        }
        if (g->async_cq) {
                grpc_completion_queue_destroy(g->async_cq);
                g->async_cq = NULL;
        }
}
