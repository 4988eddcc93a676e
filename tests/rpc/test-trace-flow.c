/* One trace across processes: a traced client (this process) calls
 * relay.Relay.Forward in a traced server child, whose handler calls
 * calc.Calculator.Add on its own address (a short-circuit call). `ward trace
 * merge --json` of both processes' files must show the four RPC spans with
 * one trace id, each handler's parent the span that called it, and the flow
 * events ("s"/"f") that join client -> server -> nested handler. Then the
 * server's files are rewritten as if another host (another boot id, another
 * CLOCK_MONOTONIC) had written them: the merge must say it aligned the files
 * by their realtime anchors, and put the server's spans next to the
 * client's again. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ward/trace.h>
#include <ward/ward.h>

#include <ward/rpc-json.h>

#include "calc-service.h"
#include "relay.pb-c.h"
#include "rpc-util.h"
#include "rpc/wire.h"
#include "test-run.h"
#include "trace/layout.h"
#include "trace/trace-raw.h"

#define SECOND 1000000000ull
#define OTHER_HOST_SHIFT_NS (1000 * SECOND) /* the other host booted 1000 s earlier */

static char relay_addr[108];

/* ---- the server child: Relay and Calculator on one address ---- */

static void relay_forward(Relay__Relay_Service *svc, const Relay__Pair *in, Relay__Sum_Closure done,
                          void *closure_data)
{
        (void)svc;
        ward_rpc_client *c;
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        Relay__Sum sum = RELAY__SUM__INIT;
        op.a = in->a;
        op.b = in->b;
        /* our own address, from the server's thread: short-circuited */
        if (ward_rpc_client_open(relay_addr, &calc__calculator__descriptor, NULL, &c) < 0 ||
            ward_rpc_call(c, 0, &op.base, 5 * SECOND, &out) < 0) {
                done(NULL, closure_data);
                return;
        }
        sum.value = ((Calc__Result *)out)->value;
        sum.relay_pid = (int32_t)getpid();
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c);
        done(&sum, closure_data);
}

static Relay__Relay_Service relay_service = RELAY__RELAY__INIT(relay_);

static void trace_into(const char *dir, const char *name)
{
        struct ward_trace_options o = {
            .size = sizeof(o), .level = WARD_TRACE_INFO, .dir = dir, .name = name};
        ASSERT_OK(ward_trace_start(&o));
}

static void server_setup(ward_loop *loop, ward_rpc_server *srv, void *arg)
{
        (void)loop, (void)srv;
        trace_into(arg, "server");
}

static void server_teardown(void *arg)
{
        (void)arg;
        ward_trace_stop(); /* flushes every file */
}

/* ---- reading the merged Chrome JSON: one event per line ---- */

/* An RPC span begin as the export writes it. */
struct span {
        int pid;
        char name[64], trace[40], id[20], parent[20];
        double ts;
};

/* str_field: the string value of "key":"..." in line, into buf. */
static int str_field(const char *line, const char *key, char *buf, size_t size)
{
        char pat[64];
        snprintf(pat, sizeof(pat), "\"%s\":\"", key);
        const char *p = strstr(line, pat);
        if (!p) {
                return 0;
        }
        p += strlen(pat);
        size_t n = strcspn(p, "\"");
        if (n >= size) {
                return 0;
        }
        memcpy(buf, p, n);
        buf[n] = '\0';
        return 1;
}

