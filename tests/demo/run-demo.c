/* ward-demo, run as a user runs it (make demo), twice in one scratch
 * directory, then interrupted: the summary's sections are there with
 * plausible content (calls on every path, a crash report with frames and a
 * core that exists, a Chrome JSON that parses, the lock report, the process
 * tree), the second run passes as the first did, ^C stops everything, and
 * nothing of the demo's processes stays in /dev/shm. No timing is checked.
 * Skips (77) where the guardian may not ptrace its worker (Yama scope 3). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json-parse.h"
#include "test.h"

#define CALLS "400"

/* demo: run ward-demo ARGS... (NULL-terminated); its stdout in out
 * (malloc'd); its exit status */
static int demo(const char *const *args, char **out)
{
        int p[2], st;
        ASSERT_EQ(pipe(p), 0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                char *argv[16] = {"ward-demo"};
                for (int i = 0; args[i] && i < 14; i++) {
                        argv[i + 1] = (char *)args[i];
                }
                dup2(p[1], 1);
                close(p[0]);
                close(p[1]);
                /* sanitizer builds: the preloaded crash library comes before
                 * the runtime, and the processes are stopped, not leak-checked */
                setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0", 1);
                execv(WARD_BIN_DIR "/ward-demo", argv);
                _exit(127);
        }
        close(p[1]);
        size_t len = 0, cap = 1 << 16;
        char *b = malloc(cap);
        for (ssize_t r; (r = read(p[0], b + len, cap - len - 1)) > 0;) {
                len += (size_t)r;
                if (cap - len < 4096) {
                        b = realloc(b, cap *= 2);
                        ASSERT_TRUE(b != NULL);
                }
        }
        b[len] = '\0';
        close(p[0]);
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        fputs(b, stderr); /* ctest shows it on failure */
        *out = b;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "r");
        ASSERT_TRUE(f != NULL);
        ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
        long n = ftell(f);
        rewind(f);
        char *b = malloc((size_t)n + 1);
        ASSERT_TRUE(b != NULL);
        ASSERT_EQ(fread(b, 1, (size_t)n, f), (size_t)n);
        b[n] = '\0';
        fclose(f);
        return b;
}

static const struct ward__json *member(const struct ward__json *o, const char *key)
{
        for (const struct ward__json *k = o ? o->kids : NULL; k; k = k->next) {
                if (k->key_len == strlen(key) && memcmp(k->key, key, k->key_len) == 0) {
                        return k;
                }
        }
        return NULL;
}

static int count_kids(const struct ward__json *a)
{
        int n = 0;
        for (const struct ward__json *k = a ? a->kids : NULL; k; k = k->next) {
                n++;
        }
        return n;
}

/* chrome_json_parses: the merged trace as Chrome JSON: an object with a
 * non-empty traceEvents array */
static void chrome_json_parses(const char *path)
{
        char *text = slurp(path), err[256];
        struct ward__json_doc *doc;
        const struct ward__json *root;
        ASSERT_EQ(ward__json_parse(text, strlen(text), &doc, &root, err, sizeof(err)), 0);
        ASSERT_TRUE(count_kids(member(root, "traceEvents")) > 0);
        ward__json_doc_free(doc);
        free(text);
}

static void exists(const char *path)
{
        struct stat st;
        ASSERT_EQ(stat(path, &st), 0);
        ASSERT_TRUE(st.st_size > 0);
}

/* after: the text between heading and the next one */
static char *section(char *out, const char *heading)
{
        char *s = strstr(out, heading);
        if (!s) {
                TEST_FAIL("no section '%s'", heading);
        }
        char *next = strstr(s + 1, "\n== ");
        if (next) {
                *next = '\0';
        }
        return s;
}

/* value_after: the path that follows label on its line */
static void value_after(const char *text, const char *label, char *out, size_t size)
{
        const char *p = strstr(text, label);
        ASSERT_TRUE(p != NULL);
        p += strlen(label);
        size_t n = strcspn(p, " \n");
        ASSERT_TRUE(n < size);
        memcpy(out, p, n);
        out[n] = '\0';
}

