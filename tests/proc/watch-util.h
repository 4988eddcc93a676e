/* tests/proc/watch-util.h: recording a watcher's events and driving the
 * "watch" helper's tree (P forks C, C execs cat, C exits, P exits) one step
 * at a time, each step only after the event of the one before arrived: the
 * order is the tree's, whatever the back-end and however slow the machine. */
#ifndef WARD_TESTS_PROC_WATCH_UTIL_H
#define WARD_TESTS_PROC_WATCH_UTIL_H

#include <ward/loop.h>
#include <ward/watch.h>

#include "proc-util.h"

#define SEEN_MAX 4096

struct seen {
        struct ward_watch_event ev[SEEN_MAX];
        char exe[SEEN_MAX][64];
        int n;
};

static void seen_record(const struct ward_watch_event *ev, void *arg)
{
        struct seen *s = arg;
        if (s->n == SEEN_MAX) {
                return;
        }
        s->ev[s->n] = *ev;
        snprintf(s->exe[s->n], sizeof(s->exe[0]), "%s", ev->exe ? ev->exe : "");
        s->ev[s->n].exe = NULL;
        s->n++;
}

/* seen_find: the index of the first event of kind for pid, or -1 */
static inline int seen_find(const struct seen *s, enum ward_watch_kind kind, int pid)
{
        for (int i = 0; i < s->n; i++) {
                if (s->ev[i].kind == kind && s->ev[i].pid == pid) {
                        return i;
                }
        }
        return -1;
}

static inline int seen_count(const struct seen *s, enum ward_watch_kind kind, int pid)
{
        int n = 0;
        for (int i = 0; i < s->n; i++) {
                n += s->ev[i].kind == kind && s->ev[i].pid == pid;
        }
        return n;
}

/* run_until: run the loop until an event of kind for pid was recorded; its
 * index */
static inline int run_until(ward_loop *loop, struct seen *s, enum ward_watch_kind kind, int pid)
{
        uint64_t deadline = ward_now_ns() + PROC_PATIENCE_NS;
        int i;
        while ((i = seen_find(s, kind, pid)) < 0) {
                if (ward_now_ns() > deadline) {
                        TEST_FAIL("no %s event for %d (%d events seen)", ward_watch_kind_name(kind),
                                  pid, s->n);
                }
                ASSERT_OK(ward_loop_run_once(loop, 100000000));
        }
        return i;
}

static inline void send_cmd(int fd, char c)
{
        ASSERT_EQ(write(fd, &c, 1), 1);
}

/* watch_tree: the helper's tree watched with backend (forced); checks that
 * fork, exec and exits are seen in order. rescan_ns: for rescans. */
static inline void watch_tree(enum ward_watch_backend backend, uint64_t rescan_ns)
{
        static struct seen s;
        int ctl[2], rep[2];
        ward_loop *loop;
        memset(&s, 0, sizeof(s));
        ASSERT_SYS(pipe2(ctl, O_CLOEXEC));
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ASSERT_OK(ward_loop_new(&loop));
        ward_proc *p = proc_spawn_helper("watch", rep[1], ctl[0], 0, NULL);
        int pid = ward_proc_pid(p);
        struct ward_watch_options o = {.size = sizeof(o),
                                       .backend = backend,
                                       .pids = &pid,
                                       .n_pids = 1,
                                       .rescan_ns = rescan_ns};
        ward_watch *w;
        ASSERT_OK(ward_watch_new(loop, &o, seen_record, &s, &w));
        ASSERT_EQ(ward_watch_backend(w), backend);
        ASSERT_EQ(ward_watch_count(w), 1);

        send_cmd(ctl[1], 'f');
        int c = proc_expect(rep[0], "C");
        int fork_i = run_until(loop, &s, WARD_WATCH_FORK, c);
        ASSERT_EQ(s.ev[fork_i].ppid, pid);
        ASSERT_EQ(ward_watch_count(w), 2);

        send_cmd(ctl[1], 'e');
        int exec_i = run_until(loop, &s, WARD_WATCH_EXEC, c);
        ASSERT_STREQ(s.ev[exec_i].comm, "cat");
        ASSERT_TRUE(strstr(s.exe[exec_i], "/cat") != NULL);
        ASSERT_EQ(s.ev[exec_i].ppid, pid);

        send_cmd(ctl[1], 'x');
        int exit_c = run_until(loop, &s, WARD_WATCH_EXIT, c);
        ASSERT_STREQ(s.ev[exit_c].comm, "cat");
        if (backend != WARD_WATCH_BACKEND_PROC || s.ev[exit_c].status != -1) {
                /* the proc back-end knows it only if it saw the zombie */
                ASSERT_TRUE(WIFEXITED(s.ev[exit_c].status) &&
                            WEXITSTATUS(s.ev[exit_c].status) == 0);
        }
        ASSERT_EQ(proc_expect(rep[0], "reaped"), 0);

        send_cmd(ctl[1], 'q');
        int exit_p = run_until(loop, &s, WARD_WATCH_EXIT, pid);
        /* P is our child and not reaped yet: its zombie tells the status */
        ASSERT_TRUE(WIFEXITED(s.ev[exit_p].status) && WEXITSTATUS(s.ev[exit_p].status) == 3);

        ASSERT_TRUE(fork_i < exec_i && exec_i < exit_c && exit_c < exit_p);
        ASSERT_EQ(seen_count(&s, WARD_WATCH_EXIT, c), 1);
        ASSERT_EQ(seen_count(&s, WARD_WATCH_FORK, c), 1);
        ASSERT_EQ(ward_watch_count(w), 0);
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, &st));
        ASSERT_EQ(st.code, 3);
        ward_watch_free(w);
        ward_proc_free(p);
        ward_loop_free(loop);
        close(ctl[0]);
        close(ctl[1]);
        close(rep[0]);
        close(rep[1]);
}

#endif
