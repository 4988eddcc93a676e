/* ward_proc_stacks and `ward stack` on a real process (stack-target.h): in
 * stop mode every thread's functions with file:line, the spinner's too, and
 * the process runs on exactly as before (it still answers, its counter still
 * advances, the blocked thread is back in read(2)); in live mode the blocked
 * thread is named and the spinner is reported running, with no frames. */
#include <stdlib.h>

#include <ward/stack.h>

#include "stack-target.h"
#include "test-run.h"
#include "test.h"

#define MAX_FRAMES 64

struct seen_thread {
        int tid;
        char name[16];
        char state;
        enum ward_proc_thread_how how;
        long syscall;
        size_t n;
        struct ward_stack_frame f[MAX_FRAMES];
};

struct seen {
        struct seen_thread t[16];
        size_t n;
};

static int collect(void *arg, const struct ward_proc_thread *t, size_t i,
                   const struct ward_stack_frame *f)
{
        struct seen *s = arg;
        if (s->n == 0 || s->t[s->n - 1].tid != t->tid) {
                ASSERT_TRUE(s->n < 16);
                struct seen_thread *st = &s->t[s->n++];
                memset(st, 0, sizeof(*st));
                st->tid = t->tid;
                memcpy(st->name, t->name, sizeof(st->name));
                st->state = t->state;
                st->how = t->how;
                st->syscall = t->syscall;
        }
        struct seen_thread *st = &s->t[s->n - 1];
        ASSERT_TRUE(f ? i == st->n : t->n_frames == 0);
        if (f && st->n < MAX_FRAMES) {
                st->f[st->n++] = *f;
        }
        return 0;
}

static const struct seen_thread *thread_of(const struct seen *s, int tid)
{
        for (size_t i = 0; i < s->n; i++) {
                if (s->t[i].tid == tid) {
                        return &s->t[i];
                }
        }
        TEST_FAIL("thread %d not reported", tid);
}

/* frame_named: the first real (not inlined) frame of function func */
static const struct ward_stack_frame *frame_named(const struct seen_thread *t, const char *func)
{
        for (size_t i = 0; i < t->n; i++) {
                if (!t->f[i].inlined && strcmp(t->f[i].func, func) == 0) {
                        return &t->f[i];
                }
        }
        return NULL;
}

static int ends_with(const char *s, const char *tail)
{
        size_t n = strlen(s), k = strlen(tail);
        return n >= k && strcmp(s + n - k, tail) == 0;
}

static void check_named(const struct seen_thread *t, const char *func)
{
        const struct ward_stack_frame *f = frame_named(t, func);
        if (!f) {
                for (size_t i = 0; i < t->n; i++) {
                        fprintf(stderr, "  #%zu %s (%s:%d) %s\n", i, t->f[i].func, t->f[i].file,
                                t->f[i].line, t->f[i].module);
                }
                TEST_FAIL("thread %d has no frame %s", t->tid, func);
        }
        ASSERT_TRUE(ends_with(f->file, "stack-target.h"));
        ASSERT_TRUE(f->line > 0);
        ASSERT_TRUE(f->module[0] != '\0');
        ASSERT_TRUE(strlen(f->build_id) >= 16); /* gcc and ld give every file one */
}

static void check_runs_on(const struct target *t)
{
        ASSERT_TRUE(target_answers(t));
        ASSERT_TRUE(target_counts(t));
        int tids[3] = {t->shared->main_tid, t->shared->blocker_tid, t->shared->spinner_tid};
        for (int i = 0; i < 3; i++) {
                char st = thread_state(t->pid, tids[i]);
                ASSERT_TRUE(st != 't' && st != 'T');
        }
        /* the blocked read was restarted, not failed: the thread is back in it */
        int back = 0;
        for (int i = 0; i < 500 && !back; i++) {
                back = thread_syscall(t->pid, t->shared->blocker_tid) == 0;
                if (!back) {
                        sleep_ms(10);
                }
        }
        ASSERT_TRUE(back);
}

