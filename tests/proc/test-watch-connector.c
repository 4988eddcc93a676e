/* ward_watch with the netlink process connector: fork, exec and exit of a
 * tree in order; everything of the system; lost events (an overflowing
 * socket) survived by a rescan. Needs CAP_NET_ADMIN: skipped (77) without. */
#include <sys/socket.h>

#include "inspect/proc/watch-internal.h"
#include "watch-util.h"

static void ignore(const struct ward_watch_event *ev, void *arg)
{
        (void)ev, (void)arg;
}

/* need_connector: skip unless the kernel lets us listen */
static void need_connector(void)
{
        ward_loop *loop;
        ward_watch *w;
        struct ward_watch_options o = {.size = sizeof(o), .backend = WARD_WATCH_BACKEND_CONNECTOR};
        int self = getpid();
        o.pids = &self;
        o.n_pids = 1;
        ASSERT_OK(ward_loop_new(&loop));
        int r = ward_watch_new(loop, &o, ignore, NULL, &w);
        if (r == 0) {
                ward_watch_free(w); /* before its loop */
        }
        ward_loop_free(loop);
        if (r == -EPERM || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP) {
                SKIP("the process connector refuses us (%s): it needs CAP_NET_ADMIN in the "
                     "initial user and pid namespaces",
                     ward_strerror(r));
        }
        ASSERT_OK(r);
}

TEST(tree_with_connector)
{
        need_connector();
        watch_tree(WARD_WATCH_BACKEND_CONNECTOR, 0);
}

TEST(everything)
{
        static struct seen s;
        ward_loop *loop;
        ward_watch *w;
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ASSERT_OK(ward_loop_new(&loop));
        struct ward_watch_options o = {.size = sizeof(o), .backend = WARD_WATCH_BACKEND_AUTO};
        ASSERT_OK(ward_watch_new(loop, &o, seen_record, &s, &w));
        ASSERT_EQ(ward_watch_backend(w), WARD_WATCH_BACKEND_CONNECTOR);
        ASSERT_TRUE(w->timer == NULL); /* the kernel tells: no rescans */
        ASSERT_TRUE(ward_watch_count(w) > 1);
        ward_proc *p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        int pid = ward_proc_pid(p);
        ASSERT_EQ(proc_expect(rep[0], "ready"), pid);
        int f = run_until(loop, &s, WARD_WATCH_FORK, pid);
        ASSERT_EQ(s.ev[f].ppid, getpid());
        int e = run_until(loop, &s, WARD_WATCH_EXEC, pid);
        ASSERT_STREQ(s.ev[e].comm, "exe"); /* it runs /proc/self/exe */
        ASSERT_OK(ward_proc_stop(p, PROC_PATIENCE_NS, NULL));
        int x = run_until(loop, &s, WARD_WATCH_EXIT, pid);
        ASSERT_EQ(s.ev[x].status, SIGTERM);
        ASSERT_TRUE(f < e && e < x);
        ASSERT_TRUE(s.ev[f].ns <= s.ev[e].ns && s.ev[e].ns <= s.ev[x].ns);
        ASSERT_TRUE(s.ev[x].ns <= ward_now_ns()); /* the kernel's clock is ward_now_ns's */
        ward_watch_free(w);
        ward_proc_free(p);
        ward_loop_free(loop);
        close(rep[0]);
        close(rep[1]);
}

/* The socket made tiny and a burst of forks while the loop does not run:
 * the kernel drops events (ENOBUFS). The watcher says so (LOST), reads
 * /proc, and knows the survivor it may have missed the fork of; its exit
 * is told once. */
TEST(lost_events)
{
        static struct seen s;
        ward_loop *loop;
        ward_watch *w;
        int hold[2], self = getpid();
        ASSERT_SYS(pipe2(hold, O_CLOEXEC));
        ASSERT_OK(ward_loop_new(&loop));
        struct ward_watch_options o = {
            .size = sizeof(o), .backend = WARD_WATCH_BACKEND_CONNECTOR, .pids = &self, .n_pids = 1};
        ASSERT_OK(ward_watch_new(loop, &o, seen_record, &s, &w));
        int small = 0, fd = ward__watch_connector_fd(w);
        ASSERT_OK(fd);
        ASSERT_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
        for (int i = 0; i < 300; i++) {
                pid_t c = fork();
                ASSERT_SYS(c);
                if (c == 0) {
                        _exit(0);
                }
        }
        pid_t survivor = fork();
        ASSERT_SYS(survivor);
        if (survivor == 0) {
                char c;
                close(hold[1]);
                ssize_t r = read(hold[0], &c, 1); /* until the test closes its end */
                _exit(r == 0 ? 5 : 6);
        }
        for (int i = 0; i < 300; i++) {
                pid_t c = fork();
                ASSERT_SYS(c);
                if (c == 0) {
                        _exit(0);
                }
        }
        int st;
        for (int i = 0; i < 600; i++) { /* the burst (the survivor waits for us) */
                ASSERT_SYS(waitpid(-1, &st, 0));
        }
        uint64_t deadline = ward_now_ns() + PROC_PATIENCE_NS;
        while (seen_find(&s, WARD_WATCH_LOST, 0) < 0) {
                if (ward_now_ns() > deadline) {
                        TEST_FAIL("no LOST event after the burst (%d events)", s.n);
                }
                ASSERT_OK(ward_loop_run_once(loop, 100000000));
        }
        /* drain what is left, then the survivor must be known */
        while (ward_loop_run_once(loop, 0) > 0) {
        }
        int lost = seen_find(&s, WARD_WATCH_LOST, 0);
        int forked = seen_find(&s, WARD_WATCH_FORK, survivor);
        ASSERT_TRUE(forked >= 0); /* told by the kernel, or found by the rescan */
        if (forked > lost) {
                ASSERT_EQ(s.ev[forked].flags, WARD_WATCH_RESCANNED);
        }
        ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){1 << 20}, sizeof(int)));
        close(hold[1]);
        int x = run_until(loop, &s, WARD_WATCH_EXIT, survivor);
        ASSERT_TRUE(WIFEXITED(s.ev[x].status) && WEXITSTATUS(s.ev[x].status) == 5);
        ASSERT_EQ(waitpid(survivor, &st, 0), survivor);
        while (ward_loop_run_once(loop, 10000000) > 0) {
        }
        ASSERT_EQ(seen_count(&s, WARD_WATCH_EXIT, survivor), 1); /* not twice */
        ward_watch_free(w);
        ward_loop_free(loop);
        close(hold[0]);
}

TEST_MAIN()
