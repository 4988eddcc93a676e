/* The dump directory: its budget (at most dump_max_count dumps and
 * dump_max_bytes; the oldest go first; only ward's own files, a core
 * core.PID.YYYYmmdd-HHMMSS and its .txt, .json, .locks.txt and .queued
 * companions), the on-crash command (the upload) with its deadline, and the
 * queue of dumps whose upload failed, retried when a guardian starts. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/guard/guardian-internal.h"

extern char **environ;

#define DUMPS_MAX 4096

struct dump {
        char base[64]; /* core.PID.STAMP */
        uint64_t bytes;
        uint64_t mtime; /* ns */
        int queued;
};

static const char *const companions[] = {"", ".txt", ".json", ".locks.txt", ".queued"};

size_t ward__dump_name(const char *name, const char **suffix)
{
        const char *p = name;
        if (strncmp(p, "core.", 5) != 0) {
                return 0;
        }
        p += 5;
        const char *digits = p;
        while (isdigit((unsigned char)*p)) {
                p++;
        }
        if (p == digits || p - digits > 10 || *p++ != '.') {
                return 0;
        }
        for (int i = 0; i < 15; i++, p++) {
                if (i == 8 ? *p != '-' : !isdigit((unsigned char)*p)) {
                        return 0;
                }
        }
        for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
                if (strcmp(p, companions[i]) == 0) {
                        *suffix = companions[i];
                        return (size_t)(p - name);
                }
        }
        return 0;
}

static struct dump *dump_find(struct dump *d, size_t n, const char *name, size_t len)
{
        for (size_t i = 0; i < n; i++) {
                if (strlen(d[i].base) == len && strncmp(d[i].base, name, len) == 0) {
                        return &d[i];
                }
        }
        return NULL;
}

static uint64_t mtime_ns(const struct stat *st)
{
        return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

/* dumps_list: the dumps of dir (malloc'd array), oldest first */
static int by_age(const void *a, const void *b)
{
        const struct dump *x = a, *y = b;
        const char *sx = strrchr(x->base, '.'), *sy = strrchr(y->base, '.');
        int c = strcmp(sx, sy);
        if (c != 0) {
                return c;
        }
        return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static size_t dumps_list(const char *dir, struct dump **ret)
{
        DIR *dp = opendir(dir);
        struct dump *d = calloc(DUMPS_MAX, sizeof(*d));
        size_t n = 0;
        struct dirent *e;
        while (dp && d && (e = readdir(dp)) != NULL) {
                const char *suffix;
                size_t len = ward__dump_name(e->d_name, &suffix);
                struct stat st;
                if (len == 0 || len >= sizeof(d->base) ||
                    fstatat(dirfd(dp), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode)) {
                        continue;
                }
                struct dump *x = dump_find(d, n, e->d_name, len);
                if (!x && n == DUMPS_MAX) {
                        continue;
                }
                if (!x) {
                        x = &d[n++];
                        memcpy(x->base, e->d_name, len);
                        x->mtime = mtime_ns(&st);
                }
                x->bytes += (uint64_t)st.st_size;
                x->queued |= strcmp(suffix, ".queued") == 0;
                if (mtime_ns(&st) < x->mtime) {
                        x->mtime = mtime_ns(&st);
                }
        }
        if (dp) {
                closedir(dp);
        }
        if (d) {
                qsort(d, n, sizeof(*d), by_age);
        }
        *ret = d;
        return n;
}

static void dump_remove(const char *dir, const struct dump *x)
{
        char path[4200];
        for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s%s", dir, x->base, companions[i]);
                unlink(path);
        }
}

void ward__dumps_budget(struct ward__guardian *g)
{
        struct dump *d;
        size_t n = dumps_list(g->o.dump_dir, &d);
        uint64_t bytes = 0;
        for (size_t i = 0; i < n; i++) {
                bytes += d[i].bytes;
        }
        /* the newest stays, even alone over the budget */
        for (size_t i = 0;
             i + 1 < n && (n - i > g->o.dump_max_count || bytes > g->o.dump_max_bytes); i++) {
                dump_remove(g->o.dump_dir, &d[i]);
                bytes -= d[i].bytes;
        }
        free(d);
}

/* queue_mark: CORE.queued (holding the report's path) when the upload
 * failed; removed when it succeeded */
static void queue_mark(struct ward__guardian *g, const char *core, const char *report, int queued)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s.queued", core);
        if (!queued) {
                unlink(path);
                return;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                ward__guardian_warn(g, "%s: %s", path, strerror(errno));
                return;
        }
        if (report && write(fd, report, strlen(report)) < 0) {
                ward__guardian_warn(g, "%s: %s", path, strerror(errno));
        }
        close(fd);
}

