/* ward_core_write against a real process (tests/guard/core-target.c, four
 * threads in named functions, 64 MiB of heap): gdb and eu-stack read the
 * core and show every thread's function; the core is small; the report
 * names the functions, the trace events and the held ward lock. Then a real
 * crash: the crasher thread, seized by this test, stops at its SIGSEGV and
 * the core shows that signal and crash_here first. Skips (77) without gdb or
 * eu-stack, or where ptrace is not permitted. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <ward/core.h>

#include "core/json-parse.h"

#include "test-run.h"
#include "test.h"

struct target {
        pid_t pid;
        int tid; /* the crasher thread */
        int in;  /* its stdin */
        int out; /* its stdout, after the tid line */
};

static struct target start_target(const char *mode)
{
        int in[2], out[2];
        struct target t;
        char line[32] = "";
        ASSERT_EQ(pipe(in), 0);
        ASSERT_EQ(pipe(out), 0);
        t.pid = fork();
        ASSERT_TRUE(t.pid >= 0);
        if (t.pid == 0) {
                dup2(in[0], 0);
                dup2(out[1], 1);
                close(in[1]);
                close(out[0]);
                execl(WARD_GUARD_TARGET, WARD_GUARD_TARGET, mode, (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        for (size_t n = 0; n + 1 < sizeof(line) && !strchr(line, '\n');) { /* one line */
                ASSERT_EQ(read(out[0], line + n, 1), 1);
                n++;
        }
        t.out = out[0];
        t.tid = atoi(line);
        t.in = in[1];
        ASSERT_TRUE(t.tid > 0);
        /* the main thread prints the line, then joins: wait until it sits in
         * the join's futex (syscall 202), so that its stack is main_waits' */
        char path[64], sys[64];
        snprintf(path, sizeof(path), "/proc/%d/syscall", (int)t.pid);
        for (int i = 0; i < 10000 && strcmp(mode, "exit-main") != 0; i++) {
                FILE *f = fopen(path, "re");
                int blocked = f && fgets(sys, sizeof(sys), f) && strncmp(sys, "202 ", 4) == 0;
                if (f) {
                        fclose(f);
                }
                if (blocked) {
                        break;
                }
                usleep(1000);
        }
        return t;
}

static void stop_target(struct target *t)
{
        char path[64];
        kill(t->pid, SIGKILL);
        /* __WALL: a thread this test traces is reaped here too (else the
         * leader waits for it forever) */
        for (pid_t w = 0; w != t->pid && w >= 0;) {
                w = waitpid(-1, NULL, __WALL);
        }
        close(t->in);
        close(t->out);
        snprintf(path, sizeof(path), "/dev/shm/ward-trace.%d", (int)t->pid);
        unlink(path);
        snprintf(path, sizeof(path), "/dev/shm/ward-locks.%d", (int)t->pid);
        unlink(path);
}

static void need_tools(void)
{
        if (system("command -v gdb >/dev/null 2>&1") != 0) {
                SKIP("gdb is not installed");
        }
        if (system("command -v eu-stack >/dev/null 2>&1") != 0) {
                SKIP("eu-stack (elfutils) is not installed");
        }
}

/* run: a command's stdout and stderr, in a malloc'd string */
static char *run(const char *cmd)
{
        FILE *p = popen(cmd, "r");
        ASSERT_TRUE(p != NULL);
        size_t cap = 1 << 20, n = 0;
        char *s = malloc(cap);
        ASSERT_TRUE(s != NULL);
        size_t r;
        while (n + 1 < cap && (r = fread(s + n, 1, cap - 1 - n, p)) > 0) {
                n += r;
        }
        s[n] = '\0';
        pclose(p);
        return s;
}

static char *read_all(const char *path)
{
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "cat '%s'", path);
        return run(cmd);
}

static long rss_kb(pid_t pid)
{
        char path[64], *s;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        s = read_all(path);
        const char *v = strstr(s, "VmRSS:");
        long kb = v ? atol(v + 6) : -1;
        free(s);
        return kb;
}

static void write_core(int pid, const struct ward_core_options *o, struct ward_core_result *res)
{
        char err[256];
        int r = ward_core_write(pid, o, res, err, sizeof(err));
        if (r == -EPERM) {
                SKIP("ptrace is not permitted here (%s)", err);
        }
        if (r != 0) {
                TEST_FAIL("ward_core_write: %s: %s", ward_strerror(r), err);
        }
}

/* check_json: the report parses, and its "threads" array has n entries */
static void check_json(const char *json, int n)
{
        struct ward__json_doc *doc;
        const struct ward__json *root, *m;
        char err[256];
        if (ward__json_parse(json, strlen(json), &doc, &root, err, sizeof(err)) != 0) {
                TEST_FAIL("the JSON report does not parse: %s", err);
        }
        ASSERT_EQ(root->type, WARD__JSON_OBJECT);
        int threads = -1;
        for (m = root->kids; m; m = m->next) {
                if (m->key_len == 7 && memcmp(m->key, "threads", 7) == 0) {
                        ASSERT_EQ(m->type, WARD__JSON_ARRAY);
                        threads = 0;
                        for (const struct ward__json *t = m->kids; t; t = t->next) {
                                threads++;
                        }
                }
        }
        ASSERT_EQ(threads, n);
        ward__json_doc_free(doc);
}

#define ASSERT_HAS(text, what)                                                                     \
        do {                                                                                       \
                if (!strstr((text), (what))) {                                                     \
                        TEST_FAIL("no \"%s\" in:\n%s", (what), (text));                            \
                }                                                                                  \
        } while (0)

static const char *const thread_functions[] = {"blocked_in_read", "holding_lock", "spin_here",
                                               "main_waits"};

TEST(snapshot_read_by_gdb_and_eu_stack)
{
        need_tools();
        char dir[] = "/tmp/ward-core-XXXXXX", cmd[8400];
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct target t = start_target("hang");
        long rss = rss_kb(t.pid);
        struct ward_core_options o = {.size = sizeof(o), .dir = dir, .report = 1};
        struct ward_core_result res;
        write_core(t.pid, &o, &res);
        ASSERT_EQ(res.threads, 5);    /* and the trace flusher */
        ASSERT_EQ(kill(t.pid, 0), 0); /* it goes on */

        snprintf(cmd, sizeof(cmd), "gdb -nx -batch -ex 'thread apply all bt' '%s' '%s' 2>&1",
                 WARD_GUARD_TARGET, res.core);
        char *gdb = run(cmd);
        fprintf(stderr, "%s", gdb);
        for (size_t i = 0; i < sizeof(thread_functions) / sizeof(thread_functions[0]); i++) {
                ASSERT_HAS(gdb, thread_functions[i]);
        }
        ASSERT_HAS(gdb, "start_thread"); /* the stacks go all the way through libc */
        free(gdb);

        snprintf(cmd, sizeof(cmd), "eu-stack --core '%s' -e '%s' 2>&1", res.core,
                 WARD_GUARD_TARGET);
        char *eu = run(cmd);
        fprintf(stderr, "%s", eu);
        for (size_t i = 0; i < sizeof(thread_functions) / sizeof(thread_functions[0]); i++) {
                ASSERT_HAS(eu, thread_functions[i]);
        }
        free(eu);

        /* small: the stacks and a few pages, not the 64 MiB heap */
        struct stat sb;
        ASSERT_EQ(stat(res.core, &sb), 0);
        ASSERT_EQ((uint64_t)sb.st_size, res.core_size);
        fprintf(stderr, "core %lld bytes, RSS %ld kB\n", (long long)sb.st_size, rss);
        ASSERT_TRUE(rss > 0 && (long long)sb.st_size < rss * 1024 / 4);

        char *text = read_all(res.text), *json = read_all(res.json);
        fprintf(stderr, "%s", text);
        for (size_t i = 0; i < sizeof(thread_functions) / sizeof(thread_functions[0]); i++) {
                ASSERT_HAS(text, thread_functions[i]);
                ASSERT_HAS(json, thread_functions[i]);
        }
        ASSERT_HAS(text, "guard event 4");
        ASSERT_HAS(text, "guard event: holding guard-state");
        ASSERT_HAS(text, "guard-state");
        ASSERT_HAS(json, "\"locks\":[{\"name\":\"guard-state\"");
        ASSERT_HAS(json, "\"build_id\":\"");
        ASSERT_HAS(json, "\"signal\":null");
        check_json(json, 5);
        free(text);
        free(json);
        stop_target(&t);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST(crash_stop_shows_the_crashing_function_first)
{
        need_tools();
        char dir[] = "/tmp/ward-core-XXXXXX", cmd[8400];
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct target t = start_target("crash");
        if (ptrace(PTRACE_SEIZE, t.tid, 0, 0) < 0) {
                int e = errno;
                stop_target(&t);
                SKIP("ptrace is not permitted here: %s", strerror(e));
        }
        pid_t other = fork();
        if (other == 0) { /* another tracer's thread: -EBUSY, not -EPERM */
                struct ward_core_options busy = {.size = sizeof(busy), .dir = dir};
                struct ward_core_result res;
                char err[256];
                int r = ward_core_write(t.pid, &busy, &res, err, sizeof(err));
                _exit(r == -EBUSY && strstr(err, "traced by") ? 0 : 1);
        }
        int st;
        ASSERT_TRUE(waitpid(other, &st, 0) == other && WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
        ASSERT_EQ(write(t.in, "!", 1), 1);
        for (;;) { /* to the crash's signal-delivery-stop */
                ASSERT_EQ(waitpid(t.tid, &st, __WALL), t.tid);
                if (!WIFSTOPPED(st)) {
                        TEST_FAIL("the crasher did not stop: status 0x%x", st);
                }
                if (WSTOPSIG(st) == SIGSEGV) {
                        break;
                }
                ASSERT_EQ(ptrace(PTRACE_CONT, t.tid, 0, WSTOPSIG(st)), 0);
        }
        struct ward_core_options o = {
            .size = sizeof(o), .dir = dir, .crash_tid = t.tid, .report = 1};
        struct ward_core_result res;
        write_core(t.pid, &o, &res);
        ASSERT_EQ(res.threads, 5); /* and the trace flusher */

        snprintf(cmd, sizeof(cmd), "gdb -nx -batch -ex bt -ex 'thread apply all bt' '%s' '%s' 2>&1",
                 WARD_GUARD_TARGET, res.core);
        char *gdb = run(cmd);
        fprintf(stderr, "%s", gdb);
        ASSERT_HAS(gdb, "Program terminated with signal SIGSEGV");
        const char *first = strstr(gdb, "#0 ");
        ASSERT_TRUE(first != NULL);
        const char *eol = strchr(first, '\n');
        ASSERT_TRUE(strstr(first, "crash_here") && strstr(first, "crash_here") < eol);
        for (size_t i = 0; i < sizeof(thread_functions) / sizeof(thread_functions[0]); i++) {
                if (strcmp(thread_functions[i], "spin_here") != 0) {
                        ASSERT_HAS(gdb, thread_functions[i]);
                }
        }
        free(gdb);

        snprintf(cmd, sizeof(cmd), "eu-stack --core '%s' -e '%s' 2>&1", res.core,
                 WARD_GUARD_TARGET);
        char *eu = run(cmd);
        fprintf(stderr, "%s", eu);
        ASSERT_HAS(eu, "crash_here");
        free(eu);

        char *text = read_all(res.text), *json = read_all(res.json);
        fprintf(stderr, "%s", text);
        ASSERT_HAS(text, "signal 11");
        ASSERT_HAS(text, "(crashed)");
        ASSERT_HAS(text, "crash_here");
        ASSERT_HAS(json, "\"signo\":11,");
        ASSERT_HAS(json, "\"addr\":\"0x10\"");
        check_json(json, 5);
        free(text);
        free(json);
        stop_target(&t);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

/* read_exact: n bytes from fd */
static void read_exact(int fd, void *buf, size_t n)
{
        for (size_t got = 0; got < n;) {
                ssize_t r = read(fd, (char *)buf + got, n - got);
                ASSERT_TRUE(r > 0);
                got += (size_t)r;
        }
}

/* What the guardian will do: the crashed thread sits in its own SIGSEGV
 * handler and hands over its ucontext and siginfo; the core must show the
 * registers the handler saw (crash_here), not the handler's pause(). */
TEST(crash_ucontext_from_the_handler)
{
        need_tools();
        char dir[] = "/tmp/ward-core-XXXXXX", cmd[8400];
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct target t = start_target("handler");
        ucontext_t uc;
        siginfo_t si;
        ASSERT_EQ(write(t.in, "!", 1), 1);
        read_exact(t.out, &uc, sizeof(uc));
        read_exact(t.out, &si, sizeof(si));
        ASSERT_EQ(si.si_signo, SIGSEGV);
        struct ward_core_options o = {.size = sizeof(o),
                                      .dir = dir,
                                      .crash_tid = t.tid,
                                      .signo = si.si_signo,
                                      .code = si.si_code,
                                      .addr = (uint64_t)(uintptr_t)si.si_addr,
                                      .crash_ucontext = &uc,
                                      .report = 1};
        struct ward_core_result res;
        write_core(t.pid, &o, &res);

        snprintf(cmd, sizeof(cmd), "gdb -nx -batch -ex bt '%s' '%s' 2>&1", WARD_GUARD_TARGET,
                 res.core);
        char *gdb = run(cmd);
        fprintf(stderr, "%s", gdb);
        ASSERT_HAS(gdb, "Program terminated with signal SIGSEGV");
        const char *first = strstr(gdb, "#0 ");
        ASSERT_TRUE(first != NULL);
        const char *eol = strchr(first, '\n');
        ASSERT_TRUE(strstr(first, "crash_here") && strstr(first, "crash_here") < eol);
        ASSERT_HAS(gdb, "crasher");
        free(gdb);
        char *json = read_all(res.json);
        ASSERT_HAS(json, "\"crashed\":true,\"frames\":[{\"pc\"");
        ASSERT_HAS(strstr(json, "\"crashed\":true"), "\"function\":\"crash_here\"");
        free(json);
        stop_target(&t);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

/* thread_states: the state letters of every thread of pid into out */
static void thread_states(pid_t pid, char *out, size_t size)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd),
                 "cat /proc/%d/task/*/stat | sed 's/.*) //' | cut -c1 | tr -d '\\n'", (int)pid);
        char *s = run(cmd);
        snprintf(out, size, "%s", s);
        free(s);
}

/* Threads that appear and exit during the capture are caught or skipped,
 * never waited for forever; the process is left as it was: running after a
 * capture of a running process, still stopped after one of a stopped one. */
TEST(threads_come_and_go_and_the_process_is_left_as_it_was)
{
        char dir[] = "/tmp/ward-core-XXXXXX", cmd[8400], states[256];
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct target t = start_target("churn");
        for (int i = 0; i < 5; i++) {
                struct ward_core_options o = {.size = sizeof(o), .dir = dir};
                struct ward_core_result res;
                write_core(t.pid, &o, &res);
                ASSERT_TRUE(res.threads >= 5);
                ASSERT_EQ(unlink(res.core), 0);
        }
        thread_states(t.pid, states, sizeof(states));
        ASSERT_TRUE(strchr(states, 't') == NULL && strchr(states, 'T') == NULL);

        ASSERT_EQ(kill(t.pid, SIGSTOP), 0);
        for (int i = 0; i < 1000; i++) { /* until every thread is in its group-stop */
                thread_states(t.pid, states, sizeof(states));
                if (strspn(states, "T") == strlen(states)) {
                        break;
                }
                usleep(1000);
        }
        struct ward_core_options o = {.size = sizeof(o), .dir = dir};
        struct ward_core_result res;
        write_core(t.pid, &o, &res);
        ASSERT_TRUE(res.threads >= 5);
        thread_states(t.pid, states, sizeof(states));
        if (strspn(states, "T") != strlen(states)) {
                TEST_FAIL("a stopped process runs again after the capture: %s", states);
        }
        kill(t.pid, SIGCONT);
        stop_target(&t);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

/* A main thread that left with pthread_exit is a zombie that never stops:
 * the capture goes on without it. */
TEST(zombie_main_thread)
{
        need_tools();
        char dir[] = "/tmp/ward-core-XXXXXX", cmd[8400], states[256] = "";
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct target t = start_target("exit-main");
        for (int i = 0; i < 10000 && states[0] != 'Z'; i++) { /* the leader's state first */
                snprintf(cmd, sizeof(cmd), "cut -d')' -f2 /proc/%d/stat | cut -c2", (int)t.pid);
                char *s = run(cmd);
                snprintf(states, sizeof(states), "%s", s);
                free(s);
                usleep(1000);
        }
        ASSERT_EQ(states[0], 'Z');
        struct ward_core_options o = {.size = sizeof(o), .dir = dir};
        struct ward_core_result res;
        write_core(t.pid, &o, &res);
        ASSERT_EQ(res.threads, 4);
        snprintf(cmd, sizeof(cmd), "gdb -nx -batch -ex 'thread apply all bt' '%s' '%s' 2>&1",
                 WARD_GUARD_TARGET, res.core);
        char *gdb = run(cmd);
        ASSERT_HAS(gdb, "blocked_in_read");
        ASSERT_HAS(gdb, "holding_lock");
        free(gdb);
        stop_target(&t);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

/* ward core: --help, bad usage, a process that is gone, and a capture */
TEST(ward_core_command)
{
        char out[8192], dir[] = "/tmp/ward-core-XXXXXX", pidbuf[16], cmd[256];
        const char *help[] = {"core", "--help", NULL};
        ASSERT_EQ(test_run_ward(help, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strncmp(out, "Usage: ward core", 16) == 0);
        const char *none[] = {"core", NULL};
        ASSERT_EQ(test_run_ward(none, NULL, -1, out, sizeof(out)), 2);
        const char *bad[] = {"core", "x12", NULL};
        ASSERT_EQ(test_run_ward(bad, NULL, -1, out, sizeof(out)), 2);
        pid_t gone = fork();
        if (gone == 0) {
                _exit(0);
        }
        waitpid(gone, NULL, 0);
        snprintf(pidbuf, sizeof(pidbuf), "%d", (int)gone);
        const char *dead[] = {"core", pidbuf, NULL};
        ASSERT_EQ(test_run_ward(dead, NULL, -1, out, sizeof(out)), 2);
        ASSERT_HAS(out, "no such process");

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct target t = start_target("hang");
        snprintf(pidbuf, sizeof(pidbuf), "%d", (int)t.pid);
        const char *args[] = {"core", "-o", dir, "--json", pidbuf, NULL};
        int rc = test_run_ward(args, NULL, -1, out, sizeof(out));
        if (rc == 2 && (strstr(out, "ptrace") || strstr(out, "CAP_SYS_PTRACE"))) {
                stop_target(&t);
                SKIP("ptrace is not permitted here");
        }
        ASSERT_EQ(rc, 0);
        ASSERT_HAS(out, "\"core\":\"");
        ASSERT_HAS(out, "\"threads\":5");
        char *core = strstr(out, "\"core\":\"") + 8, *end = strchr(core, '"');
        *end = '\0';
        struct stat sb;
        ASSERT_EQ(stat(core, &sb), 0);
        ASSERT_EQ(kill(t.pid, 0), 0);
        if (geteuid() == 0 && test_ward_runs_as(65534)) { /* another user may not: explained */
                const char *other[] = {"core", "-o", "/tmp", pidbuf, NULL};
                ASSERT_EQ(test_run_ward(other, NULL, 65534, out, sizeof(out)), 2);
                ASSERT_HAS(out, "belongs to user 0: run as that user or root");
                ASSERT_EQ(kill(t.pid, 0), 0);
        }
        stop_target(&t);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST_MAIN()
