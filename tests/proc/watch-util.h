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

/* A watched helper: the "watch" helper process, its command and report
 * pipes, a loop and a watcher of it (backend forced, rescan_ns for
 * rescans) recording into s. */
struct watched {
        struct seen s;
        int ctl[2], rep[2];
        ward_loop *loop;
        ward_proc *p;
        int pid;
        ward_watch *w;
};

static inline void watched_start(struct watched *t, enum ward_watch_backend backend,
                                 uint64_t rescan_ns)
{
        memset(t, 0, sizeof(*t));
        ASSERT_SYS(pipe2(t->ctl, O_CLOEXEC));
        ASSERT_SYS(pipe2(t->rep, O_CLOEXEC));
        ASSERT_OK(ward_loop_new(&t->loop));
        t->p = proc_spawn_helper("watch", t->rep[1], t->ctl[0], 0, NULL);
        t->pid = ward_proc_pid(t->p);
        struct ward_watch_options o = {.size = sizeof(o),
                                       .backend = backend,
                                       .pids = &t->pid,
                                       .n_pids = 1,
                                       .rescan_ns = rescan_ns};
        ASSERT_OK(ward_watch_new(t->loop, &o, seen_record, &t->s, &t->w));
}

/* watched_end: free what watched_start made (the helper has been waited for) */
static inline void watched_end(struct watched *t)
{
        ward_watch_free(t->w);
        ward_proc_free(t->p);
        ward_loop_free(t->loop);
        close(t->ctl[0]);
        close(t->ctl[1]);
        close(t->rep[0]);
        close(t->rep[1]);
}

/* watch_tree: the helper's tree watched with backend (forced); checks that
 * fork, exec and exits are seen in order. rescan_ns: for rescans. */
static inline void watch_tree(enum ward_watch_backend backend, uint64_t rescan_ns)
{
        static struct watched t;
        watched_start(&t, backend, rescan_ns);
        ASSERT_EQ(ward_watch_backend(t.w), backend);
        ASSERT_EQ(ward_watch_count(t.w), 1);

        send_cmd(t.ctl[1], 'f');
        int c = proc_expect(t.rep[0], "C");
        int fork_i = run_until(t.loop, &t.s, WARD_WATCH_FORK, c);
        ASSERT_EQ(t.s.ev[fork_i].ppid, t.pid);
        ASSERT_EQ(ward_watch_count(t.w), 2);

        send_cmd(t.ctl[1], 'e');
        int exec_i = run_until(t.loop, &t.s, WARD_WATCH_EXEC, c);
        ASSERT_STREQ(t.s.ev[exec_i].comm, "cat");
        ASSERT_TRUE(strstr(t.s.exe[exec_i], "/cat") != NULL);
        ASSERT_EQ(t.s.ev[exec_i].ppid, t.pid);

        send_cmd(t.ctl[1], 'x');
        int exit_c = run_until(t.loop, &t.s, WARD_WATCH_EXIT, c);
        ASSERT_STREQ(t.s.ev[exit_c].comm, "cat");
        if (backend != WARD_WATCH_BACKEND_PROC || t.s.ev[exit_c].status != -1) {
                /* the proc back-end knows it only if it saw the zombie */
                ASSERT_TRUE(WIFEXITED(t.s.ev[exit_c].status) &&
                            WEXITSTATUS(t.s.ev[exit_c].status) == 0);
        }
        ASSERT_EQ(proc_expect(t.rep[0], "reaped"), 0);

        send_cmd(t.ctl[1], 'q');
        int exit_p = run_until(t.loop, &t.s, WARD_WATCH_EXIT, t.pid);
        /* P is our child and not reaped yet: its zombie tells the status */
        ASSERT_TRUE(WIFEXITED(t.s.ev[exit_p].status) && WEXITSTATUS(t.s.ev[exit_p].status) == 3);

        ASSERT_TRUE(fork_i < exec_i && exec_i < exit_c && exit_c < exit_p);
        ASSERT_EQ(seen_count(&t.s, WARD_WATCH_EXIT, c), 1);
        ASSERT_EQ(seen_count(&t.s, WARD_WATCH_FORK, c), 1);
        ASSERT_EQ(ward_watch_count(t.w), 0);
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_wait(t.p, UINT64_MAX, &st));
        ASSERT_EQ(st.code, 3);
        watched_end(&t);
}

#endif
