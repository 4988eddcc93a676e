/* cell.c: one (mechanism, size, run) cell: fork the server, wait until it
 * listens, fork the client, which warms up, times each round trip and sends
 * median and p99 back over a pipe; then reap both and clean up.
 *
 * The parent never runs a mechanism itself, so no library state (zmq or nng
 * threads, ward loops) ever crosses a fork. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cell.h"
#include "stats.h"

#define READY_TIMEOUT_MS 10000
#define RESULT_SLACK_MS 30000 /* beyond the caps, for set-up and slow round trips */
#define EXIT_TIMEOUT_MS 5000

uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mech_ready(struct mech_ctx *ctx, int err)
{
        int32_t e = err;
        if (write(ctx->ready_fd, &e, sizeof(e)) != sizeof(e)) {
                _exit(1);
        }
        close(ctx->ready_fd);
        ctx->ready_fd = -1;
}

/* read_full: read n bytes within timeout_ms. Returns 0, -EPIPE on EOF (the writer
 * died), -ETIMEDOUT or -errno. */
static int read_full(int fd, void *buf, size_t n, int timeout_ms)
{
        uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
        size_t got = 0;
        while (got < n) {
                uint64_t now = now_ns();
                if (now >= deadline) {
                        return -ETIMEDOUT;
                }
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int r = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
                if (r < 0 && errno != EINTR) {
                        return -errno;
                }
                if (r <= 0) {
                        continue;
                }
                ssize_t k = read(fd, (char *)buf + got, n - got);
                if (k == 0) {
                        return -EPIPE;
                }
                if (k < 0 && errno != EINTR) {
                        return -errno;
                }
                got += k > 0 ? (size_t)k : 0;
        }
        return 0;
}

/* reap: wait up to timeout_ms for pid to exit, then kill it. Returns its wait
 * status, or -ETIMEDOUT if it had to be killed. */
static int reap(pid_t pid, int timeout_ms)
{
        struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};
        int status;
        for (int i = 0; i < timeout_ms; i++) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid || (r < 0 && errno != EINTR)) {
                        return r == pid ? status : -errno;
                }
                nanosleep(&ms, NULL);
        }
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return -ETIMEDOUT;
}

static void warn_cell(const struct mech_ctx *ctx, const char *what, int err)
{
        fprintf(stderr, "ward-bench-ipc: %s at %zu B: %s: %s\n", ctx->mech->name, ctx->size, what,
                strerror(-err));
}

/* time_round_trips: the timed loop; each round trip is timed on its own so the
 * tail is visible. Returns the number of samples or a negative errno. */
static long time_round_trips(struct mech_ctx *ctx, const struct cell_params *p, uint64_t *samples,
                             uint32_t *truncated)
{
        const struct mech *m = ctx->mech;
        uint64_t start = now_ns();
        for (unsigned i = 0; i < p->iters; i++) {
                uint64_t t0 = now_ns();
                int r = m->round_trip(ctx);
                uint64_t t1 = now_ns();
                if (r < 0) {
                        warn_cell(ctx, "round trip", r);
                        return r;
                }
                samples[i] = t1 - t0;
                if (t1 - start > p->time_cap_ns && i + 1 < p->iters) {
                        *truncated = 1;
                        return (long)i + 1;
                }
        }
        return (long)p->iters;
}

static int warm_up(struct mech_ctx *ctx, const struct cell_params *p)
{
        uint64_t deadline = now_ns() + p->warmup_cap_ns;
        for (unsigned i = 0; i < p->warmup && now_ns() < deadline; i++) {
                int r = ctx->mech->round_trip(ctx);
                if (r < 0) {
                        warn_cell(ctx, "warm-up round trip", r);
                        return r;
                }
        }
        return 0;
}

static void client_measure(struct mech_ctx *ctx, const struct cell_params *p,
                           struct cell_result *res)
{
        uint64_t *samples = calloc(p->iters ? p->iters : 1, sizeof(*samples));
        int r = samples ? ctx->mech->client_open(ctx) : -ENOMEM;
        if (r < 0) {
                warn_cell(ctx, "client set-up", r);
                res->err = r;
                free(samples);
                return;
        }
        r = warm_up(ctx, p);
        long n = r < 0 ? r : time_round_trips(ctx, p, samples, &res->truncated);
        ctx->mech->client_close(ctx);
        if (n <= 0) {
                res->err = n < 0 ? (int32_t)n : -EINVAL;
        } else {
                res->samples = (uint32_t)n;
                res->median_ns = stats_median_u64(samples, (size_t)n);
                res->p99_ns = stats_p99_u64(samples, (size_t)n);
        }
        free(samples);
}

