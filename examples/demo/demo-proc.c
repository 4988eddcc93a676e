/* ward-demo: starting each part of the system under its own guardian
 * (`ward run --json`), reading what the guardian and its worker say (one
 * line each: the guardian's events start with {"event":), and stopping them
 * as a service manager would: SIGTERM, which the guardian forwards to its
 * worker, then SIGKILL after a grace. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/time.h>

#include "core/json-parse.h"
#include "demo-common.h"
#include "demo.h"

#define GRACE_NS (10 * 1000000000ull)

void demo_add_pid(struct demo *d, int pid)
{
        for (int i = 0; i < d->npids; i++) {
                if (d->pids[i] == pid) {
                        return;
                }
        }
        if (pid > 0 && d->npids < DEMO_MAX_PIDS) {
                d->pids[d->npids++] = pid;
        }
}

/* child: stdout to the pipe, stderr to DIR/NAME.log, then `ward run` */
static void child(struct demo *d, struct demo_proc *p, int out, char *const argv[])
{
        char log[PATH_MAX + 64];
        snprintf(log, sizeof(log), "%s/%s.log", d->dir, p->name);
        int err = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive ward-demo */
        if (err < 0 || null < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || dup2(null, 0) < 0) {
                _exit(127);
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        /* for the guardian and (inherited) its worker: trace into the run's
         * trace directory; where the HAL is; when Sensors.Read crashes */
        char trace[PATH_MAX + 16], after[32], mark[PATH_MAX + 16];
        snprintf(trace, sizeof(trace), "info:%s", d->trace_dir);
        snprintf(after, sizeof(after), "%lu", d->crash_after);
        snprintf(mark, sizeof(mark), "%s/crashed-once", d->dir);
        setenv("WARD_TRACE", trace, 1);
        setenv(DEMO_ENV_HAL, d->hal_addr, 1);
        setenv(DEMO_ENV_CRASH_AFTER, after, 1);
        setenv(DEMO_ENV_CRASH_MARK, mark, 1);
        execv(d->ward, argv);
        _exit(127);
}

int demo_proc_start(struct demo *d, int which, char *const argv[])
{
        struct demo_proc *p = &d->proc[which];
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
                return -errno;
        }
        fflush(stdout);
        p->pid = fork();
        if (p->pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return -e;
        }
        if (p->pid == 0) {
                child(d, p, fds[1], argv);
        }
        close(fds[1]);
        p->out = fds[0];
        p->status = -1;
        demo_add_pid(d, p->pid);
        return 0;
}

/* remember: what the summary needs from a line */
static void remember(struct demo *d, struct demo_proc *p, const char *line)
{
        char v[32];
        if (strncmp(line, "{\"event\":\"started\"", 18) == 0 &&
            demo_json_field(line, "pid", v, sizeof(v)) == 0) {
                p->worker = atoi(v);
                demo_add_pid(d, p->worker);
        }
}

/* take_line: a whole line from p->buf into p->line, if there is one */
static int take_line(struct demo_proc *p)
{
        char *nl = memchr(p->buf, '\n', p->len);
        if (!nl && !(p->eof && p->len) && p->len < sizeof(p->buf) - 1) {
                return 0;
        }
        size_t n = nl ? (size_t)(nl - p->buf) : p->len;
        size_t keep = n < sizeof(p->line) - 1 ? n : sizeof(p->line) - 1;
        memcpy(p->line, p->buf, keep);
        p->line[keep] = '\0';
        size_t used = nl ? n + 1 : n;
        memmove(p->buf, p->buf + used, p->len - used);
        p->len -= used;
        return 1;
}

const char *demo_proc_next(struct demo *d, int which, uint64_t deadline_ns)
{
        struct demo_proc *p = &d->proc[which];
        for (;;) {
                if (take_line(p)) {
                        remember(d, p, p->line);
                        return p->line;
                }
                if (p->eof || demo_interrupted) {
                        return NULL;
                }
                uint64_t now = ward_now_ns();
                if (now >= deadline_ns) {
                        return NULL;
                }
                struct pollfd pfd = {p->out, POLLIN, 0};
                int ms = (int)((deadline_ns - now) / 1000000ull) + 1;
                if (poll(&pfd, 1, ms) <= 0) {
                        continue; /* a timeout, or a signal: checked above */
                }
                ssize_t r = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
                if (r > 0) {
                        p->len += (size_t)r;
                } else if (r == 0 || errno != EINTR) {
                        p->eof = 1;
                }
        }
}

const char *demo_proc_until(struct demo *d, int which, const char *prefix, uint64_t deadline_ns)
{
        const char *l;
        while ((l = demo_proc_next(d, which, deadline_ns)) != NULL) {
                if (strncmp(l, prefix, strlen(prefix)) == 0) {
                        return l;
                }
        }
        return NULL;
}

/* reap: wait for pid until deadline; its exit status (128 + N after
 * signal N), or -1 when it is still there */
static int reap(pid_t pid, uint64_t deadline_ns)
{
        int st;
        for (;;) {
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid) {
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                }
                if (r < 0 && errno != EINTR) {
                        return 255;
                }
                if (ward_now_ns() >= deadline_ns) {
                        return -1;
                }
                usleep(5000);
        }
}

int demo_proc_stop(struct demo *d, int which)
{
        struct demo_proc *p = &d->proc[which];
        if (p->pid <= 0 || p->status >= 0) {
                return p->status;
        }
        kill(p->pid, SIGTERM); /* forwarded to the worker, which exits cleanly */
        uint64_t deadline = ward_now_ns() + GRACE_NS;
        int saved = demo_interrupted;
        demo_interrupted = 0; /* read to the end even after ^C */
        while (demo_proc_next(d, which, deadline) != NULL) {
        }
        demo_interrupted = saved;
        p->status = reap(p->pid, deadline);
        if (p->status < 0) {
                kill(p->pid, SIGKILL);
                if (p->worker > 0) {
                        kill(p->worker, SIGKILL);
                }
                p->status = reap(p->pid, ward_now_ns() + GRACE_NS);
        }
        close(p->out);
        p->out = -1;
        return p->status;
}

void demo_stop_all(struct demo *d)
{
        for (int i = DEMO_APP; i >= DEMO_HAL; i--) { /* clients first */
                demo_proc_stop(d, i);
        }
}

int demo_json_field(const char *line, const char *key, char *out, size_t size)
{
        struct ward__json_doc *doc = NULL;
        const struct ward__json *root = NULL, *k;
        char err[128];
        int r = -ENOENT;
        out[0] = '\0';
        /* what the guardian says crosses a process boundary: parsed, checked */
        if (ward__json_parse(line, strlen(line), &doc, &root, err, sizeof(err)) < 0) {
                return -EINVAL;
        }
        for (k = root->type == WARD__JSON_OBJECT ? root->kids : NULL; k; k = k->next) {
                if (k->key_len != strlen(key) || memcmp(k->key, key, k->key_len) != 0) {
                        continue;
                }
                if (k->type != WARD__JSON_STRING && k->type != WARD__JSON_NUMBER) {
                        r = -EINVAL;
                } else if (k->len >= size || memchr(k->text, '\0', k->len)) {
                        r = -ENAMETOOLONG;
                } else {
                        memcpy(out, k->text, k->len);
                        out[k->len] = '\0';
                        r = 0;
                }
                break;
        }
        ward__json_doc_free(doc);
        return r;
}
