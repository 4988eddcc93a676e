/* ward_proc_stop_tree with a cgroup of its own: a tree with a daemon that
 * left it (setsid, and its parent exited: no parent chain leads to it) is
 * all gone afterwards, and the cgroup leaf is removed. Needs a writable
 * cgroup v2 hierarchy: skipped (77) without. */
#include <sys/stat.h>

#include "proc-util.h"

TEST(stop_tree_by_cgroup)
{
        static const char *const names[] = {"P", "A", "B1"};
        static const char *const daemon_env[] = {"WARD_PROC_DAEMON=1", NULL};
        int pids[3], fds[3], rep[2];
        char leaf[4096];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("tree", rep[1], -1, WARD_PROC_SPAWN_CGROUP, daemon_env);
        if (!ward_proc_cgroup(p)) {
                ward_proc_stop_tree(p, 0, 0, NULL);
                ward_proc_free(p);
                SKIP("needs a writable cgroup v2 hierarchy (cgroup2 at /sys/fs/cgroup or "
                     "/sys/fs/cgroup/unified, our cgroup's directory writable)");
        }
        snprintf(leaf, sizeof(leaf), "%s", ward_proc_cgroup(p));
        ASSERT_TRUE(strstr(leaf, "/ward-") != NULL);
        proc_read_named(rep[0], names, pids, 3);
        for (int i = 0; i < 3; i++) {
                fds[i] = proc_pidfd(pids[i]);
        }
        /* the daemon hangs below init (or a subreaper) now, still in the cgroup */
        struct stat st_leaf;
        ASSERT_SYS(stat(leaf, &st_leaf));
        char procs[4200], text[1024];
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", leaf);
        FILE *f = fopen(procs, "r");
        ASSERT_TRUE(f != NULL);
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        char want[32];
        snprintf(want, sizeof(want), "%d\n", pids[2]);
        ASSERT_TRUE(strstr(text, want) != NULL);

        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop_tree(p, 100000000, 0, &st));
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED);
        ASSERT_EQ(st.killed, 1); /* P and B1 ignore SIGTERM: cgroup.kill */
        /* A and B1, and B if it had not yet exited */
        ASSERT_TRUE(st.others == 2 || st.others == 3);
        for (int i = 0; i < 3; i++) {
                if (!proc_gone(fds[i])) {
                        TEST_FAIL("%s (%d) is still there", names[i], pids[i]);
                }
                close(fds[i]);
        }
        ASSERT_TRUE(ward_proc_cgroup(p) == NULL);
        ASSERT_TRUE(stat(leaf, &st_leaf) < 0 && errno == ENOENT);
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(cgroup_of_a_polite_process)
{
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("polite", rep[1], -1, WARD_PROC_SPAWN_CGROUP, NULL);
        ASSERT_TRUE(ward_proc_cgroup(p) != NULL);
        ASSERT_EQ(proc_expect(rep[0], "ready"), ward_proc_pid(p));
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop_tree(p, PROC_PATIENCE_NS, 0, &st));
        ASSERT_EQ(st.code, SIGTERM);
        ASSERT_EQ(st.killed, 0);
        ASSERT_EQ(st.others, 0);
        ASSERT_TRUE(ward_proc_cgroup(p) == NULL);
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST_MAIN()
