/* A live but wrong peer must not leave a call waiting: a reply that answers
 * no call of ours, and a record its sender may not send, end the connection
 * with -EPROTO, like any other record that breaks the protocol.
 *
 * The reply to a call never made is produced as it happens in the wild, with
 * a server that means well: the server is stopped (SIGSTOP) before it reads
 * the request, the request's call id is rewritten in the shared ring (+1000:
 * the client writes its own ring through its mapping, src/ipc/layout.h), and
 * the server, continued, answers the id it read. The calls wait forever:
 * only the protocol error can end them, and ctest's timeout catches a hang.
 *
 * Also: a server answering twice, a client answering a call the server never
 * made, and (through the internal sender, which does not check what the
 * public calls check) a reply to a one-way message, a request without an id,
 * a one-way message with one. A late reply to a call
 * that timed out is not an error (test-timeout.c). */
#include <pthread.h>
#include <stdatomic.h>

#include "ipc-util.h"
#include "ipc/ipc-internal.h"
#include "ipc/ipc-test-hooks.h"
#include "ipc/layout.h"

#define RING (64u << 10)
#define POOL (64u << 10)

static struct ward_ipc_options small_opts(enum ward_ipc_wait wait)
{
        struct ward_ipc_options o = tu_opts(wait);
        o.ring_bytes = RING;
        o.pool_bytes = POOL;
        return o;
}

/* The direction a side writes, in its own mapping. */
struct view {
        struct ward__ipc_chan_ctl *ctl;
        uint8_t *ring;
        uint32_t ring_bytes;
};

static void view_of(ward_ipc_conn *c, int server_side, struct view *v)
{
        void *base;
        size_t len;
        struct ward__ipc_layout lay;
        ASSERT_OK(ward__ipc_conn_shm(c, &base, &len));
        ASSERT_OK(ward__ipc_layout_compute(RING, POOL, RING, POOL, &lay));
        if (lay.total != len) {
                TEST_FAIL("mapping is %zu bytes, layout.h says %zu: update this test", len,
                          lay.total);
        }
        const struct ward__ipc_chan_layout *out = server_side ? &lay.s2c : &lay.c2s;
        v->ctl = (struct ward__ipc_chan_ctl *)(void *)((uint8_t *)base + out->ctl_off);
        v->ring = (uint8_t *)base + out->ring_off;
        v->ring_bytes = out->ring_bytes;
}

static struct ward__ipc_rec *rec_at(const struct view *v, uint64_t pos)
{
        return (struct ward__ipc_rec *)(void *)(v->ring + (pos & (v->ring_bytes - 1)));
}

/* ---- a reply to a call never made ---- */

struct forger {
        pthread_t thread;
        pid_t server;       /* stopped; continued once the id is rewritten */
        struct view v;      /* the client's ring */
        uint64_t before;    /* its head before the call's request */
        uint64_t forged_id; /* what the request says now */
        int ok;
};

/* Waits for the request in the ring (the server is stopped: it cannot have
 * read it), adds 1000 to its call id, continues the server. */
static void *forger_main(void *arg)
{
        struct forger *f = arg;
        uint64_t t0 = ward_now_ns();
        while (atomic_load(&f->v.ctl->head) == f->before) {
                if (tu_ms_since(t0) > 10000) {
                        kill(f->server, SIGCONT);
                        return NULL;
                }
                tu_sleep_ms(1);
        }
        struct ward__ipc_rec *r = rec_at(&f->v, f->before);
        if (r->type == WARD__IPC_REC_PAD) {
                r = rec_at(&f->v, 0); /* it did not fit before the end */
        }
        if (r->type == WARD__IPC_REC_REQUEST) {
                r->call_id += 1000;
                f->forged_id = r->call_id;
                f->ok = 1;
        }
        kill(f->server, SIGCONT);
        return NULL;
}

/* start_stopped: a server that answers each request (tu_echo_plus1) with the
 * id it reads, a connection to it that has made good calls, the server
 * stopped, and the forger waiting for the next request. */
