/* Misbehaving clients at the socket level: garbage, nothing, a truncated or empty
 * packet, silence. The server drops each of them (no connection is counted),
 * does not stall on them, and keeps serving real clients. Nothing here assumes
 * the hello's format: the one real hello used is captured from ward_ipc_connect. */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <sys/eventfd.h>
#include <sys/mman.h>

#include "core/procstat.h"
#include "ipc-util.h"
#include "ipc/handshake.h"
#include "ipc/ipc-internal.h"
#include "ipc/layout.h"

static socklen_t abstract_sun(const char *addr, struct sockaddr_un *sun)
{
        size_t n = strlen(addr + 1);
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        ASSERT_TRUE(n + 1 <= sizeof(sun->sun_path));
        memcpy(sun->sun_path + 1, addr + 1, n);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int raw_connect(const char *addr)
{
        struct sockaddr_un sun;
        socklen_t len = abstract_sun(addr, &sun);
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ASSERT_SYS(s);
        ASSERT_SYS(connect(s, (struct sockaddr *)&sun, len));
        return s;
}

/* ---- the real hello, captured from a real client ---- */

static uint8_t hello[4096];
static size_t hello_len;

static void capture_hello(void)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "capture");
        struct sockaddr_un sun;
        socklen_t len = abstract_sun(addr, &sun);
        int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ASSERT_SYS(l);
        ASSERT_SYS(bind(l, (struct sockaddr *)&sun, len));
        ASSERT_SYS(listen(l, 4));
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c = NULL;
                struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_BLOCK);
                o.connect_timeout_ns = 2 * TU_SEC;
                int r = ward_ipc_connect(addr, &o, &c); /* fails: we hang up */
                exit(r < 0 && c == NULL ? 0 : 1);
        }
        struct pollfd p = {.fd = l, .events = POLLIN};
        ASSERT_EQ(poll(&p, 1, 5000), 1);
        int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        ASSERT_SYS(s);
        p.fd = s;
        ASSERT_EQ(poll(&p, 1, 5000), 1);
        ssize_t n = recv(s, hello, sizeof(hello), 0);
        ASSERT_TRUE(n > 1);
        hello_len = (size_t)n;
        close(s);
        close(l);
        tu_expect_exit0(pid, 5000);
}

/* ---- the in-process server ---- */

static int connected, closed;

static void on_conn(ward_ipc_conn *c, int event, int error, void *arg)
{
        (void)c, (void)error, (void)arg;
        connected += event == WARD_IPC_CONNECTED;
        closed += event == WARD_IPC_CLOSED;
}

struct server {
        char addr[108];
        ward_loop *loop;
        ward_ipc_server *srv;
        int fds0;
};

static void server_open(struct server *s, const char *tag)
{
        tu_addr(s->addr, sizeof(s->addr), tag);
        ASSERT_OK(ward_loop_new(&s->loop));
        ASSERT_OK(ward_ipc_server_new(s->loop, s->addr, NULL, tu_echo_plus1, NULL, &s->srv));
        ASSERT_OK(ward_ipc_server_set_conn_handler(s->srv, on_conn, NULL));
        s->fds0 = tu_count_fds();
}

/* server_close: every dropped client's descriptors are gone, then free. */
static void server_close(struct server *s)
{
        tu_drive_ms(s->loop, 20);
        ASSERT_EQ(tu_count_fds(), s->fds0);
        ward_ipc_server_free(s->srv);
        ward_loop_free(s->loop);
}

/* dropped: has the server hung up on raw socket fd? (EOF or reset; anything
 * it says first is read and ignored) */
static int dropped(int fd)
{
        char buf[512];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno == ECONNRESET)) {
                        return 1;
                }
                if (n < 0) {
                        return 0;
                }
        }
}

/* expect_dropped: drive the server until it hangs up on fd; returns ms. */
static uint64_t expect_dropped(struct server *s, int fd, unsigned timeout_ms, const char *what)
{
        uint64_t t0 = ward_now_ns();
        while (!dropped(fd)) {
                if (tu_ms_since(t0) > timeout_ms) {
                        TEST_FAIL("%s: the server did not drop the client in %u ms", what,
                                  timeout_ms);
                }
                ASSERT_OK(ward_loop_run_once(s->loop, 5 * TU_MS));
                ASSERT_EQ(ward_ipc_server_count(s->srv), 0);
        }
        uint64_t ms = tu_ms_since(t0);
        fprintf(stderr, "   %s: dropped after %" PRIu64 " ms\n", what, ms);
        return ms;
}

