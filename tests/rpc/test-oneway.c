/* One-way calls (output ward.NoReply): the caller does not wait, and the
 * messages of one connection reach the handler in the order they were sent,
 * whatever their size, and before any request sent after them. A Sequencer
 * service (seq.proto) records, per calling process, each item's number. */
#include "calc-service.h"
#include "rpc-util.h"
#include "seq.pb-c.h"

#define N_ITEMS 1000

/* ---- the Sequencer, in a server child ---- */

#define MAX_CALLERS 16

struct seq_entry {
        pid_t pid;
        Seq__Stats stats;
};

static struct seq_entry seq_table[MAX_CALLERS];

static struct seq_entry *seq_entry_of(void *closure_data)
{
        struct ward_ipc_peer peer;
        if (ward_rpc_caller(closure_data, &peer) < 0) {
                return NULL;
        }
        for (int i = 0; i < MAX_CALLERS; i++) {
                if (seq_table[i].pid == peer.pid) {
                        return &seq_table[i];
                }
        }
        for (int i = 0; i < MAX_CALLERS; i++) {
                if (seq_table[i].pid == 0) {
                        seq_table[i].pid = peer.pid;
                        seq_table[i].stats = (Seq__Stats)SEQ__STATS__INIT;
                        return &seq_table[i];
                }
        }
        return NULL;
}

static void seq_push(Seq__Sequencer_Service *svc, const Seq__Item *in, Ward__NoReply_Closure done,
                     void *closure_data)
{
        (void)svc;
        struct seq_entry *e = seq_entry_of(closure_data);
        TU_CHILD_CHECK(e != NULL);
        if (e) {
                Seq__Stats *s = &e->stats;
                if (s->count > 0 ? in->n != s->last + 1 : in->n != 0) {
                        s->disorder++;
                }
                if (tu_check_pattern(in->pad.data, in->pad.len, (unsigned)in->n, 0) != -1) {
                        s->corrupt++;
                }
                s->count++;
                s->last = in->n;
        }
        done(NULL, closure_data); /* one-way: nobody reads it */
}

static void seq_get(Seq__Sequencer_Service *svc, const Seq__Query *in, Seq__Stats_Closure done,
                    void *closure_data)
{
        (void)svc;
        (void)in;
        struct seq_entry *e = seq_entry_of(closure_data);
        done(e ? &e->stats : NULL, closure_data);
}

static void seq_reset(Seq__Sequencer_Service *svc, const Seq__Query *in, Seq__Stats_Closure done,
                      void *closure_data)
{
        (void)svc;
        (void)in;
        struct seq_entry *e = seq_entry_of(closure_data);
        if (!e) {
                done(NULL, closure_data);
                return;
        }
        Seq__Stats before = e->stats;
        e->stats = (Seq__Stats)SEQ__STATS__INIT;
        done(&before, closure_data);
}

static Seq__Sequencer_Service seq_service = SEQ__SEQUENCER__INIT(seq_);

/* ---- the caller's side ---- */

static Seq__Item item(uint64_t n, uint8_t *pad, size_t len)
{
        Seq__Item it = SEQ__ITEM__INIT;
        it.n = n;
        tu_fill(pad, len, (unsigned)n);
        it.pad.len = len;
        it.pad.data = len ? pad : NULL;
        return it;
}

/* expect_stats: Get (or Reset) must report count items 0..count-1 in order. */
static void expect_stats(ward_rpc_client *c, unsigned method, uint64_t count)
{
        Seq__Query q = SEQ__QUERY__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, method, &q.base, 5 * TU_SEC, &out), 0);
        Seq__Stats *s = (Seq__Stats *)out;
        ASSERT_EQ(s->count, count);
        if (count) {
                ASSERT_EQ(s->last, count - 1);
        }
        ASSERT_EQ(s->disorder, 0);
        ASSERT_EQ(s->corrupt, 0);
        protobuf_c_message_free_unpacked(out, NULL);
}

enum { PUSH = 0, GET = 1, RESET = 2 };

struct noreply_box {
        int calls;
        int got;
};

static void on_noreply(const Ward__NoReply *r, void *data)
{
        struct noreply_box *b = data;
        b->calls++;
        b->got += r != NULL;
}

