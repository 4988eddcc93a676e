/* How a connection ends: failing (the peer broke or left), closing (the
 * application asked), and finishing either once no callback of it is running. */
#include <errno.h>

#include "ipc/ipc-internal.h"
#include "ipc/wake.h"

/* silence: stop the loop from watching a connection that can do no more. */
static void silence(ward_ipc_conn *c)
{
        c->more_src = ward_source_free(c->more_src);
        c->wake_src = ward_source_free(c->wake_src);
        c->sock_src = ward_source_free(c->sock_src);
        c->pid_src = ward_source_free(c->pid_src);
        c->poll_src = ward_source_free(c->poll_src);
}

static void on_failed(void *arg)
{
        ward_ipc_conn *c = arg;
        c->fail_src = NULL; /* the loop frees a defer source after running it */
        c->depth++;
        ward__conn_cancel_calls(c, c->error);
        c->depth--;
        if (c->is_server_side) {
                c->closing = 1;
        }
        ward__conn_maybe_finish(c);
}

void ward__conn_fail(ward_ipc_conn *c, int err)
{
        if (c->error) {
                return;
        }
        c->error = err;
        /* a waiter of ours in the peer may sleep on our words; nothing to do: it
         * learns from the socket. Our own loop learns from a deferred call, so no
         * callback runs inside the code that found the failure. */
        if (c->loop) {
                silence(c);
                if (!c->fail_src) {
                        ward_loop_add_defer(c->loop, on_failed, c, &c->fail_src);
                }
        }
}

int ward__conn_busy(const ward_ipc_conn *c)
{
        return c->depth > 0 || c->sync_id;
}

void ward__conn_abandon(ward_ipc_conn *c)
{
        c->closing = 1;
        if (c->loop) {
                silence(c);
                c->fail_src = ward_source_free(c->fail_src); /* its calls end without a call */
        }
}

int ward__conn_maybe_finish(ward_ipc_conn *c)
{
        if (!c->closing || ward__conn_busy(c)) {
                return 0;
        }
        if (c->is_server_side && c->srv) {
                ward__server_conn_closed(c->srv, c);
        } else {
                ward__conn_destroy(c);
        }
        return 1;
}

ward_ipc_conn *ward_ipc_conn_close(ward_ipc_conn *c)
{
        if (!c || c->closing) {
                return NULL;
        }
        c->closing = 1;
        c->closing_by_us = !c->error;
        ward__conn_say_bye(c);
        if (c->loop) {
                silence(c);
        }
        c->depth++;
        ward__conn_cancel_calls(c, -ECANCELED);
        c->depth--;
        ward__conn_maybe_finish(c);
        return NULL;
}
