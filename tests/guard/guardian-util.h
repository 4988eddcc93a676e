/* tests/guard/guardian-util.h: running `ward run --json` the way a user
 * would, reading its events line by line, and a scratch directory. */
#ifndef WARD_TESTS_GUARDIAN_UTIL_H
#define WARD_TESTS_GUARDIAN_UTIL_H

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

struct grun {
        int preload;    /* set before grun_start: preload libward-crash.so */
        int systemd_fd; /* set before grun_start, > 0: passed as systemd does (fd 3,
                         * LISTEN_FDS=1, LISTEN_PID) */
        pid_t pid;
        int in; /* its stdin (the worker's) */
        FILE *out;
        char line[16384];
};

/* grun_start: `ward run --json --no-preload ARGS...` (args NULL-terminated;
 * with r->preload, without --no-preload) with env (NULL-terminated
 * "NAME=value" entries, may be NULL) added to ours; its stdout (the events)
 * is read with grun_next, its stdin written through r->in, its stderr is
 * ours. */
static inline void grun_start(struct grun *r, const char *const *args, const char *const *env)
{
        int p[2], in[2];
        ASSERT_EQ(pipe(p), 0);
        ASSERT_EQ(pipe(in), 0);
        r->pid = fork();
        ASSERT_TRUE(r->pid >= 0);
        if (r->pid == 0) {
                /* the test worker speaks the wire itself: no libward-crash.so */
                char *argv[64] = {"ward", "run", "--json", r->preload ? "--json" : "--no-preload"};
                for (int i = 0; args[i] && i < 58; i++) {
                        argv[i + 4] = (char *)args[i];
                }
                dup2(in[0], 0);
                close(in[0]);
                close(in[1]);
                for (int i = 0; env && env[i]; i++) {
                        putenv((char *)env[i]);
                }
                dup2(p[1], 1);
                close(p[0]);
                close(p[1]);
                if (r->systemd_fd > 0) {
                        char pid[32];
                        snprintf(pid, sizeof(pid), "%d", (int)getpid());
                        if (r->systemd_fd != 3) {
                                dup2(r->systemd_fd, 3);
                                close(r->systemd_fd);
                        }
                        setenv("LISTEN_FDS", "1", 1);
                        setenv("LISTEN_PID", pid, 1);
                }
                execv(WARD_BIN_DIR "/ward", argv);
                _exit(127);
        }
        close(p[1]);
        close(in[0]);
        r->in = in[1];
        r->out = fdopen(p[0], "r");
        ASSERT_TRUE(r->out != NULL);
}

/* grun_next: the next event line, NULL at the end */
static inline const char *grun_next(struct grun *r)
{
        if (!fgets(r->line, sizeof(r->line), r->out)) {
                return NULL;
        }
        fprintf(stderr, "  %s", r->line);
        return r->line;
}

static inline int grun_is(const char *line, const char *event)
{
        char want[64];
        snprintf(want, sizeof(want), "{\"event\":\"%s\"", event);
        return strncmp(line, want, strlen(want)) == 0;
}

/* grun_until: read events until one of kind event; fails at the end */
static inline const char *grun_until(struct grun *r, const char *event)
{
        const char *l;
        while ((l = grun_next(r)) != NULL) {
                if (grun_is(l, event)) {
                        return l;
                }
        }
        TEST_FAIL("ward run ended before a '%s' event", event);
        return NULL;
}

/* grun_wait: read to the end, count the events of kind count_event (may be
 * NULL) into *n; the exit code (128+N for signal N) */
static inline int grun_wait(struct grun *r, const char *count_event, int *n)
{
        const char *l;
        int k = 0, st;
        while ((l = grun_next(r)) != NULL) {
                k += count_event && grun_is(l, count_event);
        }
        fclose(r->out);
        close(r->in);
        ASSERT_EQ(waitpid(r->pid, &st, 0), r->pid);
        if (n) {
                *n = k;
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* json_str: the string value of "key" in line (no escapes), "" none */
static inline const char *json_str(const char *line, const char *key, char *out, size_t size)
{
        char k[64];
        snprintf(k, sizeof(k), "\"%s\":\"", key);
        const char *p = strstr(line, k);
        out[0] = '\0';
        if (p) {
                p += strlen(k);
                const char *e = strchr(p, '"');
                snprintf(out, size, "%.*s", e ? (int)(e - p) : 0, p);
        }
        return out;
}

static inline long json_int(const char *line, const char *key)
{
        char k[64];
        snprintf(k, sizeof(k), "\"%s\":", key);
        const char *p = strstr(line, k);
        return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

/* scratch: a new directory under /tmp */
static inline void scratch(char *dir, size_t size)
{
        snprintf(dir, size, "/tmp/ward-guardian-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
}

static inline void scratch_remove(const char *dir)
{
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

/* count_lines: lines of a file (the worker's starts), 0 without it */
static inline int count_lines(const char *path)
{
        FILE *f = fopen(path, "r");
        int n = 0, c;
        while (f && (c = fgetc(f)) != EOF) {
                n += c == '\n';
        }
        if (f) {
                fclose(f);
        }
        return n;
}

/* count_files: entries of dir whose name starts with prefix and ends with suffix */
static inline int count_files(const char *dir, const char *prefix, const char *suffix)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        while (d && (e = readdir(d)) != NULL) {
                size_t l = strlen(e->d_name), s = strlen(suffix);
                n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 && l >= s &&
                     strcmp(e->d_name + l - s, suffix) == 0;
        }
        if (d) {
                closedir(d);
        }
        return n;
}

/* count_cores: the cores of dir (core.PID.STAMP, no companion suffix) */
static inline int count_cores(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        while (d && (e = readdir(d)) != NULL) {
                const char *dot = strchr(e->d_name, '.');
                n += strncmp(e->d_name, "core.", 5) == 0 && dot && strchr(dot + 1, '.') &&
                     !strchr(strchr(dot + 1, '.') + 1, '.');
        }
        if (d) {
                closedir(d);
        }
        return n;
}

#endif
