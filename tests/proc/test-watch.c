/* ward_watch with the pidfd and the /proc back-ends forced: fork, exec and
 * exit of a tree in order; an exit that is reaped before the watcher looks;
 * no timer when only exits of given pids are asked for; the choice without
 * CAP_NET_ADMIN; bad options. */
#include <linux/capability.h>

#include "inspect/proc/watch-internal.h"
#include "watch-util.h"

TEST(tree_with_pidfds)
{
        watch_tree(WARD_WATCH_BACKEND_PIDFD, 20000000);
}

TEST(tree_with_proc)
{
        watch_tree(WARD_WATCH_BACKEND_PROC, 20000000);
}

/* a child that ended and stays a zombie (its parent does not reap it) is
 * told once, however many rescans see its zombie */
static void lingering_zombie(enum ward_watch_backend backend)
{
        static struct watched t;
        watched_start(&t, backend, 5000000);
        send_cmd(t.ctl[1], 'z');
        int z = proc_expect(t.rep[0], "Z");
        int x = run_until(t.loop, &t.s, WARD_WATCH_EXIT, z);
        ASSERT_TRUE(WIFEXITED(t.s.ev[x].status) && WEXITSTATUS(t.s.ev[x].status) == 4);
        unsigned gen = t.w->gen;
        while (t.w->gen < gen + 5) { /* five more looks at the zombie */
                ASSERT_OK(ward_loop_run_once(t.loop, 100000000));
        }
        ASSERT_EQ(seen_count(&t.s, WARD_WATCH_EXIT, z), 1);
        ASSERT_TRUE(seen_count(&t.s, WARD_WATCH_FORK, z) <= 1); /* pidfd: maybe not seen alive */
        ASSERT_EQ(ward_watch_count(t.w), 1);                    /* P only */
        send_cmd(t.ctl[1], 'r');
        ASSERT_EQ(proc_expect(t.rep[0], "reaped"), 0);
        send_cmd(t.ctl[1], 'q');
        run_until(t.loop, &t.s, WARD_WATCH_EXIT, t.pid);
        ASSERT_EQ(seen_count(&t.s, WARD_WATCH_EXIT, z), 1);
        ASSERT_EQ(ward_watch_count(t.w), 0);
        ASSERT_OK(ward_proc_wait(t.p, UINT64_MAX, NULL));
        watched_end(&t);
}

TEST(lingering_zombie_with_proc)
{
        lingering_zombie(WARD_WATCH_BACKEND_PROC);
}

TEST(lingering_zombie_with_pidfds)
{
        lingering_zombie(WARD_WATCH_BACKEND_PIDFD);
}

/* an exit the parent reaped before the watcher looked: still told, with
 * the status when the kernel keeps it (6.15+), else -1 */
TEST(exit_after_reap)
{
        static struct seen s;
        int rep[2];
        ward_loop *loop;
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ASSERT_OK(ward_loop_new(&loop));
        ward_proc *p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        int pid = ward_proc_pid(p);
        ASSERT_EQ(proc_expect(rep[0], "ready"), pid);
        struct ward_watch_options o = {.size = sizeof(o),
                                       .backend = WARD_WATCH_BACKEND_PIDFD,
                                       .kinds = WARD_WATCH_EXIT,
                                       .flags = WARD_WATCH_NO_DESCENDANTS,
                                       .pids = &pid,
                                       .n_pids = 1};
        ward_watch *w;
        ASSERT_OK(ward_watch_new(loop, &o, seen_record, &s, &w));
        /* exits of given pids only: nothing to look for, no timer (idle costs nothing) */
        ASSERT_EQ(w->timer_armed, 0);
        ASSERT_EQ(ward_loop_run_once(loop, 0), 0);
        ASSERT_OK(syscall(SYS_pidfd_send_signal, ward_proc_pidfd(p), SIGKILL, NULL, 0));
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, NULL)); /* reaped before the watcher runs */
        int i = run_until(loop, &s, WARD_WATCH_EXIT, pid);
        ASSERT_TRUE(s.ev[i].status == SIGKILL || s.ev[i].status == -1);
        ASSERT_EQ(s.ev[i].flags, 0);
        ASSERT_EQ(ward_watch_count(w), 0);
        ward_watch_free(w);
        ward_proc_free(p);
        ward_loop_free(loop);
        close(rep[0]);
        close(rep[1]);
}

/* freeing the watcher from its own callback */
static void free_on_first(const struct ward_watch_event *ev, void *arg)
{
        ward_watch **w = arg;
        (void)ev;
        *w = ward_watch_free(*w);
}

