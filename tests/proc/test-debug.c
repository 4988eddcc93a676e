/* Debugger events (ward/debug.h, `ward debug`) of a real program:
 * proc-debuggee (debuggee.c) starts and joins a thread, forks a child that
 * execs and exits 3, dlopens and dlcloses a library, writes a line to stderr
 * and then faults at address 0x10. Every
 * event comes once and in order; the fault's signal is given back, so the
 * program dies of it as it would without the debugger. Attaching to a
 * running process and detaching leaves it running: it still answers, still
 * counts, and a signal it ignores is seen and given back. */
#include <dirent.h>
#include <stdlib.h>

#include <ward/debug.h>

#include "stack-target.h"
#include "test-run.h"
#include "test.h"

#define FAULT_ADDRESS 16
#define STDERR_LINE "debuggee: about to fault"

struct rec {
        struct ward_debug_event ev;
        char text[512];
};

struct recs {
        struct rec r[512];
        size_t n;
};

static int record(void *arg, const struct ward_debug_event *ev)
{
        struct recs *rs = arg;
        if (rs->n < sizeof(rs->r) / sizeof(rs->r[0])) {
                struct rec *r = &rs->r[rs->n++];
                r->ev = *ev;
                size_t n = ev->len < sizeof(r->text) - 1 ? ev->len : sizeof(r->text) - 1;
                memcpy(r->text, ev->text ? ev->text : "", ev->text ? n : 0);
                r->text[ev->text ? n : 0] = '\0';
                r->ev.text = NULL;
        }
        return 0;
}

static void dump(const struct recs *rs)
{
        for (size_t i = 0; i < rs->n; i++) {
                const struct ward_debug_event *e = &rs->r[i].ev;
                fprintf(stderr,
                        "  %3zu %-14s pid %d tid %d child %d status %d signo %d code %d %s\n", i,
                        ward_debug_event_name(e->kind), e->pid, e->tid, e->child, e->status,
                        e->signo, e->code, rs->r[i].text);
        }
}

/* find: the index of the only event matching, failing when there are
 * none or several; text_tail: NULL or what its text ends with */
static size_t find(const struct recs *rs, enum ward_debug_kind kind, int pid, const char *text_tail)
{
        size_t at = (size_t)-1, count = 0;
        for (size_t i = 0; i < rs->n; i++) {
                const struct rec *r = &rs->r[i];
                size_t tl = text_tail ? strlen(text_tail) : 0, n = strlen(r->text);
                if (r->ev.kind == kind && (pid == 0 || r->ev.pid == pid) &&
                    (!text_tail || (n >= tl && strcmp(r->text + n - tl, text_tail) == 0))) {
                        at = at == (size_t)-1 ? i : at;
                        count++;
                }
        }
        if (count != 1) {
                dump(rs);
                TEST_FAIL("%zu %s events of %d (%s), want 1", count, ward_debug_event_name(kind),
                          pid, text_tail ? text_tail : "");
        }
        return at;
}

static void ordered(const struct recs *rs, size_t a, size_t b)
{
        if (a >= b) {
                dump(rs);
                TEST_FAIL("event %zu should come before event %zu", a, b);
        }
}

