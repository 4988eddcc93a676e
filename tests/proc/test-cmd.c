/* ward stop, ward nice and ward watch --json, run as a user runs them. */
#include "core/json-parse.h"
#include "proc-util.h"
#include "test-run.h"

/* ward: test_run_ward with a pid argument formatted in */
static int ward(char *out, size_t size, const char *a0, const char *a1, const char *a2,
                const char *a3, const char *a4)
{
        const char *args[] = {a0, a1, a2, a3, a4, NULL};
        return test_run_ward(args, NULL, -1, out, size);
}

static const char *pid_str(int pid)
{
        static char bufs[4][16];
        static int next;
        char *b = bufs[next++ % 4];
        snprintf(b, sizeof(bufs[0]), "%d", pid);
        return b;
}

TEST(stop)
{
        char out[4096];
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("ignore-term", rep[1], -1, 0, NULL);
        int pid = ward_proc_pid(p);
        ASSERT_EQ(proc_expect(rep[0], "ready"), pid);
        ASSERT_EQ(ward(out, sizeof(out), "stop", pid_str(pid), "--grace", "100ms", NULL), 0);
        ASSERT_TRUE(strstr(out, "killed (SIGKILL) after the 0.1s grace") != NULL);
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_wait(p, 0, &st)); /* it ended: reaped here, its parent */
        ASSERT_EQ(st.code, SIGKILL);
        ward_proc_free(p);

        p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        pid = ward_proc_pid(p);
        ASSERT_EQ(proc_expect(rep[0], "ready"), pid);
        ASSERT_EQ(ward(out, sizeof(out), "stop", "--json", pid_str(pid), NULL, NULL), 0);
        /* the command is not its parent: the status is the zombie's (or the kernel's) */
        ASSERT_TRUE(strstr(out, "\"killed\":false") != NULL);
        ASSERT_TRUE(strstr(out, "\"signal\":\"SIGTERM\"") != NULL ||
                    strstr(out, "\"ended\":\"unknown\"") != NULL);
        ASSERT_OK(ward_proc_wait(p, 0, NULL));
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(stop_tree)
{
        static const char *const names[] = {"P", "A", "B", "B1"};
        char out[4096];
        int pids[4], fds[4], rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("tree", rep[1], -1, WARD_PROC_SPAWN_NEW_PGROUP, NULL);
        proc_read_named(rep[0], names, pids, 4);
        for (int i = 0; i < 4; i++) {
                fds[i] = proc_pidfd(pids[i]);
        }
        ASSERT_EQ(
            ward(out, sizeof(out), "stop", pid_str(pids[0]), "--tree", "--grace=50ms", "--json"),
            0);
        ASSERT_TRUE(strstr(out, "\"killed\":true") != NULL);
        ASSERT_TRUE(strstr(out, "\"others\":3") != NULL);
        for (int i = 0; i < 4; i++) {
                ASSERT_TRUE(proc_wait_gone(fds[i])); /* P: a zombie of ours now */
                close(fds[i]);
        }
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(stop_usage)
{
        char out[4096];
        ASSERT_EQ(ward(out, sizeof(out), "stop", "--help", NULL, NULL, NULL), 0);
        ASSERT_TRUE(strncmp(out, "Usage: ward stop ", 17) == 0);
        ASSERT_EQ(ward(out, sizeof(out), "stop", "4194304", NULL, NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "no such process 4194304") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "stop", "12ab", NULL, NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "'12ab'") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "stop", "1234", "--grace", "5x", NULL), 2);
        ASSERT_TRUE(strstr(out, "'5x'") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "stop", NULL, NULL, NULL, NULL), 2);
        ASSERT_EQ(ward(out, sizeof(out), "stop", "1", NULL, NULL, NULL), 2);
}

TEST(nice)
{
        char out[4096], want[64];
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        int pid = ward_proc_pid(p);
        ASSERT_EQ(proc_expect(rep[0], "ready"), pid);
        ASSERT_EQ(ward(out, sizeof(out), "nice", pid_str(pid), "7", NULL, NULL), 0);
        snprintf(want, sizeof(want), "%d: nice 7 (was ", pid);
        ASSERT_TRUE(strncmp(out, want, strlen(want)) == 0);
        ASSERT_EQ(ward(out, sizeof(out), "nice", "--json", pid_str(pid), NULL, NULL), 0);
        snprintf(want, sizeof(want), "{\"pid\":%d,\"nice\":7}\n", pid);
        ASSERT_STREQ(out, want);
        ASSERT_EQ(ward(out, sizeof(out), "nice", pid_str(pid), "abc", NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "'abc'") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "nice", pid_str(pid), "20", NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "'20'") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "nice", "4194304", NULL, NULL, NULL), 2);
        ASSERT_EQ(ward(out, sizeof(out), "nice", "--help", NULL, NULL, NULL), 0);
        ASSERT_OK(ward_proc_stop(p, PROC_PATIENCE_NS, NULL));
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

/* A running `ward watch`, its stdout read line by line. */
struct running {
        pid_t pid;
        int out;
        char buf[65536];
        size_t len;
};

static void start_ward(struct running *r, const char *const *args)
{
        int res[2];
        ASSERT_SYS(pipe2(res, O_CLOEXEC));
        r->len = 0;
        r->pid = fork();
        ASSERT_SYS(r->pid);
        if (r->pid == 0) {
                char *argv[16] = {"ward"};
                for (int i = 0; args[i] && i < 14; i++) {
                        argv[i + 1] = (char *)args[i];
                }
                dup2(res[1], 1);
                execv(WARD_BIN_DIR "/ward", argv);
                _exit(127);
        }
        close(res[1]);
        r->out = res[0];
}