TEST(thousand_through_stub)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "stub", &seq_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &seq__sequencer__descriptor, &conn, &c);
        struct noreply_box box = {0};
        uint8_t pad[16];
        for (uint64_t n = 0; n < N_ITEMS; n++) {
                Seq__Item it = item(n, pad, n % 17);
                seq__sequencer__push(ward_rpc_client_service(c), &it, on_noreply, &box);
                ASSERT_EQ(box.calls, (long long)n + 1); /* at once */
        }
        ASSERT_EQ(box.got, N_ITEMS); /* the empty reply, not NULL */
        ASSERT_EQ(ward_rpc_client_last_error(c), 0);
        expect_stats(c, RESET, N_ITEMS);
        expect_stats(c, GET, 0);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

TEST(thousand_through_call)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "call", &seq_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &seq__sequencer__descriptor, &conn, &c);
        uint8_t pad[64];
        for (uint64_t n = 0; n < N_ITEMS; n++) {
                Seq__Item it = item(n, pad, n % 61);
                ProtobufCMessage *out = (ProtobufCMessage *)&it;
                RT_EXPECT_STATUS(ward_rpc_call(c, PUSH, &it.base, 5 * TU_SEC, &out), 0);
                ASSERT_TRUE(out == NULL);
        }
        expect_stats(c, GET, N_ITEMS);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* Small items through the ring and big ones (past the inline limit, packed
 * into the shared pool) keep one order. */
TEST(mixed_sizes_keep_order)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "sizes", &seq_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &seq__sequencer__descriptor, &conn, &c);
        static const size_t sizes[] = {0, 10, 16000, 16400, 1000, 40000, 3, 100000, 5000};
        uint8_t *pad = malloc(100000);
        ASSERT_TRUE(pad != NULL);
        struct noreply_box box = {0};
        for (uint64_t n = 0; n < N_ITEMS; n++) {
                Seq__Item it = item(n, pad, sizes[n % 9]);
                seq__sequencer__push(ward_rpc_client_service(c), &it, on_noreply, &box);
        }
        ASSERT_EQ(box.got, N_ITEMS);
        free(pad);
        expect_stats(c, GET, N_ITEMS);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* A request sent after one-way messages is served after all of them. */
TEST(requests_see_every_earlier_oneway)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "interleave", &seq_service.base);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &seq__sequencer__descriptor, &conn, &c);
        uint8_t pad[32];
        for (uint64_t n = 0; n < N_ITEMS; n++) {
                Seq__Item it = item(n, pad, 32);
                ProtobufCMessage *out;
                RT_EXPECT_STATUS(ward_rpc_call(c, PUSH, &it.base, 5 * TU_SEC, &out), 0);
                if (n % 97 == 0) {
                        expect_stats(c, GET, n + 1);
                }
        }
        expect_stats(c, GET, N_ITEMS);
        rt_disconnect(conn, c);
        rt_server_stop(srv);
}

/* With the connection on a loop, one-way closures still run at once, and an
 * asynchronous Get sent after them sees them all. */
struct stats_box {
        int calls;
        uint64_t count, disorder, corrupt;
};

static void on_stats(const Seq__Stats *s, void *data)
{
        struct stats_box *b = data;
        b->calls++;
        b->count = s ? s->count : UINT64_MAX;
        b->disorder = s ? s->disorder : UINT64_MAX;
        b->corrupt = s ? s->corrupt : UINT64_MAX;
}

TEST(thousand_on_a_loop)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "loop", &seq_service.base);
        ward_loop *loop;
        ASSERT_OK(ward_loop_new(&loop));
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &seq__sequencer__descriptor, &conn, &c);
        ASSERT_OK(ward_ipc_conn_attach(conn, loop));
        ProtobufCService *svc = ward_rpc_client_service(c);
        struct noreply_box box = {0};
        uint8_t pad[20000];
        for (uint64_t n = 0; n < N_ITEMS; n++) {
                Seq__Item it = item(n, pad, n % 50 == 0 ? sizeof(pad) : n % 13);
                seq__sequencer__push(svc, &it, on_noreply, &box);
                ASSERT_EQ(box.calls, (long long)n + 1);
        }
        ASSERT_EQ(box.got, N_ITEMS);
        Seq__Query q = SEQ__QUERY__INIT;
        struct stats_box sb = {0};
        seq__sequencer__get(svc, &q, on_stats, &sb);
        ASSERT_EQ(sb.calls, 0);
        rt_drive_until(loop, &sb.calls, 1, 5000);
        ASSERT_EQ(sb.count, N_ITEMS);
        ASSERT_EQ(sb.disorder, 0);
        ASSERT_EQ(sb.corrupt, 0);
        rt_disconnect(conn, c);
        ward_loop_free(loop);
        rt_server_stop(srv);
}