/* on_crash_env: our environment with WARD_CORE and WARD_REPORT; malloc'd */
static char **on_crash_env(const char *core, const char *report)
{
        size_t n = 0, k = 0;
        while (environ[n]) {
                n++;
        }
        char **env = calloc(n + 3, sizeof(*env));
        if (!env) {
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                if (strncmp(environ[i], "WARD_CORE=", 10) != 0 &&
                    strncmp(environ[i], "WARD_REPORT=", 12) != 0) {
                        env[k++] = environ[i];
                }
        }
        if (asprintf(&env[k], "WARD_CORE=%s", core) < 0) {
                free(env);
                return NULL;
        }
        if (asprintf(&env[k + 1], "WARD_REPORT=%s", report) < 0) {
                free(env[k]);
                free(env);
                return NULL;
        }
        return env;
}

static void on_crash_env_free(char **env)
{
        size_t n = 0;
        while (env && env[n]) {
                n++;
        }
        if (n >= 2) {
                free(env[n - 1]);
                free(env[n - 2]);
        }
        free(env);
}

/* on_crash_run: /bin/sh -c CMD sh CORE REPORT, waited for until the
 * deadline (then it and what it started are stopped): its wait status, -1
 * timed out, -EINTR a stop signal, -errno */
static int on_crash_run(struct ward__guardian *g, const char *core, const char *report)
{
        char *argv[] = {"/bin/sh",      "-c", (char *)g->o.on_crash, "sh", (char *)core,
                        (char *)report, NULL};
        char **env = on_crash_env(core, report);
        static const int keep[] = {2}; /* its stdout would mix with ward run --json */
        struct ward_proc_spawn_options so = {.size = sizeof(so),
                                             .flags = WARD_PROC_SPAWN_NEW_PGROUP |
                                                      WARD_PROC_SPAWN_NULL_STDIO,
                                             .path = "/bin/sh",
                                             .argv = argv,
                                             .envp = env,
                                             .cwd = g->o.dump_dir,
                                             .keep_fds = keep,
                                             .n_keep_fds = 1};
        ward_proc *p = NULL;
        int r = env ? ward_proc_spawn(&so, &p) : -ENOMEM;
        on_crash_env_free(env);
        if (r < 0) {
                return r;
        }
        struct ward_proc_status st;
        r = ward__wait_or_signal(g, ward_proc_pidfd(p), ward_now_ns() + g->o.on_crash_timeout_ns);
        if (r == 0 && ward_proc_wait(p, 0, &st) == 0) {
                r = ward__status_of(&st);
        } else {
                uint64_t grace = g->o.grace_ns < 1000000000u ? g->o.grace_ns : 1000000000u;
                ward_proc_stop_tree(p, grace, 0, NULL);
                r = r == -EINTR ? -EINTR : -1;
        }
        ward_proc_free(p);
        return r;
}

int ward__dumps_upload(struct ward__guardian *g, const char *core, const char *report)
{
        if (!g->o.on_crash) {
                return 0;
        }
        int r = on_crash_run(g, core, report ? report : "");
        struct ward_guardian_event ev = {.kind = WARD_GUARDIAN_ON_CRASH_RAN,
                                         .pid = g->pid,
                                         .status = r >= 0 || r == -1 ? r : -1,
                                         .core = core,
                                         .report = report};
        if (r < -1 && r != -EINTR) {
                ward__guardian_warn(g, "on-crash command: %s", strerror(-r));
        } else {
                ward__guardian_event(g, &ev);
        }
        int ok = r == 0;
        queue_mark(g, core, report, !ok);
        return ok ? 0 : r == -EINTR ? -EINTR : r < -1 ? r : -ECANCELED;
}

/* queued_report: the report path a queue marker holds */
static void queued_report(const char *dir, const char *base, char *out, size_t size)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s.queued", dir, base);
        out[0] = '\0';
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return;
        }
        ssize_t n = read(fd, out, size - 1);
        close(fd);
        out[n > 0 ? n : 0] = '\0';
        if (strchr(out, '\n') || access(out, R_OK) < 0) {
                snprintf(out, size, "%s/%s.txt", dir, base); /* untrusted: the usual place */
        }
}

void ward__dumps_retry(struct ward__guardian *g)
{
        if (!g->o.on_crash) {
                return;
        }
        ward__dumps_budget(g);
        struct dump *d;
        size_t n = dumps_list(g->o.dump_dir, &d);
        char core[4200], report[4200];
        for (size_t i = 0; i < n && !g->stop_signal; i++) {
                if (!d[i].queued) {
                        continue;
                }
                snprintf(core, sizeof(core), "%s/%s", g->o.dump_dir, d[i].base);
                if (access(core, R_OK) < 0) {
                        dump_remove(g->o.dump_dir, &d[i]); /* a marker without its core */
                        continue;
                }
                queued_report(g->o.dump_dir, d[i].base, report, sizeof(report));
                ward__dumps_upload(g, core, report);
        }
        free(d);
}
