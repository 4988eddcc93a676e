/* mech_nng.c: nng, req0/rep0 over ipc:// (a UNIX stream socket plus nng's
 * threads). The server stops when the client's pipe goes away. */
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mech.h"

#define CLIENT_TIMEOUT_MS 10000
#define SERVER_POLL_MS 100 /* how often an idle server looks whether the client left */

struct ng_state {
        char path[128]; /* the socket file */
        char url[140];
        nng_socket sock;
        int open;
        _Atomic int gone; /* set from an nng thread */
        char *mine, *theirs;
};

/* ng_err: nng has an error space of its own; say what it was here and hand the
 * cell an errno. */
static int ng_err(const char *what, int rv)
{
        fprintf(stderr, "ward-bench-ipc: nng %s: %s\n", what, nng_strerror(rv));
        if (rv == NNG_ETIMEDOUT) {
                return -ETIMEDOUT;
        }
        return rv == NNG_ECONNREFUSED ? -ECONNREFUSED : -EIO;
}

static int ng_setup(struct mech_ctx *ctx)
{
        struct ng_state *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        ctx->state = s;
        snprintf(s->path, sizeof(s->path), "/tmp/%s.nng", ctx->name);
        snprintf(s->url, sizeof(s->url), "ipc://%s", s->path);
        s->mine = malloc(ctx->size);
        s->theirs = malloc(ctx->size);
        if (!s->mine || !s->theirs) {
                return -ENOMEM;
        }
        fill(s->mine, ctx->size, 0x5a);
        fill(s->theirs, ctx->size, 0);
        return 0;
}

/* open_socket: the default receive limit (1 MiB) would drop a 1 MiB payload
 * with its header; lift it. */
static int open_socket(struct ng_state *s, int (*open_fn)(nng_socket *), nng_duration recv_ms)
{
        int rv = open_fn(&s->sock);
        if (rv) {
                return ng_err("open", rv);
        }
        s->open = 1;
        if ((rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, 0)) ||
            (rv = nng_socket_set_ms(s->sock, NNG_OPT_RECVTIMEO, recv_ms)) ||
            (rv = nng_socket_set_ms(s->sock, NNG_OPT_SENDTIMEO, CLIENT_TIMEOUT_MS))) {
                return ng_err("set option", rv);
        }
        return 0;
}

static void close_socket(struct ng_state *s)
{
        if (s->open) {
                nng_close(s->sock);
        }
        s->open = 0;
}

static void on_pipe_gone(nng_pipe p, nng_pipe_ev ev, void *arg)
{
        struct ng_state *s = arg;
        (void)p;
        (void)ev;
        atomic_store(&s->gone, 1);
}

/* serve_one: answer one request with our own payload of the same size.
 * Returns 1 to go on, 0 once the client has gone, or a negative errno. */
static int serve_one(struct ng_state *s, size_t size)
{
        size_t n = size;
        int rv = nng_recv(s->sock, s->theirs, &n, 0);
        if (rv == NNG_ETIMEDOUT) {
                return atomic_load(&s->gone) ? 0 : 1;
        }
        if (rv) {
                return ng_err("recv", rv);
        }
        if (n != size) {
                return -EPROTO;
        }
        rv = nng_send(s->sock, s->mine, size, 0);
        return rv ? ng_err("send", rv) : 1;
}

static int ng_serve(struct mech_ctx *ctx)
{
        struct ng_state *s = ctx->state;
        int rv, r = open_socket(s, nng_rep0_open, SERVER_POLL_MS);
        if (r == 0 && (rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, on_pipe_gone, s))) {
                r = ng_err("pipe_notify", rv);
        }
        if (r == 0 && (rv = nng_listen(s->sock, s->url, NULL, 0))) {
                r = ng_err("listen", rv);
        }
        if (r < 0) {
                close_socket(s);
                return r;
        }
        mech_ready(ctx, 0);
        while ((r = serve_one(s, ctx->size)) > 0) {
        }
        close_socket(s);
        return r;
}

static int ng_client_open(struct mech_ctx *ctx)
{
        struct ng_state *s = ctx->state;
        int rv, r = open_socket(s, nng_req0_open, CLIENT_TIMEOUT_MS);
        if (r == 0 && (rv = nng_dial(s->sock, s->url, NULL, 0))) {
                r = ng_err("dial", rv);
        }
        return r;
}

static int ng_round_trip(struct mech_ctx *ctx)
{
        struct ng_state *s = ctx->state;
        int rv = nng_send(s->sock, s->mine, ctx->size, 0);
        if (rv) {
                return ng_err("send", rv);
        }
        size_t n = ctx->size;
        rv = nng_recv(s->sock, s->theirs, &n, 0);
        if (rv) {
                return ng_err("recv", rv);
        }
        return n == ctx->size ? 0 : -EPROTO;
}

static void ng_client_close(struct mech_ctx *ctx)
{
        close_socket(ctx->state);
}

static void ng_teardown(struct mech_ctx *ctx)
{
        struct ng_state *s = ctx->state;
        if (s) {
                unlink(s->path);
                free(s->mine);
                free(s->theirs);
        }
        free(s);
        ctx->state = NULL;
}

const struct mech mech_nng = {
    .name = "nng",
    .setup = ng_setup,
    .serve = ng_serve,
    .client_open = ng_client_open,
    .round_trip = ng_round_trip,
    .client_close = ng_client_close,
    .teardown = ng_teardown,
};
