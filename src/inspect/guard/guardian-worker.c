/* Starting a worker and talking to it: the SOCK_SEQPACKET pair (its end
 * inherited, named by WARD_GUARD_FD), its environment (LD_PRELOAD with the
 * crash library first, the listening socket's fd and address, no
 * NOTIFY_SOCKET when the guardian notifies), and the records of
 * core/guard-wire.h, each checked before use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "core/procstat.h"
#include "inspect/guard/guard-mark.h"
#include "inspect/guard/guardian-internal.h"
#include "inspect/proc/spawn-internal.h"

extern char **environ;

/* replaced: is entry "NAME=..." one the guardian sets itself? */
static int replaced(const struct ward__guardian *g, const char *entry)
{
        static const char *const ours[] = {
            WARD__GUARD_ENV_FD "=", "LD_PRELOAD=", "WARD_LISTEN_FD=", "WARD_LISTEN_ADDRESS="};
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
                if (strncmp(entry, ours[i], strlen(ours[i])) == 0) {
                        return 1;
                }
        }
        return g->notify_fd >= 0 && strncmp(entry, "NOTIFY_SOCKET=", 14) == 0;
}

static void env_free(char **env)
{
        for (size_t i = 0; env && env[i]; i++) {
                free(env[i]);
        }
        free(env);
}

/* env_build: our environment with the guardian's variables; malloc'd */
static char **env_build(const struct ward__guardian *g, int worker_fd)
{
        size_t n = 0, k = 0;
        while (environ[n]) {
                n++;
        }
        char **env = calloc(n + 5, sizeof(*env));
        if (!env) {
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                if (!replaced(g, environ[i]) && !(env[k++] = strdup(environ[i]))) {
                        goto fail;
                }
        }
        const char *old = getenv("LD_PRELOAD");
        if (asprintf(&env[k++], "%s=%d", WARD__GUARD_ENV_FD, worker_fd) < 0) {
                goto fail;
        }
        if (g->o.preload && asprintf(&env[k++], "LD_PRELOAD=%s%s%s", g->o.preload,
                                     old && *old ? ":" : "", old ? old : "") < 0) {
                goto fail;
        } else if (!g->o.preload && old && asprintf(&env[k++], "LD_PRELOAD=%s", old) < 0) {
                goto fail;
        }
        if (g->listen_fd >= 0 && (asprintf(&env[k++], "WARD_LISTEN_FD=%d", g->listen_fd) < 0 ||
                                  asprintf(&env[k++], "WARD_LISTEN_ADDRESS=%s", g->o.listen) < 0)) {
                goto fail;
        }
        return env;
fail:
        env[k > 0 ? k - 1 : 0] = NULL; /* asprintf left it undefined */
        env_free(env);
        return NULL;
}

/* systemd_fds: how many sockets systemd passed this process (LISTEN_FDS
 * from fd 3, when LISTEN_PID is ours); each worker keeps them, and its side
 * of ward_guard_start makes LISTEN_PID its own, so socket activation reaches
 * the program through its guardian. 0 when there are none or the
 * variables do not make sense. */
static int systemd_fds(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        char *end;
        if (!pid || !fds) {
                return 0;
        }
        errno = 0;
        long p = strtol(pid, &end, 10);
        if (errno || *end || p != (long)getpid()) {
                return 0;
        }
        long n = strtol(fds, &end, 10);
        if (errno || *end || n <= 0 || n > WARD__GUARDIAN_SYSTEMD_FDS_MAX) {
                return 0;
        }
        return (int)n;
}