static double num_field(const char *line, const char *key)
{
        char pat[64];
        snprintf(pat, sizeof(pat), "\"%s\":", key);
        const char *p = strstr(line, pat);
        return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* Everything the test looks at in one export. */
struct merged {
        struct span spans[16];
        int nspans;
        char flow_out[16][24], flow_in[16][24]; /* ids of "s" and "f" events */
        int nout, nin;
        int realtime; /* the header says the files were aligned by realtime */
};

static void parse_merged(const char *json, struct merged *m)
{
        memset(m, 0, sizeof(*m));
        m->realtime = strstr(json, "\"ward-clock\":\"realtime\"") != NULL;
        for (const char *line = json; line && *line; line = strchr(line, '\n'), line += !!line) {
                char l[2048];
                size_t n = strcspn(line, "\n");
                snprintf(l, sizeof(l), "%.*s", (int)(n < sizeof(l) ? n : sizeof(l) - 1), line);
                char ph[4];
                if (!str_field(l, "ph", ph, sizeof(ph))) {
                        continue;
                }
                if (strcmp(ph, "B") == 0 && strstr(l, "\"trace_id\"") && m->nspans < 16) {
                        struct span *s = &m->spans[m->nspans++];
                        s->pid = (int)num_field(l, "pid");
                        s->ts = num_field(l, "ts");
                        ASSERT_TRUE(str_field(l, "name", s->name, sizeof(s->name)));
                        ASSERT_TRUE(str_field(l, "trace_id", s->trace, sizeof(s->trace)));
                        ASSERT_TRUE(str_field(l, "span_id", s->id, sizeof(s->id)));
                        ASSERT_TRUE(str_field(l, "parent_span_id", s->parent, sizeof(s->parent)));
                } else if (strcmp(ph, "s") == 0 && m->nout < 16) {
                        ASSERT_TRUE(str_field(l, "id", m->flow_out[m->nout++], 24));
                } else if (strcmp(ph, "f") == 0 && m->nin < 16) {
                        ASSERT_TRUE(strstr(l, "\"bp\":\"e\"") != NULL);
                        ASSERT_TRUE(str_field(l, "id", m->flow_in[m->nin++], 24));
                }
        }
}

static const struct span *find_span(const struct merged *m, const char *name, int pid)
{
        for (int i = 0; i < m->nspans; i++) {
                if (strcmp(m->spans[i].name, name) == 0 && m->spans[i].pid == pid) {
                        return &m->spans[i];
                }
        }
        TEST_FAIL("no span %s of pid %d in the merged trace", name, pid);
        return NULL;
}

static int has_id(char (*ids)[24], int n, const char *span_id)
{
        char want[24];
        snprintf(want, sizeof(want), "0x%s", span_id);
        for (int i = 0; i < n; i++) {
                if (strcmp(ids[i], want) == 0) {
                        return 1;
                }
        }
        return 0;
}

/* merge: `ward trace merge --json -o OUT dirs...`, OUT read back (malloc'ed). */
static char *merge(const char *out_path, const char *d1, const char *d2)
{
        char out[8192];
        const char *args[] = {"trace", "merge", "--json", "-o", out_path, d1, d2, NULL};
        int st = test_run_ward(args, NULL, -1, out, sizeof(out));
        if (st != 0) {
                TEST_FAIL("ward trace merge exited %d: %s", st, out);
        }
        FILE *f = fopen(out_path, "r");
        ASSERT_TRUE(f != NULL);
        char *text = calloc(1, 4 << 20);
        ASSERT_TRUE(text != NULL);
        size_t n = fread(text, 1, (4 << 20) - 1, f);
        fclose(f);
        text[n] = '\0';
        return text;
}

/* the chain: client call -> server handler -> nested call -> nested handler */
static void check_chain(const struct merged *m, int client, int server)
{
        const struct span *call = find_span(m, "relay.Relay/Forward", client);
        const struct span *serve = find_span(m, "relay.Relay/Forward", server);
        const struct span *nested = find_span(m, "calc.Calculator/Add", server);
        ASSERT_EQ(m->nspans, 4); /* the nested call and its handler share the name */
        const struct span *handler = NULL;
        for (int i = 0; i < m->nspans; i++) {
                if (&m->spans[i] != nested && strcmp(m->spans[i].name, nested->name) == 0) {
                        handler = &m->spans[i];
                }
        }
        ASSERT_TRUE(handler != NULL);
        if (strcmp(handler->parent, nested->id) != 0) { /* the two begins, in either order */
                const struct span *t = handler;
                handler = nested;
                nested = t;
        }
        for (int i = 0; i < m->nspans; i++) {
                ASSERT_STREQ(m->spans[i].trace, call->trace);
        }
        ASSERT_STREQ(call->parent, "0000000000000000");
        ASSERT_STREQ(serve->parent, call->id);
        ASSERT_STREQ(nested->parent, serve->id);
        ASSERT_STREQ(handler->parent, nested->id);
        /* the arrows: out of each call, into the handler it called */
        ASSERT_TRUE(has_id((char(*)[24])m->flow_out, m->nout, call->id));
        ASSERT_TRUE(has_id((char(*)[24])m->flow_in, m->nin, call->id));
        ASSERT_TRUE(has_id((char(*)[24])m->flow_out, m->nout, nested->id));
        ASSERT_TRUE(has_id((char(*)[24])m->flow_in, m->nin, nested->id));
}

/* as_other_host: copy dir's trace files into other, rewritten as a host whose
 * boot id differs and whose CLOCK_MONOTONIC reads OTHER_HOST_SHIFT_NS more;
 * CLOCK_REALTIME (the anchors' other half) is the same wall clock. */
static void as_other_host(const char *dir, const char *other)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        ASSERT_TRUE(d != NULL);
        ASSERT_SYS(mkdir(other, 0700));
        while ((e = readdir(d))) {
                char from[1024], to[1024];
                if (!strstr(e->d_name, ".trace.")) {
                        continue;
                }
                snprintf(from, sizeof(from), "%s/%s", dir, e->d_name);
                snprintf(to, sizeof(to), "%s/%s", other, e->d_name);
                FILE *f = fopen(from, "r");
                ASSERT_TRUE(f != NULL);
                static uint8_t buf[8 << 20];
                size_t len = fread(buf, 1, sizeof(buf), f);
                fclose(f);
                struct ward__trace_file_hdr h;
                ASSERT_TRUE(len >= sizeof(h));
                memcpy(&h, buf, sizeof(h));
                ASSERT_EQ(h.version, WARD__TRACE_FILE_VERSION);
                ASSERT_TRUE(h.boot_id[0] != '\0');
                snprintf(h.boot_id, sizeof(h.boot_id), "%s",
                         "00000000-0000-4000-8000-0000000000aa");
                snprintf(h.host, sizeof(h.host), "%s", "other-host");
                h.ns_base += OTHER_HOST_SHIFT_NS; /* the events' times move with it */
                h.anchor_mono += OTHER_HOST_SHIFT_NS;
                memcpy(buf, &h, sizeof(h));
                f = fopen(to, "w");
                ASSERT_TRUE(f != NULL && fwrite(buf, 1, len, f) == len);
                fclose(f);
                n++;
        }
        closedir(d);
        ASSERT_TRUE(n > 0);
}