static void path_has_calls(const char *s, const char *label)
{
        const char *p = strstr(s, label);
        ASSERT_TRUE(p != NULL);
        ASSERT_TRUE(strtol(p + strlen(label), NULL, 10) > 0);
}

static void no_shm_of(int pid)
{
        DIR *d = opendir("/dev/shm");
        struct dirent *e;
        char want[32];
        snprintf(want, sizeof(want), ".%d", pid);
        while (d && (e = readdir(d)) != NULL) {
                size_t l = strlen(e->d_name), w = strlen(want);
                if (strncmp(e->d_name, "ward-", 5) == 0 && l > w &&
                    strcmp(e->d_name + l - w, want) == 0) {
                        TEST_FAIL("/dev/shm/%s of the demo's process %d is still there", e->d_name,
                                  pid);
                }
        }
        if (d) {
                closedir(d);
        }
}

/* the text screens of `make demo` */
static void check_text(char *out)
{
        char path[512];
        char *s = section(out, "== 1. Calls per path");
        path_has_calls(s, "\nshort-circuit");
        path_has_calls(s, "\nshared memory");
        path_has_calls(s, "\nshm, 2 hops");
        path_has_calls(s, "\nzero-copy");
        ASSERT_TRUE(strstr(s, " 0 calls failed") != NULL);
        s = section(s + strlen(s) + 1, "== 2. The crash");
        ASSERT_TRUE(strstr(s, "SIGABRT") != NULL);
        ASSERT_TRUE(strstr(s, "\n  #0 ") != NULL);
        ASSERT_TRUE(strstr(s, "crash_on_purpose") != NULL); /* the demo's own frame */
        value_after(s, "\ncore    ", path, sizeof(path));
        exists(path);
        value_after(s, "\nreport  ", path, sizeof(path));
        exists(path);
        ASSERT_TRUE(strstr(s, "open it: gdb ") != NULL);
        s = section(s + strlen(s) + 1, "== 3. The trace");
        value_after(s, "\n  text    ", path, sizeof(path));
        exists(path);
        value_after(s, "\n  JSON    ", path, sizeof(path));
        chrome_json_parses(path);
        ASSERT_TRUE(strstr(s, "begin serve demo.Hal/ReadSensor") != NULL);
        s = section(s + strlen(s) + 1, "== 4. Lock contention");
        ASSERT_TRUE(strstr(s, "\n1    \"hal.") != NULL);
        ASSERT_TRUE(strstr(s, "\n3    \"hal.") != NULL);
        s = section(s + strlen(s) + 1, "== 5. The processes");
        ASSERT_TRUE(strstr(s, " ward-demo\n") != NULL);
        ASSERT_TRUE(strstr(s, " demo-hal\n") != NULL);
        ASSERT_TRUE(strstr(s, " ward-serve\n") != NULL);
        ASSERT_TRUE(strstr(s, " demo-app\n") != NULL);
        s = section(s + strlen(s) + 1, "== 6. Clean-up");
        ASSERT_TRUE(strstr(s, "/dev/shm: nothing left") != NULL);
        ASSERT_TRUE(strstr(s, "ward-demo: done in") != NULL);
}

/* the same facts under --json */
static void check_json(char *out)
{
        struct ward__json_doc *doc;
        const struct ward__json *root, *k;
        char err[256], path[512];
        ASSERT_EQ(ward__json_parse(out, strlen(out), &doc, &root, err, sizeof(err)), 0);
        ASSERT_EQ(member(root, "ok")->type, WARD__JSON_TRUE);
        ASSERT_EQ(count_kids(member(root, "paths")), 4);
        for (k = member(root, "paths")->kids; k; k = k->next) {
                ASSERT_TRUE(atol(member(k, "calls")->text) > 0);
        }
        const struct ward__json *crash = member(root, "crash");
        ASSERT_TRUE(count_kids(member(crash, "frames")) > 0);
        snprintf(path, sizeof(path), "%.*s", (int)member(crash, "core")->len,
                 member(crash, "core")->text);
        exists(path);
        const struct ward__json *trace = member(root, "trace");
        snprintf(path, sizeof(path), "%.*s", (int)member(trace, "json")->len,
                 member(trace, "json")->text);
        chrome_json_parses(path);
        ASSERT_TRUE(count_kids(member(member(root, "locks"), "report")) >= 2);
        ASSERT_TRUE(count_kids(member(root, "ps_tree")) >= 5);
        ASSERT_EQ(count_kids(member(root, "shm_left")), 0);
        for (k = member(root, "pids")->kids; k; k = k->next) {
                no_shm_of(atoi(k->text));
        }
        ward__json_doc_free(doc);
}

