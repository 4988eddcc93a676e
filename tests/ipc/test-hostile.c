/* Hostile peers that follow the wire format but not the manners: regression
 * tests for the review's reproducers.
 *
 * - a client that keeps refilling its ring with valid one-way records must
 *   not starve the server's loop (dispatch takes a bounded batch per turn);
 * - a server that keeps sending one-way records must not stretch a sync call
 *   past its deadline;
 * - a client handler that closes its connection while ward_ipc_call waits ends
 *   the call with -ECANCELED, at once;
 * - one-way messages sent right before ward_ipc_conn_close all arrive;
 * - a peer that never reads its doorbell, fills the other one and makes its
 *   end blocking does not block the other side's sends.
 *
 * The hostile peers write into the shared mapping (ward__ipc_conn_shm and the
 * layout of src/ipc/layout.h, as test-scribble.c does) and use the internal
 * connection (the doorbell descriptor). Each case arms alarm() as a bound on
 * hanging: the default action of SIGALRM ends the test. */
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "ipc-util.h"
#include "ipc/ipc-internal.h"
#include "ipc/ipc-test-hooks.h"
#include "ipc/layout.h"
#include "ipc/wake.h"

#define RING (64u << 10)
#define POOL (64u << 10)
#define HANG_BOUND_S 30 /* per case; generous for sanitizers */

static struct ward_ipc_options small_opts(enum ward_ipc_wait wait)
{
        struct ward_ipc_options o = tu_opts(wait);
        o.ring_bytes = RING;
        o.pool_bytes = POOL;
        return o;
}

/* The hostile side's view of the mapping. */
struct view {
        uint8_t *base;
        size_t len;
        struct ward__ipc_layout lay;
        const struct ward__ipc_chan_layout *out; /* the direction this side writes */
        struct ward__ipc_chan_ctl *out_ctl;
        struct ward__ipc_chan_ctl *in_ctl; /* the direction this side reads */
        uint8_t *ring;
};

static void view_of(ward_ipc_conn *c, int server_side, struct view *v)
{
        void *base;
        ASSERT_OK(ward__ipc_conn_shm(c, &base, &v->len));
        v->base = base;
        ASSERT_OK(ward__ipc_layout_compute(RING, POOL, RING, POOL, &v->lay));
        if (v->lay.total != v->len) {
                TEST_FAIL("mapping is %zu bytes, layout.h says %zu: update this test", v->len,
                          v->lay.total);
        }
        v->out = server_side ? &v->lay.s2c : &v->lay.c2s;
        const struct ward__ipc_chan_layout *in = server_side ? &v->lay.c2s : &v->lay.s2c;
        v->out_ctl = (struct ward__ipc_chan_ctl *)(void *)(v->base + v->out->ctl_off);
        v->in_ctl = (struct ward__ipc_chan_ctl *)(void *)(v->base + in->ctl_off);
        v->ring = v->base + v->out->ring_off;
}

/* fill_oneways: the whole outgoing ring as valid 64-byte one-way records
 * (24-byte header, 40 zero bytes), so that any head = tail + cap, with tail a
 * multiple of 64, exposes a ring full of good messages. */
static void fill_oneways(struct view *v)
{
        ASSERT_EQ(sizeof(struct ward__ipc_rec), 24);
        for (uint32_t off = 0; off < v->out->ring_bytes; off += 64) {
                struct ward__ipc_rec h = {.size = 40, .type = WARD__IPC_REC_ONEWAY};
                memset(v->ring + off, 0, 64);
                memcpy(v->ring + off, &h, sizeof(h));
        }
}

/* refill: make the ring full again, and ring the bell if the consumer sleeps. */
static void refill(ward_ipc_conn *c, struct view *v)
{
        struct ward__ipc_chan_ctl *ctl = v->out_ctl;
        uint64_t t = atomic_load(&ctl->tail);
        atomic_store(&ctl->head, t + v->out->ring_bytes);
        ward__wake_if_sleeping(&ctl->consumer_sleep, &ctl->consumer_futex, c->wake_fd);
}

/* ---- an in-process server, driven by ward_loop_run_once ---- */

static void server_open(struct tu_inproc *s, const char *tag, enum ward_ipc_wait wait)
{
        struct ward_ipc_options o = small_opts(wait);
        tu_inproc_open(s, tag, &o);
}

/* drive_until_readable: run the loop until fd is readable (within ms). */
static void drive_until_readable(struct tu_inproc *s, int fd, unsigned ms)
{
        uint64_t t0 = ward_now_ns();
        while (!tu_readable(fd)) {
                if (tu_ms_since(t0) > ms) {
                        TEST_FAIL("nothing from the child within %u ms", ms);
                }
                ASSERT_OK(ward_loop_run_once(s->loop, 5 * TU_MS));
        }
}