/* as_version1: dir's trace files rewritten in place as format version 1
 * files (the 128-byte header, no host), as older ward wrote them. */
static void as_version1(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        ASSERT_TRUE(d != NULL);
        while ((e = readdir(d))) {
                char path[1024];
                if (!strstr(e->d_name, ".trace.")) {
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                char raw[1100]; /* version 1 had no packed events */
                snprintf(raw, sizeof(raw), "%s.raw", path);
                ASSERT_EQ(trace_raw_copy(path, raw), 0);
                ASSERT_EQ(rename(raw, path), 0);
                FILE *f = fopen(path, "r");
                ASSERT_TRUE(f != NULL);
                static uint8_t buf[8 << 20];
                size_t len = fread(buf, 1, sizeof(buf), f);
                fclose(f);
                struct ward__trace_file_hdr h;
                ASSERT_TRUE(len >= sizeof(h));
                memcpy(&h, buf, sizeof(h));
                h.version = 1;
                h.hdr_size = WARD__TRACE_FILE_HDR_V1;
                memcpy(buf + sizeof(h) - WARD__TRACE_FILE_HDR_V1, &h, WARD__TRACE_FILE_HDR_V1);
                f = fopen(path, "w");
                size_t n = len - (sizeof(h) - WARD__TRACE_FILE_HDR_V1);
                ASSERT_TRUE(f != NULL &&
                            fwrite(buf + sizeof(h) - WARD__TRACE_FILE_HDR_V1, 1, n, f) == n);
                fclose(f);
        }
        closedir(d);
}

static char base_dir[256], client_dir[300], server_dir[300];

static void run_traced_call(int *ret_server_pid)
{
        snprintf(base_dir, sizeof(base_dir), "/tmp/ward-trace-flow-XXXXXX");
        ASSERT_TRUE(mkdtemp(base_dir) != NULL);
        snprintf(client_dir, sizeof(client_dir), "%s/client", base_dir);
        snprintf(server_dir, sizeof(server_dir), "%s/server", base_dir);
        rt_addr(relay_addr, sizeof(relay_addr), "trace-flow");
        struct rt_server cfg = {.addr = relay_addr,
                                .services = {&relay_service.base, &calc_service.base},
                                .quiet = 1,
                                .setup = server_setup,
                                .teardown = server_teardown,
                                .arg = server_dir};
        pid_t srv = rt_server_start(&cfg);
        trace_into(client_dir, "client");
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(relay_addr, &relay__relay__descriptor, &conn, &c);
        Relay__Pair pair = RELAY__PAIR__INIT;
        pair.a = 40;
        pair.b = 2;
        ProtobufCMessage *out = NULL;
        ASSERT_OK(ward_rpc_call(c, 0, &pair.base, 5 * SECOND, &out));
        ASSERT_EQ(((Relay__Sum *)out)->value, 42);
        ASSERT_EQ(((Relay__Sum *)out)->relay_pid, srv);
        protobuf_c_message_free_unpacked(out, NULL);
        rt_disconnect(conn, c);
        ward_trace_stop();
        rt_server_stop(srv);
        *ret_server_pid = srv;
}

TEST(one_trace_client_server_nested)
{
        int srv;
        run_traced_call(&srv);
        char out_path[400];
        snprintf(out_path, sizeof(out_path), "%s/merged.json", base_dir);
        char *json = merge(out_path, client_dir, server_dir);
        struct merged m;
        parse_merged(json, &m);
        fprintf(stderr, "   %d RPC spans, %d flows out, %d in\n", m.nspans, m.nout, m.nin);
        ASSERT_EQ(m.realtime, 0); /* one host: its monotonic clock, as always */
        check_chain(&m, getpid(), srv);
        free(json);

        /* the server's files as if another host had written them */
        char other[400];
        snprintf(other, sizeof(other), "%s/other-host", base_dir);
        as_other_host(server_dir, other);
        snprintf(out_path, sizeof(out_path), "%s/hosts.json", base_dir);
        json = merge(out_path, client_dir, other);
        parse_merged(json, &m);
        ASSERT_TRUE(m.realtime);
        ASSERT_TRUE(strstr(json, "\"boot_id\":\"00000000-0000-4000-8000-0000000000aa\"") != NULL);
        check_chain(&m, getpid(), srv);
        const struct span *call = find_span(&m, "relay.Relay/Forward", getpid());
        const struct span *serve = find_span(&m, "relay.Relay/Forward", srv);
        double gap_us = serve->ts - call->ts;
        fprintf(stderr, "   aligned by realtime: the handler starts %.3f us after the call\n",
                gap_us);
        /* unaligned, the server's spans would be 1000 s away */
        ASSERT_TRUE(gap_us > 0 && gap_us < 10e6);
        free(json);

        char out[4096];
        const char *args[] = {"trace", "merge", client_dir, other, NULL};
        ASSERT_EQ(test_run_ward(args, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strncmp(out, "# ward trace merge: files of 2 hosts", 36) == 0);

        /* files of format version 1 (no host) still merge, on one clock */
        as_version1(client_dir);
        snprintf(out_path, sizeof(out_path), "%s/v1.json", base_dir);
        json = merge(out_path, client_dir, server_dir);
        parse_merged(json, &m);
        ASSERT_EQ(m.realtime, 0);
        check_chain(&m, getpid(), srv);
        free(json);
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base_dir);
        ASSERT_EQ(system(cmd), 0);
}

/* ---- peers from before trace contexts ---- */

/* old_server_on_msg: the RPC framing as servers before trace contexts spoke
 * it: RESOLVE answers the 4-byte id whatever the caps, CALL is the only call
 * kind (a CALL_TRACED is refused as a bad message); it adds like calc. */
static void old_server_on_msg(ward_ipc_conn *conn, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        struct ward__rpc_hdr h;
        const uint8_t *data = ward_ipc_msg_data(m);
        size_t len = ward_ipc_msg_len(m);
        uint64_t id = ward_ipc_msg_call_id(m);
        if (len < sizeof(h)) {
                ward_ipc_reply(conn, id, WARD_RPC_BAD_MESSAGE, NULL, 0);
                return;
        }
        memcpy(&h, data, sizeof(h));
        if (h.kind == WARD__RPC_RESOLVE) {
                uint32_t sid = 0;
                ward_ipc_reply(conn, id, WARD_RPC_OK, &sid, sizeof(sid));
                return;
        }
        Calc__BinaryOp *op = h.kind == WARD__RPC_CALL && h.method == 0
                                 ? calc__binary_op__unpack(NULL, len - sizeof(h), data + sizeof(h))
                                 : NULL;
        if (!op) {
                ward_ipc_reply(conn, id, WARD_RPC_BAD_MESSAGE, NULL, 0);
                return;
        }
        Calc__Result res = CALC__RESULT__INIT;
        uint8_t buf[64];
        res.value = op->a + op->b;
        calc__binary_op__free_unpacked(op, NULL);
        ward_ipc_reply(conn, id, WARD_RPC_OK, buf, calc__result__pack(&res, buf));
}

static int64_t add_through(ward_rpc_client *c)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        ProtobufCMessage *out = NULL;
        op.a = 40;
        op.b = 2;
        ASSERT_OK(ward_rpc_call(c, 0, &op.base, 5 * SECOND, &out));
        int64_t v = ((Calc__Result *)out)->value;
        protobuf_c_message_free_unpacked(out, NULL);
        return v;
}

