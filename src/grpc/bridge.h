/* Internals of libward-grpc shared by the server (server.c: the gRPC
 * server, its completion-queue thread, shutdown) and the calls (call.c: one
 * gRPC call's way from arrival to its status).
 *
 * One rule keeps the threads apart: the completion-queue thread only waits
 * for events and hands them to the rpc server's loop (several events at a
 * time); every state below is read and written under that loop only, but for
 * the completion-queue thread's own hold (struct ward__gbatch). Under the
 * loop means on its thread, or on the completion-queue thread while it
 * borrows the sleeping loop (ward_loop_try_acquire) to handle the events
 * itself, which saves the thread switch of a post. */
#ifndef WARD_GRPC_BRIDGE_H
#define WARD_GRPC_BRIDGE_H

#include <pthread.h>
#include <stdatomic.h>

#include <grpc/grpc.h>

#include <ward/grpc.h>

#include "grpc/path.h"

struct ward__gcall;

/* Descriptions one reflection answer is made from, at most. */
#define WARD__GRPC_MAX_DESCRIPTIONS 32

/* What a completion-queue event completed. */
enum ward__gtag_kind {
        WARD__GTAG_NEW,      /* grpc_server_request_call: a call arrived */
        WARD__GTAG_RECV,     /* the request message */
        WARD__GTAG_SEND,     /* the reply and the status went out */
        WARD__GTAG_CLOSE,    /* the call is over (answered, or cancelled) */
        WARD__GTAG_SHUTDOWN, /* grpc_server_shutdown_and_notify: no call left */
};

/* A completion-queue tag: what completed, for which call, and how. Aligned
 * to 8: the low bit of its address carries the event's success from the
 * completion-queue thread to the loop, the next one marks a NEW tag (so that
 * thread knows it without reading the tag), the third an event that may wait
 * (WARD__GTAG_LAZY_BIT). */
#define WARD__GTAG_NEW_BIT 2u
/* An event the loop need not see at once (a call arrived: its request comes
 * next; a unary call's reply went; a call is over): the completion-queue
 * thread holds it until an event that cannot wait, or for at most
 * WARD__GRPC_HOLD_US, and hands them over together. One loop wake-up per
 * call instead of four. */
#define WARD__GTAG_LAZY_BIT 4u
#define WARD__GTAG_BITS 7u
#define WARD__GRPC_HOLD_US 1000
struct ward__gtag {
        _Alignas(8) enum ward__gtag_kind kind;
        int ok; /* the event's success (set on the loop thread) */
        struct ward__gcall *call;
        struct ward_grpc_server *server; /* for WARD__GTAG_SHUTDOWN */
};

/* Events on their way to the loop, in the order they completed, each a tag
 * with its bits (the success in bit 0). Filled by the completion-queue
 * thread, posted whole, run and freed on the loop thread. */
#define WARD__GBATCH_MAX 64
struct ward__gbatch {
        struct ward_grpc_server *g;
        size_t n;
        void *tags[WARD__GBATCH_MAX];
};

/* Methods registered with gRPC when the server starts, at most (the rest,
 * and the methods of services added later, arrive as generic calls). */
#define WARD__GRPC_MAX_METHODS 64

/* A method registered with gRPC (ward_grpc_server_new: the methods the rpc
 * server hosts when the bridge starts). Its calls arrive with their request
 * (one completion-queue event instead of two), and their later batches
 * complete on the bridge's call queue, which nobody waits on: sending the
 * reply from the loop wakes no other thread. */
struct ward__gmethod {
        void *rm;                               /* grpc_server_register_method's */
        char path[2 * WARD__GRPC_NAME_MAX + 3]; /* /pkg.Service/Method */
        char svc[WARD__GRPC_NAME_MAX + 1];
        char method[WARD__GRPC_NAME_MAX + 1];
        struct ward__gcall *waiting; /* the slot gRPC fills with its next call */
};

struct ward_grpc_server {
        ward_grpc_dispatch_fn dispatch; /* where calls go, with ctx */
        void *ctx;
        ward_grpc_describe_fn describe; /* for reflection, with describe_ctx; NULL: none */
        void *describe_ctx;
        ward_rpc_server *rpc;                      /* ward_grpc_server_new's, else NULL */
        struct Ward__Reflect__Description *cached; /* rpc's description, for reflection */
        ward_loop *loop;
        grpc_server *server;
        grpc_completion_queue *cq;
        pthread_t thread;
        int thread_started;
        int port;
        struct ward__gtag shutdown_tag;
        int shutting_down;  /* no new call is asked for */
        int shutdown_seen;  /* gRPC has let go of every call */
        ward_source *grace; /* cancels what is left when the grace time is up */
        ward_defer_fn done; /* ward_grpc_server_shutdown's */
        void *done_arg;
        struct ward__gcall *waiting;   /* the call slot grpc_server_request_call fills next */
        atomic_uint handoff;           /* released before a slot goes to gRPC, acquired as it comes
                                        * back on the completion-queue thread */
        struct ward__gmethod *methods; /* registered, n_methods of them */
        size_t n_methods;
        grpc_completion_queue *call_cq; /* non-polling: the registered calls' batches; NULL: none */
        unsigned open;                  /* registered calls gRPC still has */
        int in_batch;                   /* events are being handled: no harvest from inside */
        ward_source *harvest;           /* looks at call_cq while calls are open, then and again */
        uint64_t harvest_ns;            /* its next wait: 1 ms, doubling to 64 ms while idle */
        int harvest_armed;
        struct ward__gbatch *held; /* the completion-queue thread's: events not handed over yet */
        gpr_timespec held_until;   /* when they go even without an event that cannot wait */
};

/* ward__gcall_request: ask gRPC for the next call of registered method m
 * (a new slot in m->waiting), or for the next generic call (m NULL: in
 * g->waiting). Returns 0 or -ENOMEM. Loop thread. */
int ward__gcall_request(struct ward_grpc_server *g, struct ward__gmethod *m);

/* ward__grpc_harvest: take the completed events of the registered calls'
 * queue (call_cq) and handle them, then arm the harvest timer while calls
 * are open. Loop thread, outside the handling of events (g->in_batch). */
void ward__grpc_harvest(struct ward_grpc_server *g);

/* ward__gcall_arrived_cq: on the completion-queue thread, a NEW tag that
 * succeeded: start the batches that receive the request and the call's end,
 * before the event goes to the loop. */
void ward__gcall_arrived_cq(struct ward_grpc_server *g, void *tag);

/* ward__gcall_event: a completion-queue event, on the loop thread. */
void ward__gcall_event(struct ward__gtag *t);

/* ward__gcall_drop: free a slot gRPC never filled (the server is going). */
void ward__gcall_drop(struct ward__gcall *c);

/* ward__grpc_credentials: the server credentials opts ask for: TLS from
 * cert_file and key_file when both are set, else plaintext. Returns 0 and
 * *ret (the caller releases it), or -EINVAL (only one of the two), -errno of
 * reading a file, -EFBIG (over 1 MiB), -ENOMEM. */
int ward__grpc_credentials(const struct ward_grpc_options *opts, grpc_server_credentials **ret);

#endif