/* ---- (1a) a client that keeps refilling its ring ---- */

static void refilling_client(const char *addr, int stop_fd, int ready_fd)
{
        struct ward_ipc_options o = small_opts(WARD_IPC_WAIT_BLOCK);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        struct view v;
        view_of(c, 0, &v);
        fill_oneways(&v);
        refill(c, &v);
        tu_write_full(ready_fd, "r", 1);
        while (!tu_readable(stop_fd)) {
                refill(c, &v);
                tu_sleep_ms(2);
        }
        _exit(0);
}

static void run_refilling_client(enum ward_ipc_wait server_wait)
{
        struct tu_inproc s;
        server_open(&s, "refill", server_wait);
        int stop[2], ready[2];
        tu_pipe(stop);
        tu_pipe(ready);
        pid_t bad = tu_fork();
        if (bad == 0) {
                close(stop[1]);
                close(ready[0]);
                refilling_client(s.addr, stop[0], ready[1]);
        }
        close(stop[0]);
        close(ready[1]);
        drive_until_readable(&s, ready[0], 5000);
        tu_drive_ms(s.loop, 100);
        ASSERT_TRUE(s.oneway_seen > 0);

        uint64_t t0 = ward_now_ns();
        int before = s.oneway_seen;
        pid_t good = tu_good_client(s.addr, 20);
        tu_check_exit0(good, tu_drive_child(s.loop, good, 10000));
        fprintf(stderr,
                "   server %s: good client's 20 calls took %" PRIu64
                " ms while the bad one sent %d one-way records\n",
                tu_wait_name(server_wait), tu_ms_since(t0), s.oneway_seen - before);
        /* the flood went on meanwhile: the good client was served during it */
        ASSERT_TRUE(s.oneway_seen > before);

        tu_write_full(stop[1], "x", 1);
        close(stop[1]);
        close(ready[0]);
        tu_check_exit0(bad, tu_drive_child(s.loop, bad, 5000));
        t0 = ward_now_ns();
        while (ward_ipc_server_count(s.srv) > 0 && tu_ms_since(t0) < 3000) {
                ASSERT_OK(ward_loop_run_once(s.loop, 5 * TU_MS));
        }
        ASSERT_EQ(ward_ipc_server_count(s.srv), 0);
        tu_inproc_close(&s);
}

TEST(refilling_client_does_not_starve_server)
{
        alarm(HANG_BOUND_S);
        run_refilling_client(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        run_refilling_client(WARD_IPC_WAIT_BLOCK);
        alarm(0);
}

/* ---- (1b) a server that keeps sending one-way records ---- */

/* On the first message: fill the ring and refill it forever, never returning
 * to the loop (the test kills this child). */
static void refilling_server(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)m, (void)arg;
        struct view v;
        view_of(c, 1, &v);
        fill_oneways(&v);
        for (;;) {
                refill(c, &v);
                tu_sleep_ms(1);
        }
}

static int pushes_seen;

static void count_pushes(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c, (void)m, (void)arg;
        pushes_seen++;
}

static void run_refilling_server(enum ward_ipc_wait wait)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "refill-srv");
        struct ward_ipc_options o = small_opts(wait);
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = refilling_server};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        pushes_seen = 0;
        ward_ipc_conn_set_handler(c, count_pushes, NULL);
        ASSERT_OK(ward_ipc_send(c, "go", 2));
        tu_sleep_ms(20);

        const ward_ipc_msg *rep;
        uint64_t t0 = ward_now_ns();
        int r = ward_ipc_call(c, "q", 1, 300 * TU_MS, &rep);
        uint64_t ms = tu_ms_since(t0);
        fprintf(stderr,
                "   %s: call(300 ms) returned %d (%s) after %" PRIu64
                " ms, %d one-way records dispatched meanwhile\n",
                tu_wait_name(wait), r, ward_strerror(r), ms, pushes_seen);
        ASSERT_ERRNO(r, ETIMEDOUT);
        ASSERT_TRUE(ms < 5000);
        ASSERT_TRUE(pushes_seen > 0);
        ward_ipc_conn_close(c);
        tu_kill(srv);
}

TEST(refilling_server_does_not_stretch_call)
{
        alarm(HANG_BOUND_S);
        run_refilling_server(WARD_IPC_WAIT_BLOCK);
        run_refilling_server(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        run_refilling_server(WARD_IPC_WAIT_SPIN);
        alarm(0);
}

/* ---- (2) a handler closes its connection while ward_ipc_call waits ---- */

/* Push a one-way message, then reply: the push reaches the client first. */
static void push_then_reply(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        if (id == 0) {
                return;
        }
        TU_CHILD_CHECK(ward_ipc_send(c, "bye", 3) == 0);
        TU_CHILD_CHECK(ward_ipc_reply(c, id, 0, "pong", 4) == 0);
}

static int closes_in_handler;

static void close_on_push(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)m, (void)arg;
        closes_in_handler++;
        ward_ipc_conn_close(c);
}

