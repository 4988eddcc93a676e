/* Peers of the gateway: a broken connection is made again by a thread of
 * its own (connect, describe, resolve can each wait up to CONNECT_TIMEOUT
 * for a server that does not answer), never on the loop, which goes on
 * serving the other peers' calls. The thread hands its result to the loop
 * with ward_loop_post; only the loop thread touches a struct peer. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "peer.h"

#define MS 1000000ull
#define CONNECT_TIMEOUT (2000 * MS) /* each step of connecting to a peer */
#define BACKOFF_MIN (50 * MS)       /* after the first failed attempt in a row */
#define BACKOFF_MAX (2000 * MS)     /* doubling up to this */
#define WATCH (1000 * MS)           /* how often a connection is looked at */

/* One reconnecting attempt, owned by its thread until it is posted, then by
 * the loop (attempt_done). */
struct attempt {
        struct peer *peer; /* read on the loop thread only */
        ward_loop *loop;
        const char *address;
        struct link link;
        int error;
};

/* closing: set (under lock) by peers_close; from then on no thread posts. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int closing;

static void attempt_done(void *arg);

/* attempt_free: the attempt and whatever it connected. */
static void attempt_free(struct attempt *a)
{
        link_close(&a->link);
        free(a);
}

/* hand_over: post a to the loop, unless the gateway is closing (then a is
 * freed here). A post that finds no memory is tried again shortly. */
static void hand_over(struct attempt *a)
{
        for (;;) {
                pthread_mutex_lock(&lock);
                int r = closing ? -ECANCELED : ward_loop_post(a->loop, attempt_done, a);
                pthread_mutex_unlock(&lock);
                if (r != -ENOMEM) {
                        if (r < 0) {
                                attempt_free(a);
                        }
                        return;
                }
                nanosleep(&(struct timespec){.tv_nsec = 10 * MS}, NULL);
        }
}

/* attempt_run: the reconnecting thread. */
static void *attempt_run(void *arg)
{
        struct attempt *a = arg;
        a->error = link_open(a->address, CONNECT_TIMEOUT, &a->link);
        hand_over(a);
        return NULL;
}

/* failed: an attempt failed with error: the next one after the back-off,
 * which doubles for the one after. */
static void failed(struct peer *p, int error)
{
        p->state = PEER_WAITING;
        p->error = error;
        ward_source_set_timer(p->timer, p->backoff_ns, 0);
        p->backoff_ns = p->backoff_ns * 2 < BACKOFF_MAX ? p->backoff_ns * 2 : BACKOFF_MAX;
}

/* start_thread: a detached thread running a. 0 or -errno. */
static int start_thread(struct attempt *a)
{
        pthread_attr_t attr;
        pthread_t t;
        int r = pthread_attr_init(&attr);
        if (r == 0) {
                r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                if (r == 0) {
                        r = pthread_create(&t, &attr, attempt_run, a);
                }
                pthread_attr_destroy(&attr);
        }
        return -r;
}

/* up: p is connected through link; its timer watches the connection. */
static void up(struct peer *p, const struct link *link)
{
        p->link = *link;
        p->state = PEER_UP;
        p->error = 0;
        p->backoff_ns = BACKOFF_MIN;
        ward_source_set_timer(p->timer, WATCH, WATCH);
}

/* attempt_start: p's next attempt, on a thread of its own. */
static void attempt_start(struct peer *p)
{
        ward_source_set_timer(p->timer, 0, 0);
        pthread_mutex_lock(&lock);
        int stopping = closing;
        pthread_mutex_unlock(&lock);
        if (stopping) { /* a timer due while peers_close runs the loop once */
                return;
        }
        struct attempt *a = calloc(1, sizeof(*a));
        int r = a ? 0 : -ENOMEM;
        if (a) {
                *a = (struct attempt){.peer = p, .loop = p->loop, .address = p->address};
                r = start_thread(a);
        }
        if (r < 0) {
                free(a);
                failed(p, r);
                return;
        }
        p->state = PEER_CONNECTING;
}

/* attempt_done: an attempt's result, on the loop: p is up with its link,
 * or waits for the next attempt. */
static void attempt_done(void *arg)
{
        struct attempt *a = arg;
        struct peer *p = a->peer;
        if (closing) { /* posted before peers_close: nothing to hand it to */
                attempt_free(a);
                return;
        }
        int r = a->error;
        if (r == 0) {
                r = ward_ipc_conn_attach(a->link.conn, p->loop);
        }
        if (r < 0) {
                attempt_free(a);
                failed(p, r);
                return;
        }
        up(p, &a->link);
        free(a);
}

/* on_timer: the back-off is over (the next attempt), or it is time to look
 * at the connection (a broken one starts reconnecting before a call needs
 * it). */
static void on_timer(ward_source *s, uint64_t expirations, void *arg)
{
        struct peer *p = arg;
        (void)s, (void)expirations;
        if (p->state == PEER_WAITING) {
                attempt_start(p);
        } else if (p->state == PEER_UP) {
                peer_up(p);
        }
}

int peer_init(struct peer *p, ward_loop *loop, const char *address)
{
        *p = (struct peer){.address = address, .loop = loop, .backoff_ns = BACKOFF_MIN};
        p->state = PEER_WAITING;
        int r = ward_loop_add_timer(loop, BACKOFF_MAX, 0, on_timer, p, &p->timer);
        if (r == 0) {
                r = ward_source_set_timer(p->timer, 0, 0); /* armed when an attempt fails */
        }
        return r;
}

int peer_connect_now(struct peer *p)
{
        struct link link;
        int r = link_open(p->address, CONNECT_TIMEOUT, &link);
        if (r == 0) {
                r = ward_ipc_conn_attach(link.conn, p->loop);
        }
        if (r < 0) {
                link_close(&link);
                failed(p, r);
                return r;
        }
        up(p, &link);
        return 0;
}

int peer_up(struct peer *p)
{
        if (p->state != PEER_UP) {
                return 0;
        }
        int e = ward_ipc_conn_get_error(p->link.conn);
        if (e == 0) {
                return 1;
        }
        link_close(&p->link); /* its calls in flight end -ECANCELED: UNAVAILABLE */
        p->error = e;
        p->backoff_ns = BACKOFF_MIN;
        attempt_start(p);
        return 0;
}

void peers_close(struct peer *peers, int n, ward_loop *loop)
{
        pthread_mutex_lock(&lock);
        closing = 1;
        pthread_mutex_unlock(&lock);
        ward_loop_run_once(loop, 0); /* the results posted before: attempt_done drops them */
        for (int i = 0; i < n; i++) {
                link_close(&peers[i].link);
                peers[i].timer = ward_source_free(peers[i].timer);
        }
}