static pid_t start_stopped(enum ward_ipc_wait wait, const char *tag, ward_ipc_conn **c,
                           struct forger *f)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), tag);
        struct ward_ipc_options o = small_opts(wait);
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = tu_echo_plus1};
        pid_t srv = tu_server_start(&cfg);
        ASSERT_OK(ward_ipc_connect(addr, &o, c));
        tu_client_calls(*c, 3, 16);
        ASSERT_SYS(kill(srv, SIGSTOP));
        int status;
        ASSERT_EQ(waitpid(srv, &status, WUNTRACED), srv);
        ASSERT_TRUE(WIFSTOPPED(status));
        *f = (struct forger){.server = srv};
        view_of(*c, 0, &f->v);
        f->before = atomic_load(&f->v.ctl->head);
        ASSERT_EQ(pthread_create(&f->thread, NULL, forger_main, f), 0);
        return srv;
}

static void reply_to_call_never_made(enum ward_ipc_wait wait)
{
        ward_ipc_conn *c;
        struct forger f;
        pid_t srv = start_stopped(wait, tu_wait_name(wait), &c, &f);
        const ward_ipc_msg *rep;
        int r = ward_ipc_call(c, "x", 1, WARD_IPC_FOREVER, &rep);
        ASSERT_EQ(pthread_join(f.thread, NULL), 0);
        ASSERT_TRUE(f.ok);
        fprintf(stderr, "   %s: the server answered call %" PRIu64 ": the call returned %d (%s)\n",
                tu_wait_name(wait), f.forged_id, r, ward_strerror(r));
        ASSERT_ERRNO(r, EPROTO);
        ASSERT_ERRNO(ward_ipc_conn_get_error(c), EPROTO);
        ASSERT_ERRNO(ward_ipc_call(c, "y", 1, 5 * TU_SEC, &rep), EPROTO);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST(reply_to_call_never_made_block)
{
        reply_to_call_never_made(WARD_IPC_WAIT_BLOCK);
}

TEST(reply_to_call_never_made_spin)
{
        reply_to_call_never_made(WARD_IPC_WAIT_SPIN);
}

TEST(reply_to_call_never_made_spin_then_block)
{
        reply_to_call_never_made(WARD_IPC_WAIT_SPIN_THEN_BLOCK);
}

static int async_status = 1;

static void on_async(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c, (void)arg;
        ASSERT_TRUE(reply == NULL);
        ASSERT_EQ(async_status, 1); /* exactly once */
        async_status = status;
}

/* The same for an asynchronous call on a loop. */
TEST(reply_to_call_never_made_async)
{
        ward_ipc_conn *c;
        struct forger f;
        pid_t srv = start_stopped(WARD_IPC_WAIT_BLOCK, "async", &c, &f);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ASSERT_OK(ward_ipc_conn_attach(c, loop));
        ASSERT_OK(ward_ipc_call_async(c, "x", 1, WARD_IPC_FOREVER, on_async, NULL, NULL));
        while (async_status == 1) {
                ASSERT_OK(ward_loop_run_once(loop, 100 * TU_MS));
        }
        ASSERT_EQ(pthread_join(f.thread, NULL), 0);
        ASSERT_TRUE(f.ok);
        fprintf(stderr, "   the callback got %d (%s)\n", async_status, ward_strerror(async_status));
        ASSERT_ERRNO(async_status, EPROTO);
        ASSERT_ERRNO(ward_ipc_conn_get_error(c), EPROTO);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        tu_server_stop(srv);
}

/* ---- a server that answers twice ---- */

static void on_twice(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        uint64_t id = ward_ipc_msg_call_id(m);
        ward_ipc_reply(c, id, 1, "one", 3);
        ward_ipc_reply(c, id, 2, "two", 3); /* may fail: the client hung up */
}

TEST(server_answers_twice)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "twice");
        struct tu_server cfg = {.addr = addr, .on_msg = on_twice};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &c));
        const ward_ipc_msg *rep;
        /* the first answer is the call's (the second may already be read too) */
        ASSERT_OK(ward_ipc_call(c, "q", 1, 5 * TU_SEC, &rep));
        ASSERT_EQ(ward_ipc_msg_status(rep), 1);
        ASSERT_EQ(ward_ipc_msg_len(rep), 3);
        ASSERT_TRUE(memcmp(ward_ipc_msg_data(rep), "one", 3) == 0);
        int r = ward_ipc_call(c, "q", 1, WARD_IPC_FOREVER, &rep);
        fprintf(stderr, "   the call after a doubled answer: %d (%s)\n", r, ward_strerror(r));
        ASSERT_ERRNO(r, EPROTO);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