TEST(every_event_once_in_order)
{
        static struct recs rs;
        const char *self = WARD_PROC_DEBUGGEE;
        char *argv[] = {(char *)self, NULL};
        ward_debug *d;
        int r = ward_debug_spawn(argv, WARD_AUDIT_LIBRARY, record, &rs, &d);
        if (r == -EPERM) {
                SKIP("ptrace is not allowed here (ptrace_scope or no CAP_SYS_PTRACE)");
        }
        ASSERT_OK(r);
        int pid = ward_debug_pid(d);
        ASSERT_EQ(ward_debug_run(d, 60000), 0);
        ward_debug_close(d);

        size_t exec = find(&rs, WARD_DEBUG_EXEC, pid, NULL);
        ASSERT_EQ(exec, 0);
        ASSERT_STREQ(rs.r[exec].text, self);
        size_t libc = find(&rs, WARD_DEBUG_LIBRARY_LOAD, pid, "/libc.so.6");
        ordered(&rs, exec, libc);

        /* the thread: started and ended before the fork */
        size_t fork_at = find(&rs, WARD_DEBUG_FORK, pid, NULL);
        int child = rs.r[fork_at].ev.child;
        ASSERT_TRUE(child > 0 && child != pid);
        size_t start = (size_t)-1, end = (size_t)-1;
        for (size_t i = 0; i < fork_at; i++) {
                const struct ward_debug_event *e = &rs.r[i].ev;
                if (e->kind == WARD_DEBUG_THREAD_START && e->pid == pid && start == (size_t)-1) {
                        start = i;
                }
                if (start != (size_t)-1 && e->kind == WARD_DEBUG_THREAD_EXIT &&
                    e->tid == rs.r[start].ev.tid) {
                        end = i;
                }
        }
        if (start == (size_t)-1 || end == (size_t)-1) {
                dump(&rs);
                TEST_FAIL("no thread started and ended before the fork");
        }
        ASSERT_EQ(rs.r[end].ev.status, 0);
        ordered(&rs, libc, start);

        /* the child: exec, exit 3, each once, after the fork */
        size_t child_exec = find(&rs, WARD_DEBUG_EXEC, child, NULL);
        size_t child_exit = find(&rs, WARD_DEBUG_EXIT, child, NULL);
        ordered(&rs, fork_at, child_exec);
        ordered(&rs, child_exec, child_exit);
        ASSERT_EQ(rs.r[child_exit].ev.status, 3);
        ASSERT_EQ(rs.r[child_exit].ev.signo, 0);

        /* the library, after the child was waited for */
        size_t load = find(&rs, WARD_DEBUG_LIBRARY_LOAD, pid, "proc_dl_module.so");
        size_t unload = find(&rs, WARD_DEBUG_LIBRARY_UNLOAD, pid, "proc_dl_module.so");
        ordered(&rs, child_exit, load);
        ordered(&rs, load, unload);
        ASSERT_TRUE(rs.r[load].ev.addr != 0);
        ASSERT_EQ(rs.r[load].ev.addr, rs.r[unload].ev.addr);

        /* the stderr line, then the fault, then the end */
        size_t line = find(&rs, WARD_DEBUG_OUTPUT, 0, STDERR_LINE);
        ordered(&rs, unload, line);
        size_t fault = (size_t)-1;
        for (size_t i = 0; i < rs.n; i++) {
                if (rs.r[i].ev.kind == WARD_DEBUG_SIGNAL && rs.r[i].ev.signo == SIGSEGV) {
                        ASSERT_EQ(fault, (size_t)-1); /* once */
                        fault = i;
                }
        }
        ASSERT_TRUE(fault != (size_t)-1);
        ordered(&rs, line, fault);
        ASSERT_EQ(rs.r[fault].ev.pid, pid);
        ASSERT_EQ(rs.r[fault].ev.tid, pid);
        ASSERT_EQ(rs.r[fault].ev.code, SEGV_MAPERR);
        ASSERT_EQ(rs.r[fault].ev.addr, FAULT_ADDRESS);
        ASSERT_TRUE(rs.r[fault].ev.pc != 0);
        size_t exit_at = find(&rs, WARD_DEBUG_EXIT, pid, NULL);
        ordered(&rs, fault, exit_at);
        ASSERT_EQ(exit_at, rs.n - 1);
        ASSERT_EQ(rs.r[exit_at].ev.signo, SIGSEGV); /* given back: it died of it */
}

TEST(spawn_errors)
{
        static struct recs rs;
        ward_debug *d;
        char *missing[] = {"/nonexistent/ward-no-such-program", NULL};
        ASSERT_ERRNO(ward_debug_spawn(missing, "", record, &rs, &d), ENOENT);
        char *none[] = {NULL};
        ASSERT_ERRNO(ward_debug_spawn(none, "", record, &rs, &d), EINVAL);
        ASSERT_ERRNO(ward_debug_attach(getpid(), record, &rs, &d), EINVAL);
        pid_t gone = fork();
        if (gone == 0) {
                _exit(0);
        }
        waitpid(gone, NULL, 0);
        ASSERT_ERRNO(ward_debug_attach(gone, record, &rs, &d), ESRCH);
        ASSERT_EQ(rs.n, 0);
}

static size_t count_threads(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *d = opendir(path);
        size_t n = 0;
        struct dirent *e;
        while (d && (e = readdir(d))) {
                n += e->d_name[0] != '.';
        }
        if (d) {
                closedir(d);
        }
        return n;
}