TEST(free_from_callback)
{
        ward_loop *loop;
        int pids[2], rep[2];
        ward_proc *p[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ASSERT_OK(ward_loop_new(&loop));
        for (int i = 0; i < 2; i++) {
                p[i] = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
                pids[i] = ward_proc_pid(p[i]);
                ASSERT_EQ(proc_expect(rep[0], "ready"), pids[i]);
        }
        struct ward_watch_options o = {.size = sizeof(o),
                                       .backend = WARD_WATCH_BACKEND_PROC,
                                       .pids = pids,
                                       .n_pids = 2,
                                       .rescan_ns = 10000000};
        ward_watch *w;
        ASSERT_OK(ward_watch_new(loop, &o, free_on_first, &w, &w));
        for (int i = 0; i < 2; i++) { /* both end before the next rescan: two exits at once */
                ASSERT_OK(ward_proc_stop(p[i], PROC_PATIENCE_NS, NULL));
        }
        uint64_t deadline = ward_now_ns() + PROC_PATIENCE_NS;
        while (w && ward_now_ns() < deadline) {
                ASSERT_OK(ward_loop_run_once(loop, 100000000));
        }
        ASSERT_TRUE(w == NULL);
        ASSERT_OK(ward_loop_run_once(loop, 30000000)); /* nothing left to fire */
        for (int i = 0; i < 2; i++) {
                ward_proc_free(p[i]);
        }
        ward_loop_free(loop);
        close(rep[0]);
        close(rep[1]);
}

/* without CAP_NET_ADMIN the connector refuses: forced, that is the error;
 * automatic, the pidfd back-end takes over (the /proc one without pids) */
TEST(choice_without_cap_net_admin)
{
        pid_t child = fork();
        ASSERT_SYS(child);
        if (child == 0) {
                struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
                struct __user_cap_data_struct d[2];
                if (syscall(SYS_capget, &h, d) < 0) {
                        _exit(10);
                }
                d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
                if (syscall(SYS_capset, &h, d) < 0) {
                        _exit(11);
                }
                ward_loop *loop;
                ward_watch *w;
                int self = getpid();
                struct seen *s = calloc(1, sizeof(*s));
                struct ward_watch_options o = {.size = sizeof(o),
                                               .backend = WARD_WATCH_BACKEND_CONNECTOR,
                                               .pids = &self,
                                               .n_pids = 1};
                if (!s || ward_loop_new(&loop) < 0) {
                        _exit(12);
                }
                if (ward_watch_new(loop, &o, seen_record, s, &w) != -EPERM) {
                        _exit(13);
                }
                o.backend = WARD_WATCH_BACKEND_AUTO;
                if (ward_watch_new(loop, &o, seen_record, s, &w) < 0 ||
                    ward_watch_backend(w) != WARD_WATCH_BACKEND_PIDFD) {
                        _exit(14);
                }
                ward_watch_free(w);
                o.n_pids = 0;
                if (ward_watch_new(loop, &o, seen_record, s, &w) < 0 ||
                    ward_watch_backend(w) != WARD_WATCH_BACKEND_PROC) {
                        _exit(15);
                }
                ward_watch_free(w);
                ward_loop_free(loop);
                free(s);
                _exit(0);
        }
        int st;
        ASSERT_EQ(waitpid(child, &st, 0), child);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
}

static void ignore(const struct ward_watch_event *ev, void *arg)
{
        (void)ev, (void)arg;
}

TEST(bad_options)
{
        ward_loop *loop;
        ward_watch *w;
        int bad = 0, gone = 0x3fffff, self = getpid();
        ASSERT_OK(ward_loop_new(&loop));
        struct ward_watch_options o = {.size = sizeof(o), .backend = WARD_WATCH_BACKEND_PIDFD};
        ASSERT_ERRNO(ward_watch_new(loop, &o, ignore, NULL, &w), EINVAL); /* pidfd: no pids */
        o.backend = 17;
        ASSERT_ERRNO(ward_watch_new(loop, &o, ignore, NULL, &w), EINVAL);
        o.backend = WARD_WATCH_BACKEND_PROC;
        o.kinds = 1u << 20;
        ASSERT_ERRNO(ward_watch_new(loop, &o, ignore, NULL, &w), EINVAL);
        o.kinds = 0;
        o.pids = &bad;
        o.n_pids = 1;
        ASSERT_ERRNO(ward_watch_new(loop, &o, ignore, NULL, &w), EINVAL);
        o.pids = &gone;
        ASSERT_ERRNO(ward_watch_new(loop, &o, ignore, NULL, &w), ESRCH);
        o.pids = &self;
        o.size = 8;
        ASSERT_ERRNO(ward_watch_new(loop, &o, ignore, NULL, &w), EINVAL);
        o.size = sizeof(o);
        ASSERT_ERRNO(ward_watch_new(NULL, &o, ignore, NULL, &w), EINVAL);
        ASSERT_ERRNO(ward_watch_new(loop, &o, NULL, NULL, &w), EINVAL);
        ASSERT_OK(ward_watch_new(loop, &o, ignore, NULL, &w));
        ASSERT_ERRNO(ward_watch_add_pid(w, gone), ESRCH);
        ASSERT_ERRNO(ward_watch_add_pid(w, -1), EINVAL);
        ASSERT_OK(ward_watch_add_pid(w, self)); /* already: nothing to do */
        ASSERT_STREQ(ward_watch_backend_name(ward_watch_backend(w)), "proc");
        ASSERT_STREQ(ward_watch_kind_name(WARD_WATCH_LOST), "lost");
        ASSERT_TRUE(ward_watch_kind_name((enum ward_watch_kind)3) == NULL);
        ward_watch_free(w);
        ward_loop_free(loop);
}

TEST_MAIN()
