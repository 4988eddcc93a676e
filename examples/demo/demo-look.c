/* ward-demo: looking at the running system with the ward command itself,
 * as a user would: the crash report the guardian wrote, `ward ps --tree`,
 * `ward locks --report`, `ward trace merge` (text and Chrome JSON). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json-parse.h"
#include "demo.h"

#define CRASH_FRAMES 6
#define TRACE_LINES 8

void demo_lines_add(struct demo_lines *l, const char *s, size_t len)
{
        if (l->n < DEMO_MAX_LINES) {
                snprintf(l->line[l->n++], DEMO_LINE, "%.*s", (int)len, s);
        }
}

/* read_all: everything fd gives, NUL-terminated (malloc'd), or NULL */
static char *read_all(int fd)
{
        size_t len = 0, cap = 65536;
        char *b = malloc(cap);
        for (ssize_t r; b;) {
                if (cap - len < 4096) {
                        char *bigger = realloc(b, cap *= 2);
                        if (!bigger) {
                                free(b);
                                return NULL;
                        }
                        b = bigger;
                }
                r = read(fd, b + len, cap - len - 1);
                if (r > 0) {
                        len += (size_t)r;
                } else if (r == 0 || errno != EINTR) {
                        b[len] = '\0';
                        break;
                }
        }
        return b;
}

