/* mech_ward.c: ward IPC, four ways: the copying path (ward_ipc_call and
 * ward_ipc_reply) and the zero-copy path (ward_ipc_buf_*), each with both sides
 * blocking (WARD_IPC_WAIT_BLOCK) or both spinning (WARD_IPC_WAIT_SPIN).
 *
 * Copying: to compare fairly with floor-shm, the server copies each request out
 * into a private buffer before it replies from another, and the client copies
 * each reply out. Zero-copy: each side writes only the first and the last cache
 * line of what it sends and reads only those of what it receives, so the time
 * should not grow with the size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ipc.h>
#include <ward/loop.h>

#include "mech.h"

#define CALL_TIMEOUT_NS 10000000000ull
#define MIN_POOL (4u << 20)

struct wd_state {
        uint32_t wait;
        int zerocopy;
        char addr[108];
        struct ward_ipc_options opts;
        size_t size;
        char *mine, *theirs;
        ward_loop *loop; /* the server's */
        ward_ipc_server *srv;
        int err;             /* the server's first failure */
        ward_ipc_conn *conn; /* the client's */
        uint64_t sink;       /* keeps zero-copy reads from being optimised away */
};

static int wd_setup(struct mech_ctx *ctx, uint32_t wait, int zerocopy)
{
        struct wd_state *s = calloc(1, sizeof(*s));
        if (!s) {
                return -ENOMEM;
        }
        ctx->state = s;
        s->wait = wait;
        s->zerocopy = zerocopy;
        s->size = ctx->size;
        snprintf(s->addr, sizeof(s->addr), "@%s", ctx->name);
        ward_ipc_options_init(&s->opts);
        s->opts.wait = wait;
        /* Room for a message in flight and one being built, whatever the size. */
        size_t pool = (ctx->size + 4095) / 4096 * 4096 * 4;
        s->opts.pool_bytes = pool < MIN_POOL ? MIN_POOL : pool > (1u << 30) ? 1u << 30 : pool;
        s->mine = malloc(ctx->size);
        s->theirs = malloc(ctx->size);
        if (!s->mine || !s->theirs) {
                return -ENOMEM;
        }
        fill(s->mine, ctx->size, 0x5a);
        fill(s->theirs, ctx->size, 0);
        return 0;
}

static int setup_block(struct mech_ctx *ctx)
{
        return wd_setup(ctx, WARD_IPC_WAIT_BLOCK, 0);
}

static int setup_spin(struct mech_ctx *ctx)
{
        return wd_setup(ctx, WARD_IPC_WAIT_SPIN, 0);
}

static int setup_zerocopy_block(struct mech_ctx *ctx)
{
        return wd_setup(ctx, WARD_IPC_WAIT_BLOCK, 1);
}

static int setup_zerocopy_spin(struct mech_ctx *ctx)
{
        return wd_setup(ctx, WARD_IPC_WAIT_SPIN, 1);
}

static int reply_copy(struct wd_state *s, ward_ipc_conn *c, const ward_ipc_msg *m)
{
        memcpy(s->theirs, ward_ipc_msg_data(m), s->size);
        return ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, s->mine, s->size);
}

static int reply_zerocopy(struct wd_state *s, ward_ipc_conn *c, const ward_ipc_msg *m)
{
        s->sink += touch_read(ward_ipc_msg_data(m), s->size);
        ward_ipc_buf *b;
        int r = ward_ipc_buf_alloc(c, s->size, CALL_TIMEOUT_NS, &b);
        if (r < 0) {
                return r;
        }
        touch_write(ward_ipc_buf_data(b), s->size, 0xa5);
        return ward_ipc_reply_buf(c, ward_ipc_msg_call_id(m), 0, b);
}

static void on_msg(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        struct wd_state *s = arg;
        int r = -EPROTO;
        if (ward_ipc_msg_len(m) == s->size && ward_ipc_msg_call_id(m) != 0) {
                r = s->zerocopy ? reply_zerocopy(s, c, m) : reply_copy(s, c, m);
        }
        if (r < 0 && !s->err) {
                s->err = r;
                ward_loop_stop(s->loop);
        }
}

