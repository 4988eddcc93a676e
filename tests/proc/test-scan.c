/* The /proc walks of src/inspect/proc/scan.h on a real tree: children by
 * parent pid, descendants by parent chains (B called setsid() and is found
 * all the same), the stat of a tree through the children files. */
#include "inspect/proc/scan.h"
#include "proc-util.h"

static int has(const int *v, int n, int pid)
{
        for (int i = 0; i < n; i++) {
                if (v[i] == pid) {
                        return 1;
                }
        }
        return 0;
}

TEST(walks)
{
        static const char *const names[] = {"P", "A", "B", "B1"};
        int pids[4], rep[2], *v;
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("tree", rep[1], -1, 0, NULL);
        proc_read_named(rep[0], names, pids, 4);

        int n = ward__proc_children(pids[0], &v);
        ASSERT_EQ(n, 2);
        ASSERT_TRUE(has(v, n, pids[1]) && has(v, n, pids[2]));
        free(v);

        n = ward__proc_descendants(pids[0], &v);
        ASSERT_EQ(n, 3);
        ASSERT_TRUE(has(v, n, pids[1]) && has(v, n, pids[2]) && has(v, n, pids[3]));
        for (int i = 0; i < n; i++) { /* parents first */
                if (v[i] == pids[3]) {
                        ASSERT_TRUE(has(v, i, pids[2]));
                }
        }
        free(v);
        ASSERT_EQ(ward__proc_children(pids[3], &v), 0);
        ASSERT_TRUE(v == NULL);

        struct ward__pstat *s;
        size_t count;
        int r = ward__proc_scan_tree(&pids[0], 1, &s, &count);
        if (r != -EOPNOTSUPP) {
                ASSERT_EQ(r, 4);
                for (size_t i = 0; i < count; i++) {
                        ASSERT_TRUE(has(pids, 4, s[i].pid));
                        ASSERT_TRUE(i == 0 || s[i - 1].pid < s[i].pid); /* sorted */
                        if (s[i].pid == pids[3]) {
                                ASSERT_EQ(s[i].ppid, pids[2]);
                                ASSERT_EQ(s[i].sid, pids[2]);
                        }
                }
                free(s);
        }
        ASSERT_OK(ward__proc_scan(&s, &count));
        ASSERT_TRUE(count >= 5);
        free(s);

        ASSERT_OK(ward_proc_stop_tree(p, 0, 0, NULL));
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST_MAIN()