/* our_processes: processes whose command line names the demo's addresses
 * (the guardians and their workers); their pids into pids (may be NULL) */
static int our_processes(int demo_pid, int *pids, int max)
{
        char want[64], path[300], cmd[4096];
        int n = 0;
        snprintf(want, sizeof(want), "@ward-demo.%d.", demo_pid);
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
                snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                int fd = open(path, O_RDONLY);
                ssize_t len = fd >= 0 ? read(fd, cmd, sizeof(cmd) - 1) : -1;
                if (fd >= 0) {
                        close(fd);
                }
                for (ssize_t i = 0; i < len; i++) {
                        cmd[i] = cmd[i] ? cmd[i] : ' ';
                }
                if (len > 0 && (cmd[len] = '\0', strstr(cmd, want) != NULL)) {
                        if (pids && n < max) {
                                pids[n] = atoi(e->d_name);
                        }
                        n++;
                }
        }
        if (d) {
                closedir(d);
        }
        return n;
}

TEST(demo_runs_twice_and_cleans_up)
{
        FILE *y = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
        int scope = 0;
        if (y && fscanf(y, "%d", &scope) != 1) {
                scope = 0;
        }
        if (y) {
                fclose(y);
        }
        if (scope >= 3) {
                SKIP("kernel.yama.ptrace_scope is 3: the guardian cannot capture its worker");
        }
        char dir[64];
        snprintf(dir, sizeof(dir), "/tmp/ward-demo-test-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        char *out;
        const char *text_args[] = {"--dir", dir, "--calls", CALLS, NULL};
        ASSERT_EQ(demo(text_args, &out), 0);
        check_text(out);
        free(out);
        /* again, in the same directory: it is emptied first */
        const char *json_args[] = {"--dir", dir, "--calls", CALLS, "--json", NULL};
        ASSERT_EQ(demo(json_args, &out), 0);
        check_json(out);
        free(out);
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST(interrupted_demo_stops_everything)
{
        char idir[64], line[512];
        snprintf(idir, sizeof(idir), "/tmp/ward-demo-test-XXXXXX");
        ASSERT_TRUE(mkdtemp(idir) != NULL);
        int p[2], st;
        ASSERT_EQ(pipe(p), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                close(p[0]);
                close(p[1]);
                setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0", 1);
                execl(WARD_BIN_DIR "/ward-demo", "ward-demo", "--dir", idir, "--calls", "100000",
                      (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        FILE *f = fdopen(p[0], "r");
        while (fgets(line, sizeof(line), f) && !strstr(line, "[3/5]")) {
                fputs(line, stderr);
        }
        int pids[16], n = our_processes(pid, pids, 16);
        ASSERT_TRUE(n >= 3);             /* the app is calling */
        ASSERT_EQ(kill(pid, SIGINT), 0); /* ^C, to ward-demo alone */
        while (fgets(line, sizeof(line), f)) {
                fputs(line, stderr);
        }
        fclose(f);
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 130);
        ASSERT_EQ(our_processes(pid, NULL, 0), 0);
        for (int i = 0; i < n && i < 16; i++) {
                no_shm_of(pids[i]);
        }
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", idir);
        ASSERT_EQ(system(cmd), 0);
}

TEST_MAIN()
