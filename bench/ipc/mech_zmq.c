/* mech_zmq.c: zeromq, REQ/REP over ipc:// (a UNIX stream socket plus zmq's
 * I/O threads). An empty request tells the server to stop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

#include "mech.h"

#define TIMEOUT_MS 10000
#define CLOSE_LINGER_MS 1000 /* long enough for the stop request to leave */

struct zq_state {
        char path[128]; /* the socket file */
        char url[140];
        void *zctx, *sock;
        char *mine, *theirs;
};

static int zq_err(void)
{
        return -zmq_errno();
}

static int zq_setup(struct mech_ctx *ctx)
{
        struct zq_state *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        ctx->state = s;
        snprintf(s->path, sizeof(s->path), "/tmp/%s.zmq", ctx->name);
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

static int open_socket(struct zq_state *s, int type, int linger_ms)
{
        int timeout = TIMEOUT_MS;
        s->zctx = zmq_ctx_new();
        if (!s->zctx) {
                return zq_err();
        }
        s->sock = zmq_socket(s->zctx, type);
        if (!s->sock) {
                return zq_err();
        }
        if (zmq_setsockopt(s->sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms)) < 0 ||
            zmq_setsockopt(s->sock, ZMQ_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
            zmq_setsockopt(s->sock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout)) < 0) {
                return zq_err();
        }
        return 0;
}

static void close_socket(struct zq_state *s)
{
        if (s->sock) {
                zmq_close(s->sock);
        }
        if (s->zctx) {
                zmq_ctx_term(s->zctx);
        }
        s->sock = s->zctx = NULL;
}

/* serve_one: receive a request (zmq has already copied it out of the socket
 * into a message of its own) and answer with our own payload of the same size. Returns 1 to go on,
 * 0 on the stop request, or a negative errno. */
static int serve_one(struct zq_state *s, size_t size)
{
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        int n = zmq_msg_recv(&msg, s->sock, 0);
        zmq_msg_close(&msg);
        if (n < 0) {
                return zmq_errno() == EAGAIN ? 1 : zq_err(); /* idle: keep waiting */
        }
        if (n == 0) {
                return 0;
        }
        if ((size_t)n != size) {
                return -EPROTO;
        }
        return zmq_send(s->sock, s->mine, size, 0) < 0 ? zq_err() : 1;
}

static int zq_serve(struct mech_ctx *ctx)
{
        struct zq_state *s = ctx->state;
        int r = open_socket(s, ZMQ_REP, 0);
        if (r == 0 && zmq_bind(s->sock, s->url) < 0) {
                r = zq_err();
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

static int zq_client_open(struct mech_ctx *ctx)
{
        struct zq_state *s = ctx->state;
        int r = open_socket(s, ZMQ_REQ, CLOSE_LINGER_MS);
        if (r == 0 && zmq_connect(s->sock, s->url) < 0) {
                r = zq_err();
        }
        return r;
}

static int zq_round_trip(struct mech_ctx *ctx)
{
        struct zq_state *s = ctx->state;
        if (zmq_send(s->sock, s->mine, ctx->size, 0) < 0) {
                return zq_err();
        }
        int n = zmq_recv(s->sock, s->theirs, ctx->size, 0);
        if (n < 0) {
                return zq_err();
        }
        return (size_t)n == ctx->size ? 0 : -EPROTO;
}

static void zq_client_close(struct mech_ctx *ctx)
{
        struct zq_state *s = ctx->state;
        if (s->sock) {
                zmq_send(s->sock, "", 0, 0);
        }
        close_socket(s);
}

static void zq_teardown(struct mech_ctx *ctx)
{
        struct zq_state *s = ctx->state;
        if (s) {
                unlink(s->path);
                free(s->mine);
                free(s->theirs);
        }
        free(s);
        ctx->state = NULL;
}

const struct mech mech_zeromq = {
    .name = "zeromq",
    .setup = zq_setup,
    .serve = zq_serve,
    .client_open = zq_client_open,
    .round_trip = zq_round_trip,
    .client_close = zq_client_close,
    .teardown = zq_teardown,
};