int demo_ward(struct demo *d, const char *const *args, char **out)
{
        char *argv[16] = {"ward"}, log[PATH_MAX + 16];
        int p[2], st;
        for (int i = 0; args[i] && i < 14; i++) {
                argv[i + 1] = (char *)args[i];
        }
        snprintf(log, sizeof(log), "%s/ward.log", d->dir);
        if (pipe2(p, O_CLOEXEC) < 0) {
                return -1;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                int err = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (err < 0 || dup2(p[1], 1) < 0 || dup2(err, 2) < 0) {
                        _exit(127);
                }
                execv(d->ward, argv);
                _exit(127);
        }
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return -1;
        }
        demo_add_pid(d, pid);
        char *text = read_all(p[0]);
        close(p[0]);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (out) {
                *out = text;
        } else {
                free(text);
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* short_frame: "  #0  0xPC func+0xoff (module+0xoff BUILDID) at file:line" as
 * "#0  func+0xoff (module) at file:line" */
static void short_frame(const char *l, char *out, size_t size)
{
        const char *hash = strchr(l, '#');
        const char *pc = hash ? strstr(hash, " 0x") : NULL;
        const char *fn = pc ? strchr(pc + 1, ' ') : NULL;
        const char *open = fn ? strchr(fn, '(') : NULL;
        const char *plus = open ? strchr(open, '+') : NULL;
        const char *close = open ? strchr(open, ')') : NULL;
        if (!hash || !fn || !open || !plus || !close || plus > close) {
                snprintf(out, size, "%.900s", l);
                return;
        }
        int num = atoi(hash + 1);
        snprintf(out, size, "#%-2d %.*s(%.*s)%.400s", num, (int)(open - fn - 1), fn + 1,
                 (int)(plus - open - 1), open + 1, close + 1);
}

int demo_look_crash(struct demo *d)
{
        struct stat st;
        if (stat(d->crash.core, &st) == 0) {
                d->crash.core_bytes = (long long)st.st_size;
        }
        FILE *f = fopen(d->crash.report, "r");
        char l[2048], s[DEMO_LINE];
        int in_crashed = 0;
        if (!f) {
                return -errno;
        }
        while (fgets(l, sizeof(l), f) && d->crash.frames.n < CRASH_FRAMES) {
                l[strcspn(l, "\n")] = '\0';
                if (strncmp(l, "thread ", 7) == 0) {
                        in_crashed = strstr(l, "(crashed)") != NULL;
                } else if (in_crashed && strncmp(l, "  #", 3) == 0) {
                        short_frame(l, s, sizeof(s));
                        demo_lines_add(&d->crash.frames, s, strlen(s));
                }
        }
        fclose(f);
        return d->crash.frames.n > 0 ? 0 : -ENOENT;
}

/* in_subtree: a `ward ps --tree` row whose pid or parent is among ours */
static int in_subtree(const char *row, int *ours, int *n)
{
        int pid, ppid;
        if (sscanf(row, "%d %d", &pid, &ppid) != 2) {
                return 0;
        }
        for (int i = 0; i < *n; i++) {
                if (ours[i] == pid || ours[i] == ppid) {
                        if (ours[i] == ppid && *n < DEMO_MAX_LINES) {
                                ours[(*n)++] = pid;
                        }
                        return 1;
                }
        }
        return 0;
}

int demo_look_ps(struct demo *d)
{
        static const char *const args[] = {"ps", "--tree", "--ward", NULL};
        char *text = NULL;
        int ours[DEMO_MAX_LINES] = {(int)getpid()}, n = 1;
        int r = demo_ward(d, args, &text);
        for (char *l = text, *nl; r == 0 && l && *l; l = nl + 1) {
                nl = strchr(l, '\n');
                if (!nl) {
                        break;
                }
                *nl = '\0';
                if (strstr(l, "PID") && strstr(l, "COMMAND")) {
                        demo_lines_add(&d->ps_tree, l, strlen(l)); /* the header */
                } else if (in_subtree(l, ours, &n)) {
                        demo_lines_add(&d->ps_tree, l, strlen(l));
                }
        }
        free(text);
        return r == 0 && d->ps_tree.n > 1 ? 0 : -EIO;
}

int demo_look_locks(struct demo *d)
{
        char pid[16];
        snprintf(pid, sizeof(pid), "%d", d->hal_pid);
        const char *const args[] = {"locks", "--report", pid, NULL};
        char *text = NULL;
        int r = demo_ward(d, args, &text);
        for (char *l = text, *nl; r == 0 && l && (nl = strchr(l, '\n')) != NULL; l = nl + 1) {
                if (d->locks.n < 4) { /* the header and the top three */
                        demo_lines_add(&d->locks, l, (size_t)(nl - l));
                }
        }
        free(text);
        return r == 0 && d->locks.n > 1 ? 0 : -EIO;
}

/* first_call: the lines of the first trace that reached demo-hal (one
 * demo.Sensors.Read from the app through ward serve to the HAL) */
static void first_call(struct demo *d, char *text)
{
        const char *hit = strstr(text, "begin serve demo.Hal/ReadSensor trace=");
        char id[80];
        if (!hit || sscanf(hit + strlen("begin serve demo.Hal/ReadSensor "), "%79s", id) != 1) {
                return;
        }
        for (char *l = text, *nl; (nl = strchr(l, '\n')) != NULL && d->trace_call.n < TRACE_LINES;
             l = nl + 1) {
                *nl = '\0';
                if (strstr(l, id)) {
                        demo_lines_add(&d->trace_call, l, (size_t)(nl - l));
                }
                *nl = '\n';
        }
}

/* count: events (lines) and processes ([PID ...]) of the merged text */
static void count(struct demo *d, const char *text)
{
        int pids[DEMO_MAX_PIDS], n = 0;
        for (const char *l = text, *nl; (nl = strchr(l, '\n')) != NULL; l = nl + 1) {
                const char *b = strstr(l, " : [");
                int pid, seen = 0;
                d->trace_events++;
                if (!b || b > nl || sscanf(b + 4, "%d", &pid) != 1) {
                        continue;
                }
                for (int i = 0; i < n; i++) {
                        seen |= pids[i] == pid;
                }
                if (!seen && n < DEMO_MAX_PIDS) {
                        pids[n++] = pid;
                }
        }
        d->trace_processes = n;
}

/* json_parses: the Chrome JSON is one JSON object with a traceEvents array */
static int json_parses(const char *path, long long *bytes)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char err[256];
        if (fd < 0) {
                return 0;
        }
        char *text = read_all(fd);
        close(fd);
        struct ward__json_doc *doc = NULL;
        const struct ward__json *root = NULL;
        int ok = 0;
        if (text && ward__json_parse(text, strlen(text), &doc, &root, err, sizeof(err)) == 0) {
                for (const struct ward__json *k = root->kids; root->type == WARD__JSON_OBJECT && k;
                     k = k->next) {
                        ok |= k->key_len == 11 && memcmp(k->key, "traceEvents", 11) == 0 &&
                              k->type == WARD__JSON_ARRAY && k->kids;
                }
        }
        *bytes = text ? (long long)strlen(text) : 0;
        ward__json_doc_free(doc);
        free(text);
        return ok;
}

int demo_look_trace(struct demo *d)
{
        snprintf(d->trace_text, sizeof(d->trace_text), "%s/trace.txt", d->dir);
        snprintf(d->trace_json, sizeof(d->trace_json), "%s/trace.json", d->dir);
        const char *const text_args[] = {"trace", "merge", "-o", d->trace_text, d->trace_dir, NULL};
        const char *const json_args[] = {"trace",       "merge",      "--chrome", "-o",
                                         d->trace_json, d->trace_dir, NULL};
        /* exit 1: a file was damaged (the crashed process's last one may
         * be cut short); its readable events are merged all the same */
        int r1 = demo_ward(d, text_args, NULL);
        int r2 = demo_ward(d, json_args, NULL);
        int fd = open(d->trace_text, O_RDONLY | O_CLOEXEC);
        char *text = fd >= 0 ? read_all(fd) : NULL;
        if (fd >= 0) {
                close(fd);
        }
        if (text) {
                count(d, text);
                first_call(d, text);
        }
        free(text);
        d->trace_json_ok = json_parses(d->trace_json, &d->trace_json_bytes);
        return r1 <= 1 && r2 <= 1 && d->trace_events > 0 && d->trace_json_ok ? 0 : -EIO;
}
