/* mech_pipe.c: floor-pipe, plain pipe ping-pong: the kernel's blocking floor.
 * The client writes size bytes to pipe a, the server reads them all and writes
 * them back on pipe b. Sizes beyond the pipe buffer take several partial reads
 * and writes, which is what any stream transport pays. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "mech.h"

struct pipe_state {
        int a[2]; /* client -> server */
        int b[2]; /* server -> client */
        char *req, *rep;
};

/* Returns 1 when n bytes were read, 0 on end of file before the first byte. */
static int read_exact(int fd, char *p, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, p + got, n - got);
                if (k < 0 && errno == EINTR) {
                        continue;
                }
                if (k < 0) {
                        return -errno;
                }
                if (k == 0) {
                        return got ? -EPIPE : 0;
                }
                got += (size_t)k;
        }
        return 1;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR) {
                        continue;
                }
                if (k < 0) {
                        return -errno;
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

static int pipe_setup(struct mech_ctx *ctx)
{
        struct pipe_state *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        ctx->state = s;
        s->a[0] = s->a[1] = s->b[0] = s->b[1] = -1;
        if (pipe2(s->a, O_CLOEXEC) < 0) {
                return -errno;
        }
        if (pipe2(s->b, O_CLOEXEC) < 0) {
                close_fd(&s->a[0]);
                close_fd(&s->a[1]);
                return -errno;
        }
        return 0;
}

/* The children now hold the ends they use; the parent's copies would keep the
 * server from ever seeing end of file. */
static void pipe_release(struct mech_ctx *ctx)
{
        struct pipe_state *s = ctx->state;
        close_fd(&s->a[0]);
        close_fd(&s->a[1]);
        close_fd(&s->b[0]);
        close_fd(&s->b[1]);
}

static int pipe_serve(struct mech_ctx *ctx)
{
        struct pipe_state *s = ctx->state;
        close_fd(&s->a[1]);
        close_fd(&s->b[0]);
        char *buf = malloc(ctx->size);
        if (!buf) {
                return -ENOMEM;
        }
        mech_ready(ctx, 0);
        int r;
        while ((r = read_exact(s->a[0], buf, ctx->size)) > 0) {
                r = write_all(s->b[1], buf, ctx->size);
                if (r < 0) {
                        break;
                }
        }
        free(buf);
        return r;
}

static int pipe_client_open(struct mech_ctx *ctx)
{
        struct pipe_state *s = ctx->state;
        close_fd(&s->a[0]);
        close_fd(&s->b[1]);
        s->req = malloc(ctx->size);
        s->rep = malloc(ctx->size);
        if (!s->req || !s->rep) {
                return -ENOMEM;
        }
        fill(s->req, ctx->size, 0x5a);
        fill(s->rep, ctx->size, 0);
        return 0;
}

static int pipe_round_trip(struct mech_ctx *ctx)
{
        struct pipe_state *s = ctx->state;
        int r = write_all(s->a[1], s->req, ctx->size);
        if (r < 0) {
                return r;
        }
        r = read_exact(s->b[0], s->rep, ctx->size);
        return r > 0 ? 0 : r == 0 ? -EPIPE : r;
}

/* Closing our ends is the server's signal to stop. */
static void pipe_client_close(struct mech_ctx *ctx)
{
        struct pipe_state *s = ctx->state;
        close_fd(&s->a[1]);
        close_fd(&s->b[0]);
        free(s->req);
        free(s->rep);
}

static void pipe_teardown(struct mech_ctx *ctx)
{
        if (ctx->state) {
                pipe_release(ctx);
        }
        free(ctx->state);
        ctx->state = NULL;
}

const struct mech mech_floor_pipe = {
    .name = "floor-pipe",
    .setup = pipe_setup,
    .release = pipe_release,
    .serve = pipe_serve,
    .client_open = pipe_client_open,
    .round_trip = pipe_round_trip,
    .client_close = pipe_client_close,
    .teardown = pipe_teardown,
};
