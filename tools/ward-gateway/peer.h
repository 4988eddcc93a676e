/* A ward server the gateway calls, reconnected off the loop when it goes. */
#ifndef WARD_GATEWAY_PEER_H
#define WARD_GATEWAY_PEER_H

#include <stdint.h>

#include <ward/ward.h>

#include "link.h"

enum peer_state {
        PEER_UP = 1,     /* link is good to call through */
        PEER_CONNECTING, /* a thread of its own connects, describes, resolves */
        PEER_WAITING,    /* the last attempt failed: the next after a back-off */
};

/* One --to address. Everything here is the loop thread's: a reconnecting
 * thread works on a link of its own and hands it over whole, through
 * ward_loop_post. */
struct peer {
        const char *address;
        ward_loop *loop;
        enum peer_state state;
        struct link link;    /* all set while PEER_UP, else all NULL */
        int error;           /* why it is not up: the last failure */
        uint64_t backoff_ns; /* the wait after the next failed attempt */
        ward_source *timer;  /* the back-off; while up, a look at the connection each second */
};

/* peer_init: make p the peer at address, on loop, not connected yet.
 * Returns 0, or -ENOMEM/-EMFILE (no timer for its back-off).
 * Thread class: loop's owner thread. */
int peer_init(struct peer *p, ward_loop *loop, const char *address);

/* peer_connect_now: connect p synchronously (waiting for each step up to
 * 2 s), before the loop serves calls. On failure p keeps trying on its own,
 * in the background, with a back-off (50 ms doubling up to 2 s between
 * attempts). Returns 0 (up) or why not (p->error): -errno or -WARD_E_* of
 * link_open. Thread class: loop's owner thread. */
int peer_connect_now(struct peer *p);

/* peer_up: 1 when calls may go through p->link now; 0 while it is not
 * connected. A connection found broken here (or by p's own look at it,
 * once a second) is dropped (its calls in flight end -ECANCELED) and a
 * reconnecting thread is started; calls are never made to wait for it.
 * Thread class: loop's owner thread. */
int peer_up(struct peer *p);

/* peers_close: the gateway stops: reconnecting threads still running hand
 * nothing over any more (they close what they made and end on their own),
 * what they had handed over is dropped, and each peer's link and timer are
 * released (peer_init's undone). Call once, after the loop has stopped and before it is freed.
 * Thread class: loop's owner thread. */
void peers_close(struct peer *peers, int n, ward_loop *loop);

#endif