TEST(attach_detach_leaves_it_running)
{
        static struct recs rs;
        struct target t = target_start();
        ward_debug *d;
        int r = ward_debug_attach(t.pid, record, &rs, &d);
        if (r == -EPERM) {
                target_stop(&t);
                SKIP("ptrace is not allowed here (ptrace_scope or no CAP_SYS_PTRACE)");
        }
        ASSERT_OK(r);
        ASSERT_EQ(ward_debug_pid(d), t.pid);
        ASSERT_ERRNO(ward_debug_run(d, 100), ETIMEDOUT);
        ASSERT_EQ(rs.n, count_threads(t.pid)); /* one ATTACHED per thread */
        ASSERT_TRUE(rs.n >= 3); /* a sanitizer's runtime may add threads of its own */
        for (size_t i = 0; i < rs.n; i++) {
                ASSERT_EQ(rs.r[i].ev.kind, WARD_DEBUG_ATTACHED);
                ASSERT_EQ(rs.r[i].ev.pid, t.pid);
        }
        ASSERT_TRUE(target_answers(&t)); /* it runs while followed */

        /* a signal it ignores: seen, given back, nothing else happens */
        rs.n = 0;
        ASSERT_SYS(kill(t.pid, SIGWINCH));
        for (int i = 0; i < 100 && rs.n == 0; i++) {
                r = ward_debug_run(d, 100);
                ASSERT_TRUE(r == 0 || r == -ETIMEDOUT);
        }
        ASSERT_EQ(rs.n, 1);
        ASSERT_EQ(rs.r[0].ev.kind, WARD_DEBUG_SIGNAL);
        ASSERT_EQ(rs.r[0].ev.signo, SIGWINCH);
        ASSERT_EQ(rs.r[0].ev.code, SI_USER);
        ASSERT_EQ(rs.r[0].ev.sender, getpid());

        ASSERT_OK(ward_debug_interrupt(d));
        ASSERT_ERRNO(ward_debug_run(d, -1), EINTR);
        ASSERT_OK(ward_debug_detach(d));
        ward_debug_close(d);

        ASSERT_TRUE(target_answers(&t));
        ASSERT_TRUE(target_counts(&t));
        int tids[3] = {t.shared->main_tid, t.shared->blocker_tid, t.shared->spinner_tid};
        for (int i = 0; i < 3; i++) {
                char st = thread_state(t.pid, tids[i]);
                ASSERT_TRUE(st != 't' && st != 'T');
        }
        char status[64];
        snprintf(status, sizeof(status), "/proc/%d/status", (int)t.pid);
        FILE *f = fopen(status, "re");
        ASSERT_TRUE(f != NULL);
        char line[256];
        int tracer = -1;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "TracerPid:", 10) == 0) {
                        tracer = atoi(line + 10);
                }
        }
        fclose(f);
        ASSERT_EQ(tracer, 0);
        target_stop(&t);
}

TEST(ward_debug_command)
{
        static char out[1 << 17];
        const char *self = WARD_PROC_DEBUGGEE;
        const char *json[] = {"debug", "--json", "--", self, NULL};
        int st = test_run_ward(json, NULL, -1, out, sizeof(out));
        const char *text[] = {"debug", self, NULL};
        static char out2[1 << 17];
        int st2 = test_run_ward(text, NULL, -1, out2, sizeof(out2));
        ASSERT_EQ(st, 128 + SIGSEGV);
        ASSERT_EQ(st2, 128 + SIGSEGV);
        ASSERT_TRUE(strstr(out, "{\"event\":\"exec\""));
        ASSERT_TRUE(strstr(out, "\"event\":\"fork\""));
        ASSERT_TRUE(strstr(out, "\"event\":\"thread-start\""));
        ASSERT_TRUE(strstr(out, "proc_dl_module.so\""));
        ASSERT_TRUE(strstr(out, "\"line\":\"" STDERR_LINE "\""));
        ASSERT_TRUE(strstr(out, "\"signal\":\"SIGSEGV\",\"signo\":11,\"code\":1,\"code_name\":"
                                "\"SEGV_MAPERR\",\"address\":\"0x10\""));
        ASSERT_TRUE(strstr(out2, "stderr: " STDERR_LINE "\n"));
        ASSERT_TRUE(strstr(out2, "signal SIGSEGV (SEGV_MAPERR) at address 0x10"));
        ASSERT_TRUE(strstr(out2, "library unloaded "));

        const char *help[] = {"debug", "--help", NULL};
        ASSERT_EQ(test_run_ward(help, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strncmp(out, "Usage: ward debug", 17) == 0);
        const char *bad[] = {"debug", "-p", "12x", NULL};
        ASSERT_EQ(test_run_ward(bad, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "'12x'"));
        const char *opt[] = {"debug", "--bogus", NULL};
        ASSERT_EQ(test_run_ward(opt, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "'--bogus'"));
        const char *nothing[] = {"debug", NULL};
        ASSERT_EQ(test_run_ward(nothing, NULL, -1, out, sizeof(out)), 2);
        const char *missing[] = {"debug", "--", "/nonexistent/ward-no-such-program", NULL};
        ASSERT_EQ(test_run_ward(missing, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "/nonexistent/ward-no-such-program"));
}

TEST_MAIN()
