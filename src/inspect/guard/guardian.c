/* ward_guardian_run: start the worker, guard it until it ends, restart it
 * by policy. One poll loop per worker on its pidfd, our end of the pair,
 * the signal pipe and two deadlines (the handshake, the heartbeat). */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/guardian.h>

#include "core/guard-wire.h"
#include "core/options.h"
#include "inspect/guard/guardian-internal.h"

#define MS 1000000ull
#define S 1000000000ull

void ward__guardian_event(struct ward__guardian *g, const struct ward_guardian_event *ev)
{
        if (g->o.event) {
                g->o.event(g->o.event_arg, ev);
        }
}

void ward__guardian_warn(struct ward__guardian *g, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        struct ward_guardian_event ev = {
            .kind = WARD_GUARDIAN_WARNING, .pid = g->pid, .message = msg};
        ward__guardian_event(g, &ev);
}

static void say(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t size, const char *fmt, ...)
{
        if (size == 0) {
                return;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
}

static uint64_t or (uint64_t v, uint64_t dflt)
{
        return v ? v : dflt;
}

/* options_fill: the caller's options with the defaults of ward/guardian.h */
static int options_fill(struct ward__guardian *g, const struct ward_guardian_options *in)
{
        struct ward_guardian_options *o = &g->o;
        memset(o, 0, sizeof(*o));
        o->size = sizeof(*o);
        if (!in || ward__options_copy(o, sizeof(*o), in) < 0) {
                say(g->err, g->err_size, "options: NULL, or a size this library does not know");
                return -EINVAL;
        }
        if (!o->argv || !o->argv[0]) {
                say(g->err, g->err_size, "options: no argv[0]");
                return -EINVAL;
        }
        if (o->restart > WARD_GUARDIAN_RESTART_ALWAYS) {
                say(g->err, g->err_size, "options: restart %d is not a policy", (int)o->restart);
                return -EINVAL;
        }
        o->backoff_min_ns = or (o->backoff_min_ns, 100 * MS);
        o->backoff_max_ns = or (o->backoff_max_ns, 30 * S);
        if (o->backoff_max_ns < o->backoff_min_ns) {
                o->backoff_max_ns = o->backoff_min_ns;
        }
        o->burst = o->burst ? o->burst : 5;
        o->burst_window_ns = or (o->burst_window_ns, 60 * S);
        o->stable_ns = or (o->stable_ns, 60 * S);
        o->dump_dir = o->dump_dir ? o->dump_dir : ".";
        o->dump_max_bytes = or (o->dump_max_bytes, 1ull << 30);
        o->dump_max_count = o->dump_max_count ? o->dump_max_count : 20;
        o->on_crash_timeout_ns = or (o->on_crash_timeout_ns, 30 * S);
        o->handshake_timeout_ns = or (o->handshake_timeout_ns, 5 * S);
        o->grace_ns = or (o->grace_ns, 5 * S);
        return 0;
}

/* ending: has the worker ended (its pidfd readable within 100 ms: its end
 * of the pair closes a moment before the pidfd tells)? */
static int ending(const struct ward__guardian *g)
{
        struct pollfd p = {.fd = ward_proc_pidfd(g->proc), .events = POLLIN};
        return poll(&p, 1, 100) == 1;
}

/* protocol_over: a bad record or a closed end: the worker runs on unguarded */
static void protocol_over(struct ward__guardian *g, int r, const char *what)
{
        if (r != -EPIPE || !ending(g)) {
                ward__guardian_warn(g, "worker %d: %s%s%s: it runs on without crash capture",
                                    g->pid, what, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
        }
        close(g->sock);
        g->sock = -1;
        g->hello_until = g->beat_due = 0;
}

/* tell_ready: the worker is ready: READY=1 once in the guardian's life (a
 * restarted worker is only a STATUS= line) */
static void tell_ready(struct ward__guardian *g)
{
        if (g->worker_ready) {
                return;
        }
        g->worker_ready = 1;
        ward__notify(g, "%sSTATUS=worker %d running", g->told_ready ? "" : "READY=1\n", g->pid);
        g->told_ready = 1;
}

static void on_hello(struct ward__guardian *g, const struct ward__guard_msg *m)
{
        int r = g->guarded ? -EPROTO : ward__worker_hello(g, m);
        if (r < 0) {
                protocol_over(g, r, "bad handshake");
                return;
        }
        struct ward_guardian_event ev = {.kind = WARD_GUARDIAN_READY, .pid = g->pid};
        ward__guardian_event(g, &ev);
        if (g->o.ready_at_hello) {
                tell_ready(g);
        }
}

/* on_record: 1 the worker ended (crashed; *status), 0 go on */
static int on_record(struct ward__guardian *g, const struct ward__guard_msg *m, int *status)
{
        if (m->type == WARD__GUARD_HELLO) {
                on_hello(g, m);
        } else if (!g->guarded) {
                protocol_over(g, 0, "a record before its handshake");
        } else if (m->type == WARD__GUARD_BEAT) {
                g->beat_due = g->beat_ns ? ward_now_ns() + g->beat_ns : 0;
        } else if (m->type == WARD__GUARD_STARTED) {
                tell_ready(g);
        } else if (m->type == WARD__GUARD_CRASH) {
                return ward__capture_crash(g, m, status) == 0 ? 1 : -1;
        } else {
                protocol_over(g, 0, "a record only a guardian sends");
        }
        return 0;
}

/* read_records: every record waiting; 1 the worker ended */
static int read_records(struct ward__guardian *g, int *status)
{
        while (g->sock >= 0) {
                struct ward__guard_msg m;
                int r = ward__worker_recv(g, &m, !g->guarded);
                if (r == 0) {
                        return 0;
                }
                if (r < 0) {
                        protocol_over(g, r, r == -EPIPE ? "closed its end" : "bad record");
                        return 0;
                }
                r = on_record(g, &m, status);
                if (r != 0) {
                        return 1;
                }
        }
        return 0;
}

static int poll_timeout(const struct ward__guardian *g)
{
        uint64_t due = 0;
        if (g->hello_until) {
                due = g->hello_until;
        }
        if (g->beat_due && (!due || g->beat_due < due)) {
                due = g->beat_due;
        }
        if (!due) {
                return -1;
        }
        uint64_t now = ward_now_ns();
        return due <= now
                   ? 0
                   : (int)((due - now + MS - 1) / MS > 60000 ? 60000 : (due - now + MS - 1) / MS);
}

/* deadlines: 1 the worker was hung (captured, stopped; *status) */
static int deadlines(struct ward__guardian *g, int *status)
{
        uint64_t now = ward_now_ns();
        if (g->hello_until && now >= g->hello_until) {
                g->hello_until = 0;
                ward__guardian_warn(g,
                                    "worker %d did not handshake within %.3gs: it runs "
                                    "without crash capture",
                                    g->pid, (double)g->o.handshake_timeout_ns / 1e9);
                if (g->o.ready_at_hello) {
                        tell_ready(g);
                }
        }
        if (g->beat_due && now >= g->beat_due) {
                g->beat_due = 0;
                if (ward__capture_hang(g, status) == 0) {
                        return 1;
                }
        }
        return 0;
}

/* A worker that ended leaves its files in /dev/shm and a dump over the
 * budget. Both are tidied once its successor has handshaken (or will not:
 * its handshake deadline passed, it closed its end), or when no successor
 * comes: the successor's start, from exec to its handshake, has the
 * machine to itself, and the service is back a moment sooner. */
static void tidy(struct ward__guardian *g)
{
        for (int i = 0; i < g->n_left; i++) {
                ward__shm_cleanup(g->left_pids[i]);
        }
        if (g->left_dump) {
                ward__dumps_budget(g);
        }
        g->n_left = g->left_dump = 0;
}

/* leave: the worker pid ended (with a dump): tidied later */
static void leave(struct ward__guardian *g, int pid, int dump)
{
        if (g->n_left == WARD__GUARDIAN_LEFT_MAX) {
                tidy(g); /* successors that end before they handshake */
        }
        g->left_pids[g->n_left++] = pid;
        g->left_dump |= dump;
}

/* tidy_due: is there something to tidy, and is the worker past its start? */
static int tidy_due(const struct ward__guardian *g)
{
        return (g->n_left > 0 || g->left_dump) && (g->guarded || !g->hello_until);
}

/* watch: guard the worker until it ended and was reaped; its wait status */
static int watch(struct ward__guardian *g, int *failed)
{
        int status = 0;
        for (;;) {
                if (tidy_due(g)) {
                        tidy(g);
                }
                if (ward__signals_take(g)) {
                        struct ward_proc_status st;
                        if (ward_proc_stop(g->proc, g->o.grace_ns, &st) == 0) {
                                return ward__status_of(&st);
                        }
                        return 1 << 8; /* stuck in the kernel 10 s after SIGKILL: exit 1 */
                }
                struct pollfd p[3] = {{.fd = g->sig_fd, .events = POLLIN},
                                      {.fd = ward_proc_pidfd(g->proc), .events = POLLIN},
                                      {.fd = g->sock, .events = POLLIN}};
                int n = poll(p, g->sock >= 0 ? 3 : 2, poll_timeout(g));
                if (n < 0 && errno != EINTR) {
                        ward__guardian_warn(g, "poll: %s", strerror(errno));
                        sleep(1);
                }
                if (g->sock >= 0 && p[2].revents && read_records(g, &status)) {
                        *failed = 1;
                        return status;
                }
                if (p[1].revents) {
                        struct ward_proc_status st;
                        if (ward_proc_wait(g->proc, 0, &st) == 0) {
                                status = ward__status_of(&st);
                                *failed = status != 0;
                                return status;
                        }
                }
                if (deadlines(g, &status)) {
                        *failed = 1;
                        return status;
                }
        }
}

static void exited_event(struct ward__guardian *g, int status)
{
        struct ward_guardian_event ev = {
            .kind = WARD_GUARDIAN_EXITED, .pid = g->pid, .status = status};
        ward__guardian_event(g, &ev);
}

static void give_up(struct ward__guardian *g, const char *msg)
{
        struct ward_guardian_event ev = {
            .kind = WARD_GUARDIAN_GIVING_UP, .pid = g->pid, .message = msg};
        ward__guardian_event(g, &ev);
        ward__notify(g, "STATUS=%s", msg);
}

/* upload: the dump of the worker that ended, by on_crash, before a restart */
static void upload(struct ward__guardian *g)
{
        if (g->core[0] && access(g->core, F_OK) == 0) {
                ward__dumps_upload(g, g->core, g->report);
        }
}

/* next: restart (after the back-off) or stop? 1 restart */
static int next(struct ward__guardian *g, int failed)
{
        uint64_t now = ward_now_ns(), delay = 0;
        char msg[160];
        switch (ward__policy_next(&g->policy, failed, now - g->started_ns, now, &delay)) {
        case WARD__POLICY_DONE:
                if (failed) {
                        give_up(g, "restart=no: the worker is not restarted");
                }
                return 0;
        case WARD__POLICY_BURST:
                snprintf(msg, sizeof(msg), "%u restarts within %.3gs: giving up", g->o.burst,
                         (double)g->o.burst_window_ns / 1e9);
                give_up(g, msg);
                return 0;
        case WARD__POLICY_RESTART:
                break;
        }
        struct ward_guardian_event ev = {
            .kind = WARD_GUARDIAN_RESTARTING, .pid = g->pid, .delay_ns = delay};
        ward__guardian_event(g, &ev);
        ward__notify(g, "STATUS=worker %d ended, restarting in %.3gs", g->pid, (double)delay / 1e9);
        return ward__wait_or_signal(g, -1, now + delay) != -EINTR;
}

/* run: the workers, one after another, until one ends for good */
static int run(struct ward__guardian *g)
{
        for (int first = 1;; first = 0) {
                g->core[0] = g->report[0] = '\0';
                int r = ward__worker_start(g);
                if (r < 0) {
                        tidy(g); /* no successor: now */
                }
                if (r < 0 && first) {
                        say(g->err, g->err_size, "%s: %s", g->o.path ? g->o.path : g->o.argv[0],
                            strerror(-r));
                        return r;
                }
                int failed = 1;
                if (r < 0) {
                        ward__guardian_warn(g, "%s: %s", g->o.argv[0], strerror(-r));
                        g->status = 127 << 8;
                        g->started_ns = ward_now_ns();
                } else {
                        struct ward_guardian_event ev = {.kind = WARD_GUARDIAN_STARTED,
                                                         .pid = g->pid};
                        ward__guardian_event(g, &ev);
                        g->status = watch(g, &failed);
                        exited_event(g, g->status);
                        leave(g, g->pid, g->core[0] != '\0');
                        upload(g);
                        ward__worker_close(g);
                }
                if (g->stop_signal || !next(g, failed)) {
                        tidy(g);
                        return g->status;
                }
        }
}

int ward_guardian_run(const struct ward_guardian_options *o, char *err, size_t err_size)
{
        struct ward__guardian *g = calloc(1, sizeof(*g));
        if (!g) {
                return -ENOMEM;
        }
        g->err = err;
        g->err_size = err_size;
        g->sock = g->sig_fd = g->listen_fd = g->notify_fd = -1;
        int r = options_fill(g, o);
        if (r == 0 && (r = ward__policy_init(&g->policy, &g->o)) < 0) {
                say(err, err_size, "options: burst %u out of range", g->o.burst);
        }
        if (r == 0 && mkdir(g->o.dump_dir, 0750) < 0 && errno != EEXIST) {
                r = -errno;
                say(err, err_size, "dump directory %s: %s", g->o.dump_dir, strerror(-r));
        }
        if (r == 0 && (r = ward__listen_open(g)) < 0) {
                say(err, err_size, "--listen %s: %s", g->o.listen, strerror(-r));
        }
        if (r == 0 && (r = ward__signals_catch(g)) < 0) {
                say(err, err_size, "signal pipe: %s", strerror(-r));
        }
        if (r == 0) {
                ward__notify_open(g);
                ward__dumps_retry(g);
                r = g->stop_signal ? 0 : run(g);
                ward__signals_restore(g);
        }
        ward__listen_close(g);
        if (g->notify_fd >= 0) {
                close(g->notify_fd);
        }
        ward__policy_free(&g->policy);
        free(g);
        return r;
}
