/* The parts of `ward bench proc` that are programs of their own
 * (ward-bench-proc-stack, ward-bench-proc-watch, next to this one): run in
 * the same invocation, their JSON rows and targets spliced into ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parts.h"

/* array_of: the JSON array that follows "key": in text, as [start, end). */
static int array_of(const char *text, const char *key, const char **start, const char **end)
{
        char pat[32];
        snprintf(pat, sizeof(pat), "\"%s\":[", key);
        const char *p = strstr(text, pat);
        if (!p) {
                return -1;
        }
        p += strlen(pat) - 1;
        int depth = 0, in_str = 0;
        for (const char *q = p; *q; q++) {
                if (in_str) {
                        q += *q == '\\' && q[1];
                        in_str = *q != '"';
                        continue;
                }
                in_str = *q == '"';
                depth += *q == '[' || *q == '{';
                depth -= *q == ']' || *q == '}';
                if (depth == 0) {
                        *start = p + 1;
                        *end = q;
                        return 0;
                }
        }
        return -1;
}

/* run_capture: argv's stdout (NUL-terminated, malloc'ed), or NULL */
static char *run_capture(char *const argv[])
{
        int fd[2];
        if (pipe(fd) < 0) {
                return NULL;
        }
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fd[1], 1);
                close(fd[0]);
                execv(argv[0], argv);
                _exit(127);
        }
        close(fd[1]);
        size_t n = 0, cap = 65536;
        char *out = malloc(cap);
        ssize_t r;
        while (out && (r = read(fd[0], out + n, cap - n - 1)) > 0) {
                n += (size_t)r;
                if (cap - n < 2) {
                        char *bigger = realloc(out, cap *= 2);
                        if (!bigger) {
                                free(out);
                                out = NULL;
                        }
                        out = bigger;
                }
        }
        close(fd[0]);
        int st;
        waitpid(pid, &st, 0);
        if (out) {
                out[n] = '\0';
        }
        if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

int parts_run(const char *bindir, const char *name, char *const extra[], int json,
              struct parts_json *acc)
{
        char path[4096], *argv[16];
        int n = 0;
        snprintf(path, sizeof(path), "%s/ward-bench-%s", bindir, name);
        argv[n++] = path;
        for (int i = 0; extra[i] && n < 14; i++) {
                argv[n++] = extra[i];
        }
        if (!json) { /* its own table, after ours */
                argv[n] = NULL;
                fflush(stdout);
                pid_t pid = fork();
                if (pid == 0) {
                        execv(path, argv);
                        _exit(127);
                }
                int st;
                waitpid(pid, &st, 0);
                return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
        }
        argv[n++] = "--json";
        argv[n] = NULL;
        char *out = run_capture(argv);
        const char *rs, *re, *ts, *te;
        if (!out || array_of(out, "rows", &rs, &re) < 0 || array_of(out, "targets", &ts, &te) < 0) {
                free(out);
                return -1;
        }
        snprintf(acc->rows + strlen(acc->rows), sizeof(acc->rows) - strlen(acc->rows), ",%.*s",
                 (int)(re - rs), rs);
        snprintf(acc->targets + strlen(acc->targets), sizeof(acc->targets) - strlen(acc->targets),
                 ",%.*s", (int)(te - ts), ts);
        free(out);
        return 0;
}