static void serve_good_client(struct server *s)
{
        int before = closed;
        pid_t pid = tu_good_client(s->addr, 10);
        tu_check_exit0(pid, tu_drive_child(s->loop, pid, 10000));
        uint64_t t0 = ward_now_ns();
        while (closed == before && tu_ms_since(t0) < 5000) {
                ASSERT_OK(ward_loop_run_once(s->loop, 5 * TU_MS));
        }
        ASSERT_EQ(ward_ipc_server_count(s->srv), 0);
}

static void send_packet(int fd, const void *buf, size_t len)
{
        ASSERT_EQ(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

TEST(garbage_instead_of_hello)
{
        struct server s;
        server_open(&s, "garbage");
        for (uint64_t seed = 1; seed <= 4; seed++) {
                uint8_t junk[64 * 4];
                size_t len = (size_t)seed * 64;
                tu_scribble(junk, len, seed);
                int fd = raw_connect(s.addr);
                send_packet(fd, junk, len);
                expect_dropped(&s, fd, 3000, "garbage");
                close(fd);
        }
        ASSERT_EQ(connected, 0);
        serve_good_client(&s);
        server_close(&s);
}

TEST(nothing_then_close)
{
        struct server s;
        server_open(&s, "nothing");
        for (int i = 0; i < 10; i++) {
                close(raw_connect(s.addr));
        }
        tu_drive_ms(s.loop, 50);
        ASSERT_EQ(ward_ipc_server_count(s.srv), 0);
        ASSERT_EQ(tu_count_fds(), s.fds0); /* the server closed its ends */
        serve_good_client(&s);
        server_close(&s);
}

TEST(truncated_and_empty_packets)
{
        capture_hello();
        fprintf(stderr, "   a real hello is %zu bytes\n", hello_len);
        connected = 0;
        struct server s;
        server_open(&s, "truncated");
        size_t cuts[] = {0, 1, hello_len / 2, hello_len - 1};
        for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                int fd = raw_connect(s.addr);
                send_packet(fd, hello, cuts[i]);
                char what[64];
                snprintf(what, sizeof(what), "hello cut to %zu bytes", cuts[i]);
                expect_dropped(&s, fd, 3000, what);
                close(fd);
        }
        /* too long is as wrong as too short */
        uint8_t longer[sizeof(hello) + 16];
        memcpy(longer, hello, hello_len);
        memset(longer + hello_len, 0, 16);
        int fd = raw_connect(s.addr);
        send_packet(fd, longer, hello_len + 16);
        expect_dropped(&s, fd, 3000, "hello with 16 trailing bytes");
        close(fd);
        ASSERT_EQ(connected, 0);
        serve_good_client(&s);
        server_close(&s);
}

/* Silent clients do not stall the server; each is dropped after a while. */
TEST(silent_clients)
{
        connected = closed = 0;
        struct server s;
        server_open(&s, "silent");
        int fds[10];
        for (int i = 0; i < 10; i++) {
                fds[i] = raw_connect(s.addr);
        }
        serve_good_client(&s);
        ASSERT_EQ(connected, 1);
        uint64_t ms = expect_dropped(&s, fds[0], 10000, "silent client");
        (void)ms;
        for (int i = 1; i < 10; i++) {
                expect_dropped(&s, fds[i], 2000, "another silent client");
        }
        for (int i = 0; i < 10; i++) {
                close(fds[i]);
        }
        ASSERT_EQ(connected, 1);
        serve_good_client(&s);
        server_close(&s);
}

/* A real hello, then bytes on the socket where nothing may come any more: the
 * connection is made, then dropped, and the server goes on. */
TEST(hello_then_garbage)
{
        if (hello_len == 0) {
                capture_hello();
        }
        connected = closed = 0;
        struct server s;
        server_open(&s, "hello-garbage");
        int fd = raw_connect(s.addr);
        send_packet(fd, hello, hello_len);
        uint64_t t0 = ward_now_ns();
        while (connected == 0 && tu_ms_since(t0) < 3000) {
                ASSERT_OK(ward_loop_run_once(s.loop, 5 * TU_MS));
        }
        ASSERT_EQ(connected, 1);
        send_packet(fd, "junk", 4);
        t0 = ward_now_ns();
        while (closed == 0 && tu_ms_since(t0) < 3000) {
                ASSERT_OK(ward_loop_run_once(s.loop, 5 * TU_MS));
        }
        ASSERT_EQ(closed, 1);
        ASSERT_EQ(ward_ipc_server_count(s.srv), 0);
        /* the welcome carried descriptors: receiving without taking them closes them */
        close(fd);
        serve_good_client(&s);
        server_close(&s);
}

/* ---- the mirror: a misbehaving server at the socket level ---- */

static int raw_listen(const char *addr)
{
        struct sockaddr_un sun;
        socklen_t len = abstract_sun(addr, &sun);
        int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ASSERT_SYS(l);
        ASSERT_SYS(bind(l, (struct sockaddr *)&sun, len));
        ASSERT_SYS(listen(l, 4));
        return l;
}

/* A server that accepts (the kernel does, from the backlog) and never answers:
 * the client gives up after connect_timeout_ns. */
TEST(silent_server)
{
        char addr[108];
        tu_addr(addr, sizeof(addr), "silent-server");
        int l = raw_listen(addr);
        struct ward_ipc_options o = tu_opts(WARD_IPC_WAIT_BLOCK);
        o.connect_timeout_ns = 100 * TU_MS;
        ward_ipc_conn *c = NULL;
        uint64_t t0 = ward_now_ns();
        ASSERT_ERRNO(ward_ipc_connect(addr, &o, &c), ETIMEDOUT);
        fprintf(stderr, "   -ETIMEDOUT after %" PRIu64 " ms (timeout 100 ms)\n", tu_ms_since(t0));
        ASSERT_TRUE(tu_ms_since(t0) >= 100);
        ASSERT_TRUE(c == NULL);
        close(l);
}

/* send_fds: one packet with descriptors attached (our own sendmsg). */
static void send_fds(int s, const void *buf, size_t len, const int *fds, int nfds)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * 256)];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ASSERT_TRUE(nfds <= 256);
        if (nfds > 0) {
                memset(&ctl, 0, sizeof(ctl));
                mh.msg_control = ctl.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
        }
        ASSERT_EQ(sendmsg(s, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Whether the child's connection watched the server's process (a pidfd). */
static int last_watched;

/* connect_to_answer: a child connects to a raw server that answers the hello
 * with answer(); returns what ward_ipc_connect returned in the child. */
static int connect_to_answer(const char *addr, void (*answer)(int s, const void *arg),
                             const void *arg)
{
        int l = raw_listen(addr);
        int p[2];
        tu_pipe(p);
        int fds_before = tu_count_fds(); /* what the child starts with */
        pid_t pid = tu_fork();
        if (pid == 0) {
                ward_ipc_conn *c = NULL;
                int r = ward_ipc_connect(addr, NULL, &c);
                int fds = tu_count_fds();
                int watched = c && c->pidfd >= 0;
                ward_ipc_conn_close(c);
                tu_write_full(p[1], &r, sizeof(r));
                tu_write_full(p[1], &fds, sizeof(fds));
                tu_write_full(p[1], &watched, sizeof(watched));
                exit(0);
        }
        struct pollfd pl = {.fd = l, .events = POLLIN};
        ASSERT_EQ(poll(&pl, 1, 5000), 1);
        int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        ASSERT_SYS(s);
        char buf[512];
        pl.fd = s;
        ASSERT_EQ(poll(&pl, 1, 5000), 1);
        ASSERT_TRUE(recv(s, buf, sizeof(buf), 0) > 0);
        answer(s, arg);
        int r, child_fds;
        ASSERT_EQ(tu_read_full(p[0], &r, sizeof(r), 10000), sizeof(r));
        ASSERT_EQ(tu_read_full(p[0], &child_fds, sizeof(child_fds), 1000), sizeof(child_fds));
        ASSERT_EQ(tu_read_full(p[0], &last_watched, sizeof(last_watched), 1000),
                  sizeof(last_watched));
        tu_expect_exit0(pid, 5000);
        if (r < 0) {
                /* a refused answer leaves no descriptor behind in the client */
                ASSERT_EQ(child_fds, fds_before);
        }
        close(s);
        close(l);
        close(p[0]);
        close(p[1]);
        return r;
}

struct bytes {
        const void *buf;
        size_t len;
};

static void answer_bytes(int s, const void *arg)
{
        const struct bytes *b = arg;
        send_packet(s, b->buf, b->len);
}

TEST(garbage_server)
{
        static const size_t lens[] = {1, 16, 64, 200};
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                char addr[108], tag[32];
                uint8_t junk[200];
                snprintf(tag, sizeof(tag), "garbage-server-%zu", i);
                tu_addr(addr, sizeof(addr), tag);
                tu_scribble(junk, lens[i], i + 1);
                struct bytes b = {junk, lens[i]};
                int r = connect_to_answer(addr, answer_bytes, &b);
                fprintf(stderr, "   %zu garbage bytes: connect returned %d (%s)\n", lens[i], r,
                        ward_strerror(r));
                ASSERT_ERRNO(r, EPROTO);
        }
        /* an empty packet reads like a hang-up */
        char addr[108];
        tu_addr(addr, sizeof(addr), "empty-server");
        struct bytes empty = {"", 0};
        int r = connect_to_answer(addr, answer_bytes, &empty);
        ASSERT_TRUE(r == -EPROTO || r == -ECONNRESET);
}

/* A well-formed welcome whose descriptors are wrong: the client checks what
 * it is handed before mapping it (these cases know the welcome's layout from
 * src/ipc/handshake.h; the first one, all correct, proves the construction). */
struct welcome_case {
        const char *name;
        int unsealed;      /* memfd without shrink/grow seals: the server could SIGBUS us */
        int write_sealed;  /* memfd sealed against writing: cannot be mapped for writing */
        size_t short_by;   /* memfd smaller than announced */
        int pipe_memfd;    /* a pipe where the memfd belongs */
        int pipe_doorbell; /* a pipe where the doorbell socket belongs */
        int nfds;          /* descriptors attached */
        uint32_t ring;     /* announced ring size */
        int want;          /* 0, or the -errno connect must return */
        int claim;         /* who the server says it is: CLAIM_* */
};

enum {
        CLAIM_NONE = 0,    /* pid and start 0: unknown */
        CLAIM_TRUE = 1,    /* our pid and start time */
        CLAIM_STARTED = 2, /* our pid, another start time: a reused pid */
        CLAIM_OTHER = 3,   /* another process's pid and start time */
};

/* claim: who a peer says it is, per kind (other: a live process that is not
 * the peer, pid and start time). */
static void claim(struct ward__hs_self *self, int kind, pid_t other)
{
        ward__hs_self_fill(self);
        ASSERT_EQ(self->pid, getpid());
        ASSERT_TRUE(self->start != 0);
        if (kind == CLAIM_NONE) {
                *self = (struct ward__hs_self){0};
        } else if (kind == CLAIM_STARTED) {
                self->start += 1;
        } else if (kind == CLAIM_OTHER) {
                self->pid = other;
                ASSERT_OK(ward__proc_stat(other, NULL, &self->start));
        }
}

static void answer_welcome(int s, const void *arg)
{
        const struct welcome_case *k = arg;
        struct ward__ipc_layout lay;
        ASSERT_OK(ward__ipc_layout_compute(4096, 4096, 4096, 4096, &lay));
        struct ward__welcome w = {.magic = WARD__HS_MAGIC,
                                  .version = WARD__HS_VERSION,
                                  .type = WARD__HS_WELCOME,
                                  .ring_c2s = k->ring,
                                  .pool_c2s = 4096,
                                  .ring_s2c = k->ring,
                                  .pool_s2c = 4096,
                                  .total = lay.total};
        claim(&w.self, k->claim, getppid());
        int memfd = memfd_create("ward-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        ASSERT_SYS(memfd);
        ASSERT_SYS(ftruncate(memfd, (off_t)(lay.total - k->short_by)));
        if (!k->unsealed) {
                int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
                ASSERT_SYS(fcntl(memfd, F_ADD_SEALS, seals | (k->write_sealed ? F_SEAL_WRITE : 0)));
        }
        int p[2];
        tu_pipe(p);
        int sv[2];
        ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
        int fds[4] = {memfd, sv[1], p[1], p[0]};
        if (k->pipe_memfd) {
                fds[0] = p[0];
        }
        if (k->pipe_doorbell) {
                fds[1] = p[1];
        }
        send_fds(s, &w, sizeof(w), fds, k->nfds);
        close(memfd);
        close(sv[0]);
        close(sv[1]);
        close(p[1]);
        close(p[0]);
}

TEST(server_hands_over_bad_descriptors)
{
        static const struct welcome_case cases[] = {
            {.name = "all correct", .nfds = 2, .ring = 4096, .want = 0},
            {.name = "memfd not sealed", .unsealed = 1, .nfds = 2, .ring = 4096, .want = -EPROTO},
            {.name = "memfd shorter than announced",
             .short_by = 4096,
             .nfds = 2,
             .ring = 4096,
             .want = -EPROTO},
            {.name = "a pipe for the memfd",
             .pipe_memfd = 1,
             .nfds = 2,
             .ring = 4096,
             .want = -EPROTO},
            {.name = "a pipe for the doorbell",
             .pipe_doorbell = 1,
             .nfds = 2,
             .ring = 4096,
             .want = -EPROTO},
            {.name = "one descriptor", .nfds = 1, .ring = 4096, .want = -EPROTO},
            {.name = "three descriptors", .nfds = 3, .ring = 4096, .want = -EPROTO},
            {.name = "four descriptors", .nfds = 4, .ring = 4096, .want = -EPROTO},
            {.name = "no descriptors", .nfds = 0, .ring = 4096, .want = -EPROTO},
            {.name = "sizes that do not match", .nfds = 2, .ring = 8192, .want = -EPROTO},
            {.name = "ring size not a power of two", .nfds = 2, .ring = 5000, .want = -EPROTO},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char addr[108], tag[32];
                snprintf(tag, sizeof(tag), "bad-welcome-%zu", i);
                tu_addr(addr, sizeof(addr), tag);
                int r = connect_to_answer(addr, answer_welcome, &cases[i]);
                fprintf(stderr, "   %s: connect returned %d (%s)\n", cases[i].name, r,
                        ward_strerror(r));
                ASSERT_EQ(r, cases[i].want);
        }
}

/* Each side watches the other's process (a pidfd) only when the kernel's pid
 * (SO_PEERCRED) is the one the peer claims in the handshake and /proc shows
 * that pid with the claimed start time: a reused pid is never watched. The
 * client's side: a raw server claims to be someone. */
TEST(client_watches_server_only_as_claimed)
{
        static const struct {
                int claim, watched;
        } cases[] = {{CLAIM_TRUE, 1}, {CLAIM_STARTED, 0}, {CLAIM_OTHER, 0}, {CLAIM_NONE, 0}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char addr[108], tag[32];
                snprintf(tag, sizeof(tag), "claim-%zu", i);
                tu_addr(addr, sizeof(addr), tag);
                struct welcome_case k = {
                    .name = "claim", .nfds = 2, .ring = 4096, .claim = cases[i].claim};
                ASSERT_OK(connect_to_answer(addr, answer_welcome, &k));
                fprintf(stderr, "   server claim %d: watched %d\n", cases[i].claim, last_watched);
                ASSERT_EQ(last_watched, cases[i].watched);
        }
}

/* The server's side: a raw client claims to be someone. */
static ward_ipc_conn *last_conn;

static void on_conn_keep(ward_ipc_conn *c, int event, int error, void *arg)
{
        on_conn(c, event, error, arg);
        last_conn = event == WARD_IPC_CONNECTED ? c : NULL;
}

static void claiming_client(const char *addr, int kind, pid_t other, int go_fd)
{
        int s = raw_connect(addr);
        struct ward__hello h = {.magic = WARD__HS_MAGIC,
                                .version = WARD__HS_VERSION,
                                .type = WARD__HS_HELLO,
                                .ring_bytes = 4096,
                                .pool_bytes = 4096};
        claim(&h.self, kind, other);
        send_packet(s, &h, sizeof(h));
        char b;
        tu_read_full(go_fd, &b, 1, 10000); /* until the server looked */
        exit(0);
}

TEST(server_watches_client_only_as_claimed)
{
        static const struct {
                int claim, watched;
        } cases[] = {{CLAIM_TRUE, 1}, {CLAIM_STARTED, 0}, {CLAIM_OTHER, 0}, {CLAIM_NONE, 0}};
        connected = closed = 0;
        struct server s;
        server_open(&s, "claims");
        ASSERT_OK(ward_ipc_server_set_conn_handler(s.srv, on_conn_keep, NULL));
        int sleeper_go[2];
        tu_pipe(sleeper_go);
        pid_t other = tu_fork(); /* a live process that is not the client */
        if (other == 0) {
                char b;
                tu_read_full(sleeper_go[0], &b, 1, 30000);
                exit(0);
        }
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int go[2];
                tu_pipe(go);
                int before = connected, closed_before = closed;
                pid_t pid = tu_fork();
                if (pid == 0) {
                        claiming_client(s.addr, cases[i].claim, other, go[0]);
                }
                while (connected == before) {
                        ASSERT_OK(ward_loop_run_once(s.loop, 5 * TU_MS));
                }
                ASSERT_TRUE(last_conn != NULL);
                struct ward_ipc_peer peer;
                ASSERT_OK(ward_ipc_conn_get_peer(last_conn, &peer));
                ASSERT_EQ(peer.pid, pid);
                int watched = last_conn->pidfd >= 0;
                fprintf(stderr, "   client claim %d: watched %d\n", cases[i].claim, watched);
                ASSERT_EQ(watched, cases[i].watched);
                tu_write_full(go[1], "x", 1);
                tu_check_exit0(pid, tu_drive_child(s.loop, pid, 10000));
                while (closed == closed_before) {
                        ASSERT_OK(ward_loop_run_once(s.loop, 5 * TU_MS));
                }
                close(go[0]);
                close(go[1]);
        }
        tu_write_full(sleeper_go[1], "x", 1);
        tu_expect_exit0(other, 5000);
        close(sleeper_go[0]);
        close(sleeper_go[1]);
        serve_good_client(&s);
        server_close(&s);
}

/* A client that attaches descriptors to its hello, or floods the server with
 * them: the server takes none of them (its descriptor count is checked when
 * the server is closed) and goes on. */
TEST(hello_carrying_descriptors)
{
        if (hello_len == 0) {
                capture_hello();
        }
        connected = closed = 0;
        struct server s;
        server_open(&s, "hello-fds");
        int fds[200];
        for (int i = 0; i < 200; i++) {
                fds[i] = eventfd(0, EFD_CLOEXEC);
                ASSERT_SYS(fds[i]);
        }
        static const int counts[] = {1, 3, 200};
        for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
                int fd = raw_connect(s.addr);
                send_fds(fd, hello, hello_len, fds, counts[i]);
                char what[64];
                snprintf(what, sizeof(what), "hello with %d descriptors", counts[i]);
                expect_dropped(&s, fd, 3000, what);
                close(fd);
        }
        for (int i = 0; i < 200; i++) {
                close(fds[i]);
        }
        ASSERT_EQ(connected, 0);
        serve_good_client(&s);
        server_close(&s);
}

/* Last in the file (a failure ends the executable): a memfd sealed against
 * writing cannot be mapped for writing. The server broke the protocol, so the
 * documented answer is -EPROTO, not mmap's -EPERM. */
TEST(server_hands_over_write_sealed_memfd)
{
        static const struct welcome_case k = {.name = "memfd sealed against writing",
                                              .write_sealed = 1,
                                              .nfds = 2,
                                              .ring = 4096,
                                              .want = -EPROTO};
        char addr[108];
        tu_addr(addr, sizeof(addr), "write-sealed");
        int r = connect_to_answer(addr, answer_welcome, &k);
        fprintf(stderr, "   %s: connect returned %d (%s)\n", k.name, r, ward_strerror(r));
        ASSERT_ERRNO(r, EPROTO);
}

TEST_MAIN()