/* next_line: the next line ward printed (NULL at its end) */
static const char *next_line(struct running *r, char *line, size_t size)
{
        uint64_t deadline = ward_now_ns() + PROC_PATIENCE_NS;
        for (;;) {
                char *nl = memchr(r->buf, '\n', r->len);
                if (nl) {
                        size_t n = (size_t)(nl - r->buf);
                        ASSERT_TRUE(n < size);
                        memcpy(line, r->buf, n);
                        line[n] = '\0';
                        memmove(r->buf, nl + 1, r->len - n - 1);
                        r->len -= n + 1;
                        return line;
                }
                struct pollfd p = {.fd = r->out, .events = POLLIN};
                if (ward_now_ns() > deadline) {
                        TEST_FAIL("ward watch said nothing in time");
                }
                if (poll(&p, 1, 1000) <= 0) {
                        continue;
                }
                ssize_t n = read(r->out, r->buf + r->len, sizeof(r->buf) - r->len);
                if (n <= 0) {
                        return NULL;
                }
                r->len += (size_t)n;
        }
}

static const struct ward__json *member(const struct ward__json *obj, const char *key)
{
        for (const struct ward__json *m = obj->kids; m; m = m->next) {
                if (strlen(key) == m->key_len && memcmp(m->key, key, m->key_len) == 0) {
                        return m;
                }
        }
        return NULL;
}

/* wait_event: read lines (each must be one JSON object) until one of kind
 * for pid; copies its comm into comm (may be NULL) */
static void wait_event(struct running *r, const char *kind, int pid, char *comm, size_t size)
{
        char line[4096], err[256];
        for (;;) {
                if (!next_line(r, line, sizeof(line))) {
                        TEST_FAIL("ward watch ended before a %s of %d", kind, pid);
                }
                struct ward__json_doc *doc;
                const struct ward__json *root, *k, *p, *c;
                if (ward__json_parse(line, strlen(line), &doc, &root, err, sizeof(err)) < 0) {
                        TEST_FAIL("not JSON: %s (%s)", line, err);
                }
                ASSERT_EQ(root->type, WARD__JSON_OBJECT);
                k = member(root, "kind");
                p = member(root, "pid");
                c = member(root, "comm");
                ASSERT_TRUE(k && k->type == WARD__JSON_STRING);
                int hit = strcmp(k->text, kind) == 0 && p && atoi(p->text) == pid;
                if (hit && comm) {
                        ASSERT_TRUE(c != NULL);
                        snprintf(comm, size, "%s", c->text);
                }
                ward__json_doc_free(doc);
                if (hit) {
                        return;
                }
        }
}

static void watch_command(const char *backend)
{
        char line[4096], comm[64], pid_arg[32];
        int ctl[2], rep[2], st;
        ASSERT_SYS(pipe2(ctl, O_CLOEXEC));
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("watch", rep[1], ctl[0], 0, NULL);
        int pid = ward_proc_pid(p);
        snprintf(pid_arg, sizeof(pid_arg), "--pid=%d", pid);
        const char *args[] = {"watch", "--json", pid_arg, "--backend", backend, NULL};
        if (!backend) {
                args[3] = NULL;
        }
        struct running r;
        start_ward(&r, args);
        ASSERT_TRUE(next_line(&r, line, sizeof(line)) != NULL);
        ASSERT_TRUE(strncmp(line, "{\"kind\":\"watching\",\"backend\":", 29) == 0);
        ASSERT_EQ(write(ctl[1], "f", 1), 1);
        int c = proc_expect(rep[0], "C");
        wait_event(&r, "fork", c, NULL, 0);
        ASSERT_EQ(write(ctl[1], "e", 1), 1);
        wait_event(&r, "exec", c, comm, sizeof(comm));
        ASSERT_STREQ(comm, "cat");
        ASSERT_EQ(write(ctl[1], "x", 1), 1);
        wait_event(&r, "exit", c, NULL, 0);
        ASSERT_EQ(write(ctl[1], "q", 1), 1);
        wait_event(&r, "exit", pid, NULL, 0);
        /* everything it watched ended: it ends too */
        while (next_line(&r, line, sizeof(line))) {
        }
        ASSERT_EQ(waitpid(r.pid, &st, 0), r.pid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(r.out);
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, NULL));
        ward_proc_free(p);
        close(ctl[0]);
        close(ctl[1]);
        close(rep[0]);
        close(rep[1]);
}

TEST(watch_json)
{
        watch_command(NULL); /* the first back-end that works */
        watch_command("pidfd");
}

TEST(watch_usage)
{
        char out[4096];
        ASSERT_EQ(ward(out, sizeof(out), "watch", "--help", NULL, NULL, NULL), 0);
        ASSERT_TRUE(strncmp(out, "Usage: ward watch", 17) == 0);
        ASSERT_EQ(ward(out, sizeof(out), "watch", "--backend", "kqueue", NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "'kqueue'") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "watch", "--pid", "x1", NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "'x1'") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "watch", "--pid", "4194304", NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "no such process 4194304") != NULL);
        ASSERT_EQ(ward(out, sizeof(out), "watch", "--backend", "pidfd", NULL, NULL), 2);
        ASSERT_EQ(ward(out, sizeof(out), "watch", "--bogus", NULL, NULL, NULL), 2);
        ASSERT_TRUE(strstr(out, "'--bogus'") != NULL);
}

TEST_MAIN()
