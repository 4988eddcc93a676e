/* Driving a connection from a ward loop: the doorbell (a byte from the peer
 * when we sleep), the socket (its BYE, its end), the peer's pidfd (the end of
 * its process), a poll source for the spinning policies, a timer for call
 * deadlines. Each turn takes a bounded batch of records, so a peer that keeps
 * its ring full cannot starve the loop's other sources.
 *
 * The doorbell is watched edge-triggered and read only every WAKES_PER_DRAIN
 * wake-ups: every byte that arrives is an edge, and the peer sends at most one
 * byte per sleep we announce, so a few dozen bytes wait at most. That keeps a
 * wake-up at one syscall on each side (send; epoll_wait), like a pipe's. */

#define WAKES_PER_DRAIN 32
#include <errno.h>
#include <sys/epoll.h>

#include "ipc/ipc-internal.h"
#include "ipc/wake.h"

static void on_more(void *arg);

/* rest: announce that we sleep in the loop; if records raced in, come back on
 * the next turn of the loop instead of draining here without end. */
static void rest(ward_ipc_conn *c)
{
        struct ward__ipc_chan_ctl *ctl = c->rx.ctl;
        if (c->error || c->closing) {
                return;
        }
        atomic_store(&ctl->consumer_sleep, WARD__IPC_SLEEP_LOOP);
        atomic_thread_fence(memory_order_seq_cst); /* announce, then look: never the reverse */
        if (!ward__ring_rx_ready(&c->rx)) {
                return;
        }
        atomic_store(&ctl->consumer_sleep, WARD__IPC_AWAKE);
        if (!c->more_src) {
                ward_loop_add_defer(c->loop, on_more, c, &c->more_src);
        }
}

/* after_dispatch: finish a close requested from a callback. 1 if c is gone. */
static int after_dispatch(ward_ipc_conn *c)
{
        return ward__conn_maybe_finish(c);
}

/* turn: one bounded batch, then rest (block policy) or leave it to the poll source. */
static void turn(ward_ipc_conn *c)
{
        ward__conn_dispatch(c);
        if (after_dispatch(c)) {
                return;
        }
        c->last_work_ns = ward_now_ns();
        if (c->opts.wait == WARD_IPC_WAIT_BLOCK) {
                rest(c);
        }
}

static void on_more(void *arg)
{
        ward_ipc_conn *c = arg;
        c->more_src = NULL; /* the loop frees a defer source after running it */
        turn(c);
}

static void on_socket(ward_source *s, int fd, uint32_t events, void *arg)
{
        ward_ipc_conn *c = arg;
        (void)s, (void)fd, (void)events;
        c->depth++;
        ward__conn_read_socket(c);
        c->depth--;
        after_dispatch(c);
}

/* on_peer_exit: the peer's process has exited (its pidfd is readable), even
 * if a child of it still holds the socket. */
static void on_peer_exit(ward_source *s, int fd, uint32_t events, void *arg)
{
        ward_ipc_conn *c = arg;
        (void)s, (void)fd, (void)events;
        c->depth++;
        ward__conn_peer_exited(c);
        c->depth--;
        after_dispatch(c);
}

static void on_wake(ward_source *s, int fd, uint32_t events, void *arg)
{
        ward_ipc_conn *c = arg;
        (void)s, (void)fd;
        if (++c->wakes >= WAKES_PER_DRAIN || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
                c->depth++;
                ward__conn_drain_doorbell(c);
                c->depth--;
        }
        turn(c);
}