/* echo_largest: the largest request ward_rpc_max_request allows still goes
 * (without its trace context, which would not fit). */
static void echo_largest(ward_rpc_client *c, ward_ipc_conn *conn)
{
        size_t max = ward_rpc_max_request(conn), len = max;
        Calc__Blob in = CALC__BLOB__INIT;
        ProtobufCMessage *out = NULL;
        in.data.data = calloc(1, max);
        ASSERT_TRUE(in.data.data != NULL);
        do { /* the payload whose packed Blob is exactly max bytes */
                in.data.len = --len;
        } while (calc__blob__get_packed_size(&in) > max);
        ASSERT_EQ(calc__blob__get_packed_size(&in), max);
        ASSERT_OK(ward_rpc_call(c, 2 /* Echo */, &in.base, 10 * SECOND, &out));
        ASSERT_EQ(((Calc__Blob *)out)->data.len, len);
        protobuf_c_message_free_unpacked(out, NULL);
        free(in.data.data);
}

/* old_peers: the body of old_peers_keep_working, in a process of its own
 * (tracing starts once per process). */
static void old_peers(void)
{
        char dir[] = "/tmp/ward-trace-compat-XXXXXX", old_addr[108], addr[108], cmd[300];
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        /* the servers first: a child forked after tracing started would start
         * its flusher thread after a fork of a threaded process (TSan refuses) */
        rt_addr(old_addr, sizeof(old_addr), "old-server");
        struct tu_server old = {.addr = old_addr, .on_msg = old_server_on_msg};
        pid_t old_srv = tu_server_start(&old);
        rt_addr(addr, sizeof(addr), "new-server");
        struct rt_server cfg = {.addr = addr,
                                .services = {&calc_service.base},
                                .quiet = 1,
                                .setup = server_setup,
                                .teardown = server_teardown,
                                .arg = dir};
        pid_t srv = rt_server_start(&cfg);
        trace_into(dir, "client");

        /* a traced client and a server that knows no trace context */
        ward_ipc_conn *conn;
        ward_rpc_client *c;
        rt_connect(old_addr, &calc__calculator__descriptor, &conn, &c);
        ASSERT_EQ(add_through(c), 42); /* a CALL_TRACED would have been refused */
        rt_disconnect(conn, c);
        tu_server_stop(old_srv);

        /* a client that offers no caps (as before) and a traced server */
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        uint8_t req[64], *rep = NULL;
        size_t rep_len = 0;
        op.a = 40;
        op.b = 2;
        ASSERT_OK(ward_rpc_call_bytes(
            conn, "calc.Calculator", ward_rpc_service_hash(&calc__calculator__descriptor), 0, 0,
            req, calc__binary_op__pack(&op, req), 5 * SECOND, &rep, &rep_len));
        Calc__Result *res = calc__result__unpack(NULL, rep_len, rep);
        ASSERT_TRUE(res != NULL);
        ASSERT_EQ(res->value, 42);
        calc__result__free_unpacked(res, NULL);
        free(rep);
        /* and the traced client on the traced server: both take contexts */
        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c));
        ASSERT_EQ(add_through(c), 42);
        echo_largest(c, conn);
        ward_rpc_client_free(c);
        ward_ipc_conn_close(conn);
        ward_trace_stop();
        rt_server_stop(srv);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST(old_peers_keep_working)
{
        pid_t pid = tu_fork();
        if (pid == 0) {
                old_peers();
                exit(0);
        }
        tu_expect_exit0(pid, 30000);
}

TEST_MAIN()