TEST(stop_mode_names_every_thread)
{
        struct target t = target_start();
        struct seen s = {0};
        ASSERT_EQ(ward_proc_stacks(t.pid, WARD_PROC_STACKS_STOP, collect, &s), 0);
        ASSERT_TRUE(s.n >= 3);        /* a sanitizer's runtime may add threads of its own */
        ASSERT_EQ(s.t[0].tid, t.pid); /* the main thread first */

        const struct seen_thread *blocker = thread_of(&s, t.shared->blocker_tid);
        ASSERT_STREQ(blocker->name, "blocker");
        ASSERT_EQ(blocker->how, WARD_PROC_THREAD_UNWOUND);
        ASSERT_EQ(blocker->syscall, 0); /* read */
        check_named(blocker, "blocked_in_read");
        ASSERT_EQ(frame_named(blocker, "blocked_in_read")->line, TARGET_READ_LINE);
        ASSERT_TRUE(frame_named(blocker, "start_thread") != NULL);

        const struct seen_thread *spinner = thread_of(&s, t.shared->spinner_tid);
        ASSERT_STREQ(spinner->name, "spinner");
        ASSERT_EQ(spinner->how, WARD_PROC_THREAD_UNWOUND);
        check_named(spinner, "spin_in_user");

        check_named(&s.t[0], "answer_loop");
        ASSERT_TRUE(frame_named(&s.t[0], "main") != NULL);
        check_runs_on(&t);

        /* and again: nothing was left behind by the first look */
        struct seen again = {0};
        ASSERT_EQ(ward_proc_stacks(t.pid, WARD_PROC_STACKS_STOP, collect, &again), 0);
        check_named(thread_of(&again, t.shared->spinner_tid), "spin_in_user");
        check_runs_on(&t);
        target_stop(&t);
}

TEST(live_mode_names_blocked_and_says_running)
{
        struct target t = target_start();
        struct seen s = {0};
        ASSERT_EQ(ward_proc_stacks(t.pid, WARD_PROC_STACKS_LIVE, collect, &s), 0);
        ASSERT_TRUE(s.n >= 3);
        const struct seen_thread *blocker = thread_of(&s, t.shared->blocker_tid);
        ASSERT_EQ(blocker->how, WARD_PROC_THREAD_UNWOUND);
        ASSERT_EQ(blocker->syscall, 0);
        check_named(blocker, "blocked_in_read");
        ASSERT_EQ(frame_named(blocker, "blocked_in_read")->line, TARGET_READ_LINE);
        check_named(thread_of(&s, t.pid), "answer_loop");

        const struct seen_thread *spinner = thread_of(&s, t.shared->spinner_tid);
        ASSERT_EQ(spinner->how, WARD_PROC_THREAD_RUNNING);
        ASSERT_EQ(spinner->n, 0);
        ASSERT_TRUE(target_counts(&t));
        ASSERT_TRUE(target_answers(&t));
        target_stop(&t);
}

TEST(one_thread_and_no_lines)
{
        struct target t = target_start();
        struct seen s = {0};
        ASSERT_EQ(ward_proc_stack(t.pid, t.shared->blocker_tid,
                                  WARD_PROC_STACKS_STOP | WARD_PROC_STACKS_NO_LINES, collect, &s),
                  0);
        ASSERT_EQ(s.n, 1);
        const struct ward_stack_frame *f = frame_named(&s.t[0], "blocked_in_read");
        ASSERT_TRUE(f != NULL);
        ASSERT_EQ(f->line, 0);
        for (size_t i = 0; i < s.t[0].n; i++) {
                ASSERT_EQ(s.t[0].f[i].inlined, 0);
        }
        ASSERT_ERRNO(ward_proc_stack(t.pid, 1, 0, collect, &s), ESRCH);
        check_runs_on(&t);
        target_stop(&t);
}

static int stop_early(void *arg, const struct ward_proc_thread *t, size_t i,
                      const struct ward_stack_frame *f)
{
        (void)t;
        (void)i;
        (void)f;
        ++*(int *)arg;
        return 42;
}

