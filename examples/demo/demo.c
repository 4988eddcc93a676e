/* ward-demo: a two-process system over ward IPC, narrated. The parent forks a
 * "calc" server and uses every kind of message: sync and async calls, one-way
 * logs, a zero-copy 1 MiB transfer, 10000 timed round trips; then it stops the
 * server with SIGTERM, which the server handles on its event loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

enum op { OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_LOG, OP_SUM, OP_PING };

/* Every message starts with its op; a calculation carries two numbers. */
struct calc_req {
        uint32_t op;
        uint32_t pad;
        int64_t a, b;
};

#define BIG (1u << 20)
#define PINGS 10000
#define SEC 1000000000ull

static pid_t server_pid = -1;
static unsigned long served;

/* check: on failure say what failed, take the server down, exit 1. */
static void check(const char *what, int r)
{
        if (r >= 0) {
                return;
        }
        fprintf(stderr, "ward-demo: %s: %s\n", what, ward_strerror(r));
        if (server_pid > 0) {
                kill(server_pid, SIGKILL);
        }
        exit(1);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t i = 0; i < n; i++) {
                h = (h ^ p[i]) * 0x100000001b3ull;
        }
        return h;
}

/* ---------------- the server (child process) ---------------- */

/* compute: the peer's numbers are untrusted: no overflow, no division by zero. */
static int compute(const struct calc_req *q, int64_t *out)
{
        switch (q->op) {
        case OP_ADD:
                return __builtin_add_overflow(q->a, q->b, out) ? -ERANGE : 0;
        case OP_SUB:
                return __builtin_sub_overflow(q->a, q->b, out) ? -ERANGE : 0;
        case OP_MUL:
                return __builtin_mul_overflow(q->a, q->b, out) ? -ERANGE : 0;
        case OP_DIV:
                if (q->b == 0 || (q->a == INT64_MIN && q->b == -1)) {
                        return -EDOM;
                }
                *out = q->a / q->b;
                return 0;
        }
        return -EINVAL;
}

static void on_message(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        const uint8_t *data = ward_ipc_msg_data(m);
        size_t len = ward_ipc_msg_len(m);
        uint64_t id = ward_ipc_msg_call_id(m);
        uint32_t op = 0;
        struct calc_req q;
        int64_t result = 0;
        (void)arg;
        served++;
        if (len >= sizeof(op)) {
                memcpy(&op, data, sizeof(op)); /* shared memory: copy, then look */
        }
        if (op == OP_LOG) {
                printf("  [server] log: %.*s\n", (int)(len - sizeof(op)), data + sizeof(op));
        } else if (op == OP_PING) {
                ward_ipc_reply(c, id, 0, data, len);
        } else if (op == OP_SUM) {
                uint64_t sum = fnv1a(data + sizeof(op), len - sizeof(op));
                ward_ipc_reply(c, id, 0, &sum, sizeof(sum));
        } else if (id && len == sizeof(q)) {
                memcpy(&q, data, sizeof(q));
                int status = compute(&q, &result);
                ward_ipc_reply(c, id, status, &result, sizeof(result));
        } else if (id) {
                ward_ipc_reply(c, id, -EINVAL, NULL, 0);
        }
}

static void on_sigterm(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)arg;
        printf("  [server] SIGTERM from pid %u: leaving the loop after %lu messages\n", si->ssi_pid,
               served);
        ward_loop_stop(ward_source_get_loop(s));
}

static void run_server(const char *addr, int ready_fd)
{
        ward_loop *loop;
        ward_ipc_server *srv;
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigprocmask(SIG_BLOCK, &ss, NULL); /* delivered through the loop instead */
        check("server: ward_loop_new", ward_loop_new(&loop));
        check("server: listen", ward_ipc_server_new(loop, addr, NULL, on_message, NULL, &srv));
        check("server: SIGTERM", ward_loop_add_signal(loop, SIGTERM, on_sigterm, NULL, NULL));
        printf("  [server] pid %d listening on %s\n", (int)getpid(), addr);
        check("server: ready", write(ready_fd, "!", 1) == 1 ? 0 : -EIO);
        close(ready_fd);
        int r = ward_loop_run(loop);
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
        printf("  [server] freed everything, exiting\n");
        exit(r < 0 ? 1 : 0);
}

static void start_server(const char *addr)
{
        int p[2];
        char b;
        fflush(stdout);
        if (pipe(p) < 0 || (server_pid = fork()) < 0) {
                check("pipe/fork", -errno);
        }
        if (server_pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the demo */
                close(p[0]);
                run_server(addr, p[1]);
        }
        close(p[1]);
        check("the server did not start", read(p[0], &b, 1) == 1 ? 0 : -ECHILD);
        close(p[0]);
}

/* ---------------- the client (parent process) ---------------- */

static int64_t result_of(const ward_ipc_msg *reply)
{
        int64_t result = 0;
        if (reply && ward_ipc_msg_len(reply) == sizeof(result)) {
                memcpy(&result, ward_ipc_msg_data(reply), sizeof(result));
        }
        return result;
}

static int64_t calc(ward_ipc_conn *c, uint32_t op, int64_t a, int64_t b, int *status)
{
        struct calc_req q = {.op = op, .a = a, .b = b};
        const ward_ipc_msg *rep;
        check("ward_ipc_call", ward_ipc_call(c, &q, sizeof(q), 5 * SEC, &rep));
        *status = ward_ipc_msg_status(rep);
        return result_of(rep); /* valid until the next call: no release needed */
}