/* ---- records a client may not send, against an in-process server ---- */

enum bad_record {
        B_UNASKED_REPLY = 1, /* a reply to a call the server never made (the API) */
        B_REPLY_TO_ONEWAY,   /* a reply with call id 0 */
        B_REQUEST_NO_ID,     /* a request with call id 0 */
        B_ONEWAY_WITH_ID,    /* a one-way message with a call id */
};

static void bad_client(const char *addr, enum bad_record kind, int go_fd)
{
        struct ward_ipc_options o = small_opts(WARD_IPC_WAIT_BLOCK);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        tu_client_calls(c, 3, 8);
        if (kind == B_UNASKED_REPLY) {
                ASSERT_OK(ward_ipc_reply(c, 77, 0, "hi", 2));
        } else if (kind == B_REPLY_TO_ONEWAY) {
                ASSERT_OK(ward__conn_send(c, WARD__IPC_REC_REPLY, 0, 0, "hi", 2));
        } else if (kind == B_REQUEST_NO_ID) {
                ASSERT_OK(ward__conn_send(c, WARD__IPC_REC_REQUEST, 0, 0, "hi", 2));
        } else {
                ASSERT_OK(ward__conn_send(c, WARD__IPC_REC_ONEWAY, 5, 0, "hi", 2));
        }
        char b;
        tu_read_full(go_fd, &b, 1, 10000);
        ward_ipc_conn_close(c);
        exit(0);
}

TEST(client_sends_what_it_may_not)
{
        static const char *const names[] = {
            "", "a reply to a call never made", "a reply to a one-way message",
            "a request without a call id", "a one-way message with a call id"};
        struct tu_inproc s;
        struct ward_ipc_options o = small_opts(WARD_IPC_WAIT_BLOCK);
        tu_inproc_open(&s, "bad-records", &o);
        for (int kind = B_UNASKED_REPLY; kind <= B_ONEWAY_WITH_ID; kind++) {
                int go[2];
                tu_pipe(go);
                int closed = s.closed_events;
                pid_t pid = tu_fork();
                if (pid == 0) {
                        bad_client(s.addr, (enum bad_record)kind, go[0]);
                }
                while (s.closed_events == closed) {
                        ASSERT_OK(ward_loop_run_once(s.loop, 10 * TU_MS));
                }
                fprintf(stderr, "   %s: closed with %d (%s)\n", names[kind], s.last_closed_error,
                        ward_strerror(s.last_closed_error));
                ASSERT_ERRNO(s.last_closed_error, EPROTO);
                tu_write_full(go[1], "x", 1);
                tu_check_exit0(pid, tu_drive_child(s.loop, pid, 10000));
                close(go[0]);
                close(go[1]);
                ASSERT_EQ(ward_ipc_server_count(s.srv), 0);
        }
        pid_t good = tu_good_client(s.addr, 10);
        tu_check_exit0(good, tu_drive_child(s.loop, good, 10000));
        tu_inproc_close(&s);
}

/* ---- a server that answers a one-way message ---- */

static void on_answer_oneway(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        if (ward_ipc_msg_call_id(m) != 0) {
                tu_echo_plus1(c, m, NULL);
                return;
        }
        TU_CHILD_CHECK(ward__conn_send(c, WARD__IPC_REC_REPLY, 0, 0, "ok", 2) == 0);
}

TEST(server_answers_oneway)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "answers-oneway");
        struct ward_ipc_options o = small_opts(WARD_IPC_WAIT_BLOCK);
        struct tu_server cfg = {.addr = addr, .opts = &o, .on_msg = on_answer_oneway};
        pid_t srv = tu_server_start(&cfg);
        ward_ipc_conn *c;
        ASSERT_OK(ward_ipc_connect(addr, &o, &c));
        tu_client_calls(c, 2, 8);
        ASSERT_OK(ward_ipc_send(c, "note", 4));
        /* the forged reply comes before this call's: the call fails */
        const ward_ipc_msg *rep;
        int r = ward_ipc_call(c, "q", 1, WARD_IPC_FOREVER, &rep);
        fprintf(stderr, "   the call after a one-way message: %d (%s)\n", r, ward_strerror(r));
        ASSERT_ERRNO(r, EPROTO);
        ward_ipc_conn_close(c);
        tu_server_stop(srv);
}

TEST_MAIN()