/* The client closing its connection is the server's signal to stop. */
static void on_conn(ward_ipc_conn *c, int event, int error, void *arg)
{
        struct wd_state *s = arg;
        (void)c;
        (void)error;
        if (event == WARD_IPC_CLOSED) {
                ward_loop_stop(s->loop);
        }
}

static int wd_serve(struct mech_ctx *ctx)
{
        struct wd_state *s = ctx->state;
        int r = ward_loop_new(&s->loop);
        if (r == 0) {
                r = ward_ipc_server_new(s->loop, s->addr, &s->opts, on_msg, s, &s->srv);
        }
        if (r == 0) {
                r = ward_ipc_server_set_conn_handler(s->srv, on_conn, s);
        }
        if (r == 0) {
                mech_ready(ctx, 0);
                r = ward_loop_run(s->loop);
        }
        s->srv = ward_ipc_server_free(s->srv);
        s->loop = ward_loop_free(s->loop);
        return r < 0 ? r : s->err;
}

static int wd_client_open(struct mech_ctx *ctx)
{
        struct wd_state *s = ctx->state;
        return ward_ipc_connect(s->addr, &s->opts, &s->conn);
}

/* check_reply: the status and size this benchmark's server always sends. */
static int check_reply(struct wd_state *s, const ward_ipc_msg *rep)
{
        if (ward_ipc_msg_status(rep) != 0 || ward_ipc_msg_len(rep) != s->size) {
                ward_ipc_msg_release(s->conn, rep);
                return -EPROTO;
        }
        return 0;
}

static int round_trip_copy(struct mech_ctx *ctx)
{
        struct wd_state *s = ctx->state;
        const ward_ipc_msg *rep;
        int r = ward_ipc_call(s->conn, s->mine, s->size, CALL_TIMEOUT_NS, &rep);
        if (r < 0 || (r = check_reply(s, rep)) < 0) {
                return r;
        }
        memcpy(s->theirs, ward_ipc_msg_data(rep), s->size);
        ward_ipc_msg_release(s->conn, rep);
        return 0;
}

static int round_trip_zerocopy(struct mech_ctx *ctx)
{
        struct wd_state *s = ctx->state;
        ward_ipc_buf *b;
        int r = ward_ipc_buf_alloc(s->conn, s->size, CALL_TIMEOUT_NS, &b);
        if (r < 0) {
                return r;
        }
        touch_write(ward_ipc_buf_data(b), s->size, 0x5a);
        const ward_ipc_msg *rep;
        r = ward_ipc_call_buf(s->conn, b, CALL_TIMEOUT_NS, &rep);
        if (r < 0 || (r = check_reply(s, rep)) < 0) {
                return r;
        }
        s->sink += touch_read(ward_ipc_msg_data(rep), s->size);
        ward_ipc_msg_release(s->conn, rep);
        return 0;
}

static void wd_client_close(struct mech_ctx *ctx)
{
        struct wd_state *s = ctx->state;
        s->conn = ward_ipc_conn_close(s->conn);
}

static void wd_teardown(struct mech_ctx *ctx)
{
        struct wd_state *s = ctx->state;
        if (s) {
                free(s->mine);
                free(s->theirs);
        }
        free(s);
        ctx->state = NULL;
}

#define WARD_MECH(var, label, setup_fn, trip_fn)                                                   \
        const struct mech var = {                                                                  \
            .name = label,                                                                         \
            .setup = setup_fn,                                                                     \
            .serve = wd_serve,                                                                     \
            .client_open = wd_client_open,                                                         \
            .round_trip = trip_fn,                                                                 \
            .client_close = wd_client_close,                                                       \
            .teardown = wd_teardown,                                                               \
        }

WARD_MECH(mech_ward_block, "ward-block", setup_block, round_trip_copy);
WARD_MECH(mech_ward_spin, "ward-spin", setup_spin, round_trip_copy);
WARD_MECH(mech_ward_zerocopy_block, "ward-zerocopy-block", setup_zerocopy_block,
          round_trip_zerocopy);
WARD_MECH(mech_ward_zerocopy_spin, "ward-zerocopy-spin", setup_zerocopy_spin, round_trip_zerocopy);