static int on_poll(ward_source *s, void *arg)
{
        ward_ipc_conn *c = arg;
        (void)s;
        if (c->error || c->closing) {
                return WARD_POLL_IDLE;
        }
        int n = ward__conn_dispatch(c);
        if (after_dispatch(c)) {
                return WARD_POLL_BUSY;
        }
        uint64_t now = ward_now_ns();
        if (n > 0) {
                c->last_work_ns = now;
                return WARD_POLL_BUSY;
        }
        if (n < 0 || c->opts.wait == WARD_IPC_WAIT_SPIN) {
                return n < 0 ? WARD_POLL_IDLE : WARD_POLL_BUSY;
        }
        if (now - c->last_work_ns < c->opts.spin_ns) {
                return WARD_POLL_BUSY;
        }
        atomic_store(&c->rx.ctl->consumer_sleep, WARD__IPC_SLEEP_LOOP);
        atomic_thread_fence(memory_order_seq_cst); /* announce, then look */
        if (ward__ring_rx_ready(&c->rx)) {
                atomic_store(&c->rx.ctl->consumer_sleep, WARD__IPC_AWAKE);
                return WARD_POLL_BUSY;
        }
        return WARD_POLL_IDLE;
}

static void on_timer(ward_source *s, uint64_t expirations, void *arg)
{
        ward_ipc_conn *c = arg;
        (void)s, (void)expirations;
        c->depth++;
        ward__conn_expire_calls(c, ward_now_ns());
        c->depth--;
        if (!after_dispatch(c)) {
                ward__conn_update_timer(c);
        }
}

void ward__conn_update_timer(ward_ipc_conn *c)
{
        if (!c->timer_src) {
                return;
        }
        uint64_t next = ward__calls_next_deadline(&c->calls);
        if (next == UINT64_MAX) {
                ward_source_set_timer(c->timer_src, 0, 0);
                return;
        }
        uint64_t now = ward_now_ns();
        ward_source_set_timer(c->timer_src, next > now ? next - now : 1, 0);
}

void ward__conn_rearm(ward_ipc_conn *c)
{
        if (c->loop && c->opts.wait == WARD_IPC_WAIT_BLOCK) {
                rest(c);
        }
        c->last_work_ns = ward_now_ns();
}

int ward__conn_attach(ward_ipc_conn *c, ward_loop *loop)
{
        c->loop = loop; /* rest() may schedule on it */
        int r = ward_loop_add_io(loop, c->sock, EPOLLIN | EPOLLRDHUP, on_socket, c, &c->sock_src);
        if (r >= 0) {
                r = ward_loop_add_io(loop, c->wake_fd, EPOLLIN | EPOLLRDHUP | EPOLLET, on_wake, c,
                                     &c->wake_src);
        }
        if (r >= 0 && c->pidfd >= 0) {
                r = ward_loop_add_io(loop, c->pidfd, EPOLLIN, on_peer_exit, c, &c->pid_src);
        }
        if (r >= 0) {
                r = ward_loop_add_timer(loop, 0, 0, on_timer, c, &c->timer_src);
        }
        if (r >= 0) {
                r = ward_source_set_timer(c->timer_src, 0, 0);
        }
        if (r >= 0 && c->opts.wait != WARD_IPC_WAIT_BLOCK) {
                r = ward_loop_add_poll(loop, on_poll, c, &c->poll_src);
        }
        if (r < 0) {
                ward__conn_detach(c);
                return r;
        }
        c->loop = loop;
        ward__conn_rearm(c);
        return 0;
}

void ward__conn_detach(ward_ipc_conn *c)
{
        c->more_src = ward_source_free(c->more_src);
        c->wake_src = ward_source_free(c->wake_src);
        c->sock_src = ward_source_free(c->sock_src);
        c->pid_src = ward_source_free(c->pid_src);
        c->timer_src = ward_source_free(c->timer_src);
        c->poll_src = ward_source_free(c->poll_src);
        c->fail_src = ward_source_free(c->fail_src);
        c->loop = NULL;
}

int ward_ipc_conn_attach(ward_ipc_conn *c, ward_loop *loop)
{
        if (!c || !loop) {
                return -EINVAL;
        }
        if (ward__conn_forked(c)) {
                return -ECHILD;
        }
        return c->loop ? -EBUSY : ward__conn_attach(c, loop);
}