static void run_close_in_handler(enum ward_ipc_wait wait)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "close-in-call");
        struct ward_ipc_options o = tu_opts(wait);
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = push_then_reply};
        pid_t srv = tu_server_start(&cfg);
        for (int i = 0; i < 5; i++) {
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, &o, &c));
                ward_ipc_conn_set_handler(c, close_on_push, NULL);
                closes_in_handler = 0;
                const ward_ipc_msg *rep;
                uint64_t t0 = ward_now_ns();
                int r = ward_ipc_call(c, "ping", 4, 5 * TU_SEC, &rep);
                uint64_t ms = tu_ms_since(t0);
                if (i == 0) {
                        fprintf(stderr, "   %s: call returned %d (%s) after %" PRIu64 " ms\n",
                                tu_wait_name(wait), r, ward_strerror(r), ms);
                }
                /* c is gone now: the call freed it on the way out */
                ASSERT_ERRNO(r, ECANCELED);
                ASSERT_EQ(closes_in_handler, 1);
                ASSERT_TRUE(ms < 2000);
        }
        tu_server_stop(srv);
}

TEST(close_in_handler_cancels_call)
{
        alarm(HANG_BOUND_S);
        run_close_in_handler(WARD_IPC_WAIT_BLOCK);
        run_close_in_handler(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        run_close_in_handler(WARD_IPC_WAIT_SPIN);
        alarm(0);
}

/* ---- (3) one-way messages sent right before close all arrive ---- */

#define LAST_WORDS 200

static int report_fd = -1;
static int child_count;

static void count_msgs(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)c, (void)m, (void)arg;
        child_count++;
}

static void report_on_close(ward_ipc_conn *c, int event, int error, void *arg)
{
        (void)c, (void)arg;
        if (event == WARD_IPC_CONNECTED) {
                child_count = 0;
        } else if (event == WARD_IPC_CLOSED) {
                int v[2] = {child_count, error};
                tu_write_full(report_fd, v, sizeof(v));
        }
}

static void setup_report(ward_loop *loop, ward_ipc_server *srv, void *arg)
{
        (void)loop, (void)arg;
        TU_CHILD_CHECK(ward_ipc_server_set_conn_handler(srv, report_on_close, NULL) == 0);
}

static void run_last_words(enum ward_ipc_wait wait, int runs)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "last-words");
        int rep[2];
        tu_pipe(rep);
        report_fd = rep[1];
        struct ward_ipc_options o = tu_opts(wait);
        struct tu_server cfg = {
            .addr = addr, .opts = &o, .on_msg = count_msgs, .setup = setup_report};
        pid_t srv = tu_server_start(&cfg);
        close(rep[1]);
        report_fd = -1;
        int lost = 0;
        for (int run = 0; run < runs; run++) {
                ward_ipc_conn *c;
                ASSERT_OK(ward_ipc_connect(addr, &o, &c));
                for (int i = 0; i < LAST_WORDS; i++) {
                        ASSERT_OK(ward_ipc_send(c, "m", 1));
                }
                ward_ipc_conn_close(c);
                int v[2];
                ASSERT_EQ(tu_read_full(rep[0], v, sizeof(v), 5000), sizeof(v));
                if (v[0] != LAST_WORDS || v[1] != 0) {
                        fprintf(stderr, "   %s run %d: server got %d of %d, CLOSED error %d\n",
                                tu_wait_name(wait), run, v[0], LAST_WORDS, v[1]);
                        lost++;
                }
        }
        ASSERT_EQ(lost, 0);
        close(rep[0]);
        tu_server_stop(srv);
}

TEST(oneways_before_close_arrive)
{
        alarm(HANG_BOUND_S);
        run_last_words(WARD_IPC_WAIT_BLOCK, 20);
        run_last_words(WARD_IPC_WAIT_SPIN_THEN_BLOCK, 5);
        alarm(0);
}

/* ---- (4) a peer that never reads its doorbell and jams the other one ---- */

struct jam_stats {
        int replies_before; /* replies it saw while its doorbell filled up */
        int queued_before;  /* bytes waiting in its own doorbell after phase 1 */
        int written;        /* bytes it pushed into the server's doorbell */
        int replies_after;  /* replies it still saw once both doorbells were jammed */
};

/* One request; with wait_ms, wait for its reply (the s2c head moves). Replies
 * are thrown away by moving our tail to the head. Before each request the
 * client claims to sleep in its loop, so the server rings our doorbell. */