static void sync_calls(ward_ipc_conn *c)
{
        int st;
        printf("\n1. Synchronous calls (ward_ipc_call waits for the reply):\n");
        printf("   6 * 7    = %lld\n", (long long)calc(c, OP_MUL, 6, 7, &st));
        printf("   1000 - 1 = %lld\n", (long long)calc(c, OP_SUB, 1000, 1, &st));
        calc(c, OP_DIV, 1, 0, &st);
        printf("   1 / 0    -> the server answers with status %d (%s)\n", st, ward_strerror(st));
}

static int pending;

static void on_async_reply(ward_ipc_conn *c, int status, const ward_ipc_msg *reply, void *arg)
{
        (void)c;
        printf("   %-8s = %lld (%s)\n", (const char *)arg, (long long)result_of(reply),
               ward_strerror(status));
        pending--;
}

static void async_calls(ward_ipc_conn *c, ward_loop *loop)
{
        static const struct calc_req qs[] = {
            {OP_ADD, 0, 2, 3}, {OP_MUL, 0, 12, 12}, {OP_SUB, 0, 10, 100}};
        static const char *names[] = {"2 + 3", "12 * 12", "10 - 100"};
        printf("\n2. Asynchronous calls: 3 in flight at once, replies come to our ward_loop:\n");
        for (int i = 0; i < 3; i++, pending++) {
                check("ward_ipc_call_async",
                      ward_ipc_call_async(c, &qs[i], sizeof(qs[i]), 5 * SEC, on_async_reply,
                                          (void *)names[i], NULL));
        }
        while (pending > 0) {
                check("ward_loop_run_once", ward_loop_run_once(loop, SEC));
        }
}

static void one_way_logs(ward_ipc_conn *c)
{
        static const char *lines[] = {"hello from the parent", "one-way: no reply expected",
                                      "messages arrive in order"};
        struct {
                uint32_t op;
                char text[60];
        } m = {.op = OP_LOG};
        int st;
        printf("\n3. One-way messages (ward_ipc_send); the server prints them:\n");
        for (int i = 0; i < 3; i++) {
                snprintf(m.text, sizeof(m.text), "%s", lines[i]);
                check("ward_ipc_send", ward_ipc_send(c, &m, sizeof(m.op) + strlen(m.text)));
        }
        calc(c, OP_ADD, 0, 0, &st); /* a call after them returns once they were handled */
}

static void zero_copy(ward_ipc_conn *c)
{
        ward_ipc_buf *b;
        const ward_ipc_msg *rep;
        uint64_t remote = 0;
        uint32_t op = OP_SUM;
        printf("\n4. Zero-copy: 1 MiB built in place in shared memory, never copied:\n");
        check("ward_ipc_buf_alloc", ward_ipc_buf_alloc(c, sizeof(op) + BIG, SEC, &b));
        uint8_t *p = ward_ipc_buf_data(b);
        memcpy(p, &op, sizeof(op));
        for (size_t i = 0; i < BIG; i++) {
                p[sizeof(op) + i] = (uint8_t)(i * 7 + (i >> 12));
        }
        uint64_t local = fnv1a(p + sizeof(op), BIG);
        check("ward_ipc_call_buf", ward_ipc_call_buf(c, b, 5 * SEC, &rep));
        if (ward_ipc_msg_len(rep) == sizeof(remote)) {
                memcpy(&remote, ward_ipc_msg_data(rep), sizeof(remote));
        }
        ward_ipc_msg_release(c, rep);
        printf("   our checksum 0x%016llx, the server's 0x%016llx: %s\n", (unsigned long long)local,
               (unsigned long long)remote, local == remote ? "match" : "MISMATCH");
        check("zero-copy transfer", local == remote ? 0 : -EIO);
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static void round_trips(ward_ipc_conn *c)
{
        static uint64_t t[PINGS];
        uint8_t msg[64] = {0};
        uint32_t op = OP_PING;
        const ward_ipc_msg *rep;
        memcpy(msg, &op, sizeof(op));
        printf("\n5. Round trip of a 64-byte call, %d times:\n", PINGS);
        for (int i = 0; i < PINGS; i++) {
                uint64_t t0 = ward_now_ns();
                check("ping", ward_ipc_call(c, msg, sizeof(msg), 5 * SEC, &rep));
                t[i] = ward_now_ns() - t0;
        }
        qsort(t, PINGS, sizeof(t[0]), cmp_u64);
        printf("   median %.2f us, 99th percentile %.2f us\n", t[PINGS / 2] / 1e3,
               t[PINGS * 99 / 100] / 1e3);
}

static void stop_server(void)
{
        int st = 0;
        printf("\n6. Stopping the server with SIGTERM:\n");
        kill(server_pid, SIGTERM);
        waitpid(server_pid, &st, 0);
        server_pid = -1;
        printf("   the server %s %d\n", WIFEXITED(st) ? "exited with status" : "died of signal",
               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        check("the server did not end cleanly", st == 0 ? 0 : -ECHILD);
}

int main(void)
{
        char addr[64];
        ward_loop *loop;
        ward_ipc_conn *c;
        setvbuf(stdout, NULL, _IOLBF, 0); /* two processes share the terminal */
        snprintf(addr, sizeof(addr), "@ward-demo-%d", (int)getpid());
        printf("ward-demo: two processes talking over ward IPC\n");
        printf("  [parent] pid %d, starting the calc server\n", (int)getpid());
        start_server(addr);
        check("ward_loop_new", ward_loop_new(&loop));
        check("ward_ipc_connect", ward_ipc_connect(addr, NULL, &c));
        check("ward_ipc_conn_attach", ward_ipc_conn_attach(c, loop));
        printf("  [parent] connected to %s: shared-memory rings are set up\n", addr);
        sync_calls(c);
        async_calls(c, loop);
        one_way_logs(c);
        zero_copy(c);
        round_trips(c);
        ward_ipc_conn_close(c);
        ward_loop_free(loop);
        stop_server();
        printf("\nAll done: every step worked.\n");
        return 0;
}