int ward__worker_start(struct ward__guardian *g)
{
        int sv[2], one = 1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                return -errno;
        }
        if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return -e;
        }
        char **env = env_build(g, sv[1]);
        int keep[2 + WARD__GUARDIAN_SYSTEMD_FDS_MAX] = {sv[1]};
        size_t nkeep = 1;
        if (g->listen_fd >= 0) {
                keep[nkeep++] = g->listen_fd;
        }
        for (int i = 0, n = systemd_fds(); i < n; i++) {
                keep[nkeep++] = 3 + i; /* SD_LISTEN_FDS_START */
        }
        struct ward_proc_spawn_options so = {.size = sizeof(so),
                                             .path = g->o.path,
                                             .argv = g->o.argv,
                                             .envp = env,
                                             .keep_fds = keep,
                                             .n_keep_fds = nkeep};
        /* vfork-style: the guardian's heap and mappings, grown by captures,
         * are neither copied nor torn down on the way to the worker's exec */
        int r = env ? ward__proc_spawn(&so, 1, &g->proc) : -ENOMEM;
        env_free(env);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                return r;
        }
        g->sock = sv[0];
        g->pid = ward_proc_pid(g->proc);
        ward__guard_mark_write(g->pid); /* optional: `ward ps` says "guarded" */
        g->guarded = 0;
        g->worker_ready = 0;
        g->started_ns = ward_now_ns();
        g->hello_until = g->started_ns + g->o.handshake_timeout_ns;
        g->beat_ns = g->beat_due = 0;
        return 0;
}

/* creds_of: the SCM_CREDENTIALS of a received message, or NULL */
static const struct ucred *creds_of(struct msghdr *mh)
{
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
                        return (const struct ucred *)CMSG_DATA(c);
                }
        }
        return NULL;
}

int ward__worker_recv(struct ward__guardian *g, struct ward__guard_msg *m, int want_creds)
{
        unsigned char buf[sizeof(*m) + 64];
        union {
                char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.b,
                            .msg_controllen = sizeof(ctl.b)};
        ssize_t n = recvmsg(g->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        }
        if (n == 0) {
                return -EPIPE;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        int *fds = (int *)CMSG_DATA(c); /* none are expected: close them */
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < k; i++) {
                                close(fds[i]);
                        }
                        return -EPROTO;
                }
        }
        if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
                return -EPROTO;
        }
        int r = ward__guard_msg_check(buf, (size_t)n, m);
        if (r < 0) {
                return r;
        }
        const struct ucred *cr = creds_of(&mh);
        if (want_creds && (!cr || cr->pid != g->pid || cr->uid != geteuid())) {
                return -EPERM;
        }
        return m->pid == g->pid ? 1 : -EPERM;
}

int ward__worker_send(struct ward__guardian *g, int type, uint64_t value)
{
        struct ward__guard_msg m = ward__guard_msg_make((enum ward__guard_type)type, getpid());
        m.value = value;
        if (g->sock < 0) {
                return -EPIPE;
        }
        return send(g->sock, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(m)
                   ? 0
                   : -errno;
}

int ward__worker_hello(struct ward__guardian *g, const struct ward__guard_msg *m)
{
        uint64_t start = 0;
        int r = ward__proc_stat(g->pid, NULL, &start);
        if (r < 0) {
                return r;
        }
        if (m->start != start) {
                return -EPERM;
        }
        g->beat_ns = g->o.heartbeat_ns ? g->o.heartbeat_ns : m->value;
        r = ward__worker_send(g, WARD__GUARD_READY, g->beat_ns);
        if (r < 0) {
                return r;
        }
        g->guarded = 1;
        g->hello_until = 0;
        g->beat_due = g->beat_ns ? ward_now_ns() + g->beat_ns : 0;
        return 0;
}

void ward__worker_close(struct ward__guardian *g)
{
        if (g->sock >= 0) {
                close(g->sock);
                g->sock = -1;
        }
        g->proc = ward_proc_free(g->proc);
}

int ward__status_of(const struct ward_proc_status *st)
{
        if (st->how == WARD_PROC_EXITED) {
                return (st->code & 0xff) << 8;
        }
        if (st->how == WARD_PROC_SIGNALED) {
                return (st->code & 0x7f) | (st->core ? WCOREFLAG : 0);
        }
        return 0;
}