static int jam_request(ward_ipc_conn *c, struct view *v, uint64_t id, unsigned wait_ms)
{
        struct ward__ipc_chan_ctl *in = v->in_ctl;
        uint64_t h0 = atomic_load(&in->head);
        atomic_store(&in->tail, h0);
        atomic_store(&in->consumer_sleep, WARD__IPC_SLEEP_LOOP);
        if (ward__conn_send(c, WARD__IPC_REC_REQUEST, id, 0, "x", 1) < 0) {
                return 0;
        }
        uint64_t t0 = ward_now_ns();
        while (atomic_load(&in->head) == h0) {
                if (tu_ms_since(t0) >= wait_ms) {
                        return 0;
                }
                sched_yield();
        }
        atomic_store(&in->tail, atomic_load(&in->head));
        return 1;
}

static void jamming_client(const char *addr, int stop_fd, int report_fd_)
{
        struct ward_ipc_options o = small_opts(WARD_IPC_WAIT_BLOCK);
        o.send_timeout_ns = 100 * TU_MS;
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        struct view v;
        view_of(c, 0, &v);
        int fd = c->wake_fd;
        uint64_t id = 1;
        struct jam_stats st = {0};

        /* phase 1: let the server's wake-ups pile up in our doorbell, unread */
        for (int i = 0; i < 3000; i++) {
                st.replies_before += jam_request(c, &v, id++, 1000);
        }
        ASSERT_SYS(ioctl(fd, FIONREAD, &st.queued_before));

        /* phase 2: fill the server's doorbell from our end, then make our end
         * (the descriptor both our copies share) blocking */
        int fl = fcntl(fd, F_GETFL);
        ASSERT_SYS(fl);
        ASSERT_SYS(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
        static char junk[4096];
        memset(junk, 0x5a, sizeof(junk));
        for (;;) {
                ssize_t n = send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR) {
                        continue;
                }
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        break;
                }
                ASSERT_SYS(n);
                st.written += (int)n;
        }
        ASSERT_SYS(fcntl(fd, F_SETFL, fl & ~O_NONBLOCK));
        tu_write_full(report_fd_, "r", 1);

        /* phase 3: keep asking, never reading the doorbell */
        while (!tu_readable(stop_fd)) {
                st.replies_after += jam_request(c, &v, id++, 10);
        }
        tu_write_full(report_fd_, &st, sizeof(st));
        _exit(0);
}

static void run_jammed_doorbell(enum ward_ipc_wait server_wait)
{
        struct tu_inproc s;
        server_open(&s, "jam", server_wait);
        int stop[2], rep[2];
        tu_pipe(stop);
        tu_pipe(rep);
        pid_t bad = tu_fork();
        if (bad == 0) {
                close(stop[1]);
                close(rep[0]);
                jamming_client(s.addr, stop[0], rep[1]);
        }
        close(stop[0]);
        close(rep[1]);
        drive_until_readable(&s, rep[0], 10000);
        char b;
        ASSERT_EQ(tu_read_full(rep[0], &b, 1, 1000), 1);

        /* the server rings the jammed doorbell on every reply to the bad client
         * meanwhile; it must neither block nor stop serving */
        uint64_t t0 = ward_now_ns();
        pid_t good = tu_good_client(s.addr, 50);
        tu_check_exit0(good, tu_drive_child(s.loop, good, 10000));
        uint64_t good_ms = tu_ms_since(t0);
        tu_drive_ms(s.loop, 50);

        tu_write_full(stop[1], "x", 1);
        close(stop[1]);
        struct jam_stats st;
        drive_until_readable(&s, rep[0], 5000);
        ASSERT_EQ(tu_read_full(rep[0], &st, sizeof(st), 1000), sizeof(st));
        close(rep[0]);
        tu_check_exit0(bad, tu_drive_child(s.loop, bad, 5000));
        fprintf(
            stderr,
            "   server %s: %d replies and %d bytes left unread in the bad client's doorbell, %d "
            "pushed "
            "into the server's; good client's 50 calls took %" PRIu64
            " ms; bad client got %d replies afterwards\n",
            tu_wait_name(server_wait), st.replies_before, st.queued_before, st.written, good_ms,
            st.replies_after);
        /* the bad client's doorbell really filled up: later wake-ups failed */
        ASSERT_TRUE(st.queued_before > 0);
        ASSERT_TRUE(st.queued_before < st.replies_before);
        ASSERT_TRUE(st.written > 0);
        t0 = ward_now_ns();
        while (ward_ipc_server_count(s.srv) > 0 && tu_ms_since(t0) < 3000) {
                ASSERT_OK(ward_loop_run_once(s.loop, 5 * TU_MS));
        }
        ASSERT_EQ(ward_ipc_server_count(s.srv), 0);
        tu_inproc_close(&s);
}

TEST(jammed_doorbell_does_not_block_server)
{
        alarm(HANG_BOUND_S);
        run_jammed_doorbell(WARD_IPC_WAIT_BLOCK);
        run_jammed_doorbell(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
        alarm(0);
}

TEST_MAIN()