static pid_t fork_server(struct mech_ctx *ctx, int *ret_ready_fd)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
                return -errno;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[0]);
                ctx->ready_fd = fds[1];
                int r = ctx->mech->serve(ctx);
                if (r < 0) {
                        warn_cell(ctx, "server", r); /* before the parent may kill us */
                }
                if (r < 0 && ctx->ready_fd >= 0) {
                        mech_ready(ctx, r);
                }
                _exit(r < 0 ? 1 : 0);
        }
        close(fds[1]);
        if (pid < 0) {
                close(fds[0]);
                return -errno;
        }
        *ret_ready_fd = fds[0];
        return pid;
}

static pid_t fork_client(struct mech_ctx *ctx, const struct cell_params *p, int *ret_result_fd)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
                return -errno;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[0]);
                struct cell_result res = {0};
                client_measure(ctx, p, &res);
                _exit(write(fds[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
        }
        close(fds[1]);
        if (pid < 0) {
                close(fds[0]);
                return -errno;
        }
        *ret_result_fd = fds[0];
        return pid;
}

/* wait_ready: the server's verdict on its set-up. */
static int wait_ready(struct mech_ctx *ctx, int fd)
{
        int32_t err = 0;
        int r = read_full(fd, &err, sizeof(err), READY_TIMEOUT_MS);
        close(fd);
        if (r < 0) {
                warn_cell(ctx, "waiting for the server", r);
                return r;
        }
        return err; /* the server printed why */
}

static int collect(struct mech_ctx *ctx, const struct cell_params *p, int fd,
                   struct cell_result *ret)
{
        uint64_t caps_ms = (p->warmup_cap_ns + p->time_cap_ns) / 1000000u;
        int r = read_full(fd, ret, sizeof(*ret), (int)caps_ms + RESULT_SLACK_MS);
        close(fd);
        if (r < 0) {
                warn_cell(ctx, "waiting for the client", r);
                return r;
        }
        return ret->err; /* the client printed why */
}

/* finish: reap both; a server that does not stop by itself is worth a warning
 * but does not spoil a measurement the client already made. */
static void finish(struct mech_ctx *ctx, pid_t server, pid_t client, int failed)
{
        if (failed) {
                kill(server, SIGKILL);
                if (client > 0) {
                        kill(client, SIGKILL);
                }
        }
        if (client > 0) {
                reap(client, EXIT_TIMEOUT_MS);
        }
        int st = reap(server, EXIT_TIMEOUT_MS);
        if (failed) {
                return;
        }
        if (st == -ETIMEDOUT) {
                warn_cell(ctx, "server did not stop; killed", st);
        } else if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
                fprintf(stderr, "ward-bench-ipc: %s at %zu B: server %s %d\n", ctx->mech->name,
                        ctx->size, WIFEXITED(st) ? "exited with status" : "killed by signal",
                        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        }
}

int cell_run(const struct mech *m, size_t size, unsigned cell, const struct cell_params *p,
             struct cell_result *ret)
{
        struct mech_ctx ctx = {.mech = m, .size = size, .cell = cell, .ready_fd = -1};
        snprintf(ctx.name, sizeof(ctx.name), "ward-bench-%d-%u", (int)getpid(), cell);
        memset(ret, 0, sizeof(*ret));
        int r = m->setup ? m->setup(&ctx) : 0;
        if (r < 0) {
                warn_cell(&ctx, "set-up", r);
                if (m->teardown) {
                        m->teardown(&ctx);
                }
                return r;
        }
        int fd = -1;
        pid_t server = fork_server(&ctx, &fd), client = -1;
        r = server < 0 ? (int)server : wait_ready(&ctx, fd);
        if (r == 0) {
                client = fork_client(&ctx, p, &fd);
                r = client < 0 ? (int)client : 0;
        }
        if (m->release) {
                m->release(&ctx);
        }
        if (r == 0) {
                r = collect(&ctx, p, fd, ret);
        }
        if (server > 0) {
                finish(&ctx, server, client, r < 0);
        }
        if (m->teardown) {
                m->teardown(&ctx);
        }
        return r;
}