/* Several processes push at once: each one's items arrive in its order. */
TEST(several_senders)
{
        char addr[108];
        pid_t srv = rt_start_one(addr, sizeof(addr), "senders", &seq_service.base);
        pid_t kids[4];
        for (int k = 0; k < 4; k++) {
                kids[k] = tu_fork();
                if (kids[k] == 0) {
                        ward_ipc_conn *conn;
                        ward_rpc_client *c;
                        rt_connect(addr, &seq__sequencer__descriptor, &conn, &c);
                        struct noreply_box box = {0};
                        uint8_t pad[300];
                        for (uint64_t n = 0; n < N_ITEMS; n++) {
                                Seq__Item it = item(n, pad, (n * (unsigned)(k + 1)) % 300);
                                seq__sequencer__push(ward_rpc_client_service(c), &it, on_noreply,
                                                     &box);
                        }
                        ASSERT_EQ(box.got, N_ITEMS);
                        expect_stats(c, GET, N_ITEMS);
                        rt_disconnect(conn, c);
                        exit(0);
                }
        }
        for (int k = 0; k < 4; k++) {
                tu_expect_exit0(kids[k], 10000);
        }
        rt_server_stop(srv);
}

/* The Calculator's own one-way Log: its handler prints each line; 1000 lines
 * come out in the order they were sent. */
static size_t read_all(int fd, char *buf, size_t cap)
{
        size_t got = 0;
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, 5000);
                if (r < 0 && errno == EINTR) {
                        continue;
                }
                ASSERT_TRUE(r == 1);
                ASSERT_TRUE(got < cap);
                ssize_t n = read(fd, buf + got, cap - got);
                if (n < 0 && errno == EINTR) {
                        continue;
                }
                ASSERT_SYS(n);
                if (n == 0) {
                        buf[got < cap ? got : cap - 1] = '\0';
                        return got;
                }
                got += (size_t)n;
        }
}

TEST(calc_log_order)
{
        char addr[108];
        int p[2];
        rt_addr(addr, sizeof(addr), "calclog");
        tu_pipe(p);
        struct rt_server cfg = {.addr = addr, .services = {&calc_service.base}, .stdout_fd = p[1]};
        pid_t srv = rt_server_start(&cfg);
        close(p[1]);
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(addr, &calc__calculator__descriptor, &conn, &c);
        char text[32];
        struct noreply_box box = {0};
        for (int i = 0; i < N_ITEMS; i++) {
                Calc__LogLine line = CALC__LOG_LINE__INIT;
                snprintf(text, sizeof(text), "n%d", i);
                line.text = text;
                calc__calculator__log(ward_rpc_client_service(c), &line, on_noreply, &box);
        }
        ASSERT_EQ(box.got, N_ITEMS);
        /* a request after them: served after every line was printed */
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        RT_EXPECT_STATUS(ward_rpc_call(c, 0, &op.base, 5 * TU_SEC, &out), 0);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_disconnect(conn, c);
        rt_server_stop(srv);

        size_t cap = 64 * N_ITEMS;
        char *buf = malloc(cap);
        ASSERT_TRUE(buf != NULL);
        read_all(p[0], buf, cap);
        close(p[0]);
        char *line = buf;
        for (int i = 0; i < N_ITEMS; i++) {
                char *nl = strchr(line, '\n');
                ASSERT_TRUE(nl != NULL);
                *nl = '\0';
                int pid = -1, n = -1;
                if (sscanf(line, " [calc] log from pid %d: n%d", &pid, &n) != 2) {
                        TEST_FAIL("line %d: \"%s\"", i, line);
                }
                ASSERT_EQ(pid, getpid());
                ASSERT_EQ(n, i);
                line = nl + 1;
        }
        ASSERT_STREQ(line, "");
        free(buf);
}

TEST_MAIN()