TEST(errors_and_early_stop)
{
        int calls = 0;
        ASSERT_ERRNO(ward_proc_stacks(0, 0, stop_early, &calls), EINVAL);
        ASSERT_ERRNO(ward_proc_stacks(getpid(), WARD_PROC_STACKS_STOP, stop_early, &calls), EINVAL);
        ASSERT_ERRNO(ward_proc_stacks(getpid(), 0x100, stop_early, &calls), EINVAL);
        pid_t gone = fork();
        if (gone == 0) {
                _exit(0);
        }
        waitpid(gone, NULL, 0);
        ASSERT_ERRNO(ward_proc_stacks(gone, 0, stop_early, &calls), ESRCH);
        ASSERT_ERRNO(ward_proc_stacks(gone, WARD_PROC_STACKS_STOP, stop_early, &calls), ESRCH);
        ASSERT_EQ(calls, 0);
        struct target t = target_start();
        ASSERT_EQ(ward_proc_stacks(t.pid, WARD_PROC_STACKS_STOP, stop_early, &calls), 42);
        ASSERT_EQ(calls, 1);
        check_runs_on(&t);
        target_stop(&t);
}

static int run_stack(pid_t pid, const char *opt, char *out, size_t size)
{
        char p[16];
        snprintf(p, sizeof(p), "%d", (int)pid);
        const char *with[] = {"stack", p, opt, NULL}, *without[] = {"stack", p, NULL};
        return test_run_ward(opt ? with : without, NULL, -1, out, size);
}

TEST(ward_stack_command)
{
        static char out[1 << 16];
        char want[64];
        struct target t = target_start();
        snprintf(want, sizeof(want), "stack-target.h:%d)", TARGET_READ_LINE);

        ASSERT_EQ(run_stack(t.pid, NULL, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "\"blocker\"") && strstr(out, "blocked_in_read+0x"));
        ASSERT_TRUE(strstr(out, want));
        ASSERT_TRUE(strstr(out, "spin_in_user+0x"));
        ASSERT_TRUE(strstr(out, "answer_loop+0x"));
        check_runs_on(&t);

        ASSERT_EQ(run_stack(t.pid, "--live", out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, want));
        ASSERT_TRUE(strstr(out, "\"spinner\" running"));
        ASSERT_TRUE(!strstr(out, "spin_in_user"));

        ASSERT_EQ(run_stack(t.pid, "--json", out, sizeof(out)), 0);
        ASSERT_TRUE(strncmp(out, "{\"pid\":", 7) == 0);
        ASSERT_TRUE(strstr(out, "\"function\":\"blocked_in_read\""));
        ASSERT_TRUE(strstr(out, "\"name\":\"spinner\""));
        ASSERT_TRUE(strstr(out, "\"build_id\":\""));
        ASSERT_TRUE(strstr(out, "\"inlined\":false"));

        char tid[16];
        snprintf(tid, sizeof(tid), "%d", t.shared->blocker_tid);
        char p[16];
        snprintf(p, sizeof(p), "%d", (int)t.pid);
        const char *one[] = {"stack", "--live", "--thread", tid, p, NULL};
        ASSERT_EQ(test_run_ward(one, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "blocked_in_read") && !strstr(out, "answer_loop"));
        check_runs_on(&t);
        target_stop(&t);

        const char *help[] = {"stack", "--help", NULL};
        ASSERT_EQ(test_run_ward(help, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strncmp(out, "Usage: ward stack", 17) == 0);
        const char *bad[] = {"stack", "--frobnicate", "1", NULL};
        ASSERT_EQ(test_run_ward(bad, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "'--frobnicate'"));
        const char *notpid[] = {"stack", "12ab", NULL};
        ASSERT_EQ(test_run_ward(notpid, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "'12ab'"));
        ASSERT_EQ(run_stack(t.pid, NULL, out, sizeof(out)), 2); /* reaped: gone */
        ASSERT_TRUE(strstr(out, "no such process"));
}

TEST(another_users_process_is_explained)
{
        static char out[4096];
        if (getuid() != 0) {
                SKIP("needs root to run ward as another user");
        }
        if (!test_ward_runs_as(65534)) {
                SKIP("uid 65534 cannot run %s/ward (a private build directory)", WARD_BIN_DIR);
        }
        struct target t = target_start();
        ASSERT_EQ(run_stack(t.pid, NULL, out, sizeof(out)), 0);
        char p[16];
        snprintf(p, sizeof(p), "%d", (int)t.pid);
        const char *args[] = {"stack", p, NULL};
        ASSERT_EQ(test_run_ward(args, NULL, 65534, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "belongs to user 0") && strstr(out, "run as that user or root"));
        target_stop(&t);
}

TEST_MAIN()
