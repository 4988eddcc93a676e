/* ward_proc_stop and ward_proc_stop_tree without a cgroup: SIGTERM, the
 * grace, SIGKILL; a tree whose root and one escapee ignore SIGTERM, with a
 * child that called setsid(), is all gone afterwards, and a process outside
 * it is untouched. */
#include "proc-util.h"

TEST(stop_ignoring_sigterm)
{
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("ignore-term", rep[1], -1, 0, NULL);
        ASSERT_EQ(proc_expect(rep[0], "ready"), ward_proc_pid(p)); /* SIG_IGN is set */
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop(p, 50000000, &st));
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED);
        ASSERT_EQ(st.code, SIGKILL);
        ASSERT_EQ(st.killed, 1);
        ASSERT_TRUE(proc_gone(ward_proc_pidfd(p)));
        /* stopping it again: nothing sent, the same answer */
        ASSERT_OK(ward_proc_stop(p, 0, &st));
        ASSERT_EQ(st.code, SIGKILL);
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(stop_polite)
{
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        ASSERT_EQ(proc_expect(rep[0], "ready"), ward_proc_pid(p));
        /* a stopped process still ends at SIGTERM (stop sends SIGCONT) */
        ASSERT_OK(syscall(SYS_pidfd_send_signal, ward_proc_pidfd(p), SIGSTOP, NULL, 0));
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop(p, PROC_PATIENCE_NS, &st));
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED);
        ASSERT_EQ(st.code, SIGTERM);
        ASSERT_EQ(st.killed, 0);
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(stop_tree_by_group_and_proc)
{
        static const char *const names[] = {"P", "A", "B", "B1"};
        int pids[4], fds[4], rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        /* a bystander: a process of ours outside the tree */
        ward_proc *other = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        ASSERT_EQ(proc_expect(rep[0], "ready"), ward_proc_pid(other));

        ward_proc *p = proc_spawn_helper("tree", rep[1], -1,
                                         WARD_PROC_SPAWN_NEW_PGROUP | WARD_PROC_SPAWN_CGROUP, NULL);
        proc_read_named(rep[0], names, pids, 4);
        ASSERT_EQ(pids[0], ward_proc_pid(p));
        for (int i = 0; i < 4; i++) {
                fds[i] = proc_pidfd(pids[i]);
        }
        /* B left the group: killpg alone would not reach B and B1 */
        ASSERT_TRUE(getpgid(pids[2]) == pids[2] && getsid(pids[2]) == pids[2]);
        ASSERT_EQ(getsid(pids[3]), pids[2]);

        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop_tree(p, 100000000, WARD_PROC_TREE_NO_CGROUP, &st));
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED);
        ASSERT_EQ(st.code, SIGKILL); /* P ignores SIGTERM */
        ASSERT_EQ(st.killed, 1);
        ASSERT_EQ(st.others, 3);
        for (int i = 0; i < 4; i++) {
                if (!proc_gone(fds[i])) {
                        TEST_FAIL("%s (%d) is still there", names[i], pids[i]);
                }
                close(fds[i]);
        }
        ASSERT_TRUE(!proc_gone(ward_proc_pidfd(other)));
        ASSERT_OK(ward_proc_stop(other, PROC_PATIENCE_NS, &st));
        ASSERT_EQ(st.killed, 0);
        ward_proc_free(other);
        ward_proc_free(p); /* its cgroup, if it had one, is empty and removed */
        close(rep[0]);
        close(rep[1]);
}

TEST(stop_tree_of_an_opened_process)
{
        static const char *const names[] = {"P", "A", "B", "B1"};
        int pids[4], fds[4], rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *spawned = proc_spawn_helper("tree", rep[1], -1, 0, NULL); /* no group */
        proc_read_named(rep[0], names, pids, 4);
        for (int i = 0; i < 4; i++) {
                fds[i] = proc_pidfd(pids[i]);
        }
        ward_proc *p;
        ASSERT_OK(ward_proc_open(pids[0], &p));
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop_tree(p, 50000000, 0, &st));
        ASSERT_EQ(st.killed, 1);
        ASSERT_EQ(st.others, 3);
        for (int i = 0; i < 4; i++) {
                ASSERT_TRUE(proc_gone(fds[i]));
                close(fds[i]);
        }
        ASSERT_TRUE(getpgid(0) == getpgrp()); /* our own group was not signalled: we are here */
        ward_proc_free(p);
        ward_proc_free(spawned);
        close(rep[0]);
        close(rep[1]);
}

TEST_MAIN()
