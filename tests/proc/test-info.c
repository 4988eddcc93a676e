/* ward_proc_info and `ward info` / `ward ps` against real processes: the
 * values match what ps(1) says of the same process, a process that is gone
 * is -ESRCH (exit 2 from the command), a zombie is a zombie, and the ward
 * column knows a tracing process. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/proc.h>
#include <ward/trace.h>

#include "test-run.h"
#include "test.h"

static void *idle_thread(void *arg)
{
        (void)arg;
        pause();
        return NULL;
}

/* start_child: a process with 3 threads at nice 5, named "info-child" */
static pid_t start_child(void)
{
        int ready[2];
        char c = 0;
        ASSERT_EQ(pipe(ready), 0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                pthread_t t;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                prctl(PR_SET_NAME, "info-child");
                setpriority(PRIO_PROCESS, 0, 5);
                pthread_create(&t, NULL, idle_thread, NULL);
                pthread_create(&t, NULL, idle_thread, NULL);
                if (write(ready[1], &c, 1) != 1) {
                        _exit(1);
                }
                pause();
                _exit(0);
        }
        close(ready[1]);
        ASSERT_EQ(read(ready[0], &c, 1), 1);
        close(ready[0]);
        return pid;
}

/* ps_field: `ps -o FIELD= -p pid` as a number */
static long ps_field(pid_t pid, const char *field)
{
        char cmd[128], out[64] = "";
        snprintf(cmd, sizeof(cmd), "ps -o %s= -p %d", field, (int)pid);
        FILE *p = popen(cmd, "r");
        ASSERT_TRUE(p != NULL);
        ASSERT_TRUE(fgets(out, sizeof(out), p) != NULL);
        pclose(p);
        return strtol(out, NULL, 10);
}

TEST(info_matches_ps)
{
        if (access("/usr/bin/ps", X_OK) != 0 && access("/bin/ps", X_OK) != 0) {
                SKIP("procps (ps) is not installed: nothing to compare with");
        }
        pid_t pid = start_child();
        struct ward_proc_info p;
        ASSERT_OK(ward_proc_info(pid, WARD_PROC_ALL, &p));
        ASSERT_EQ(p.pid, pid);
        ASSERT_EQ(p.ppid, ps_field(pid, "ppid"));
        ASSERT_EQ(p.ppid, getpid());
        ASSERT_EQ(p.nthreads, ps_field(pid, "nlwp"));
        ASSERT_TRUE(p.nthreads >= 3); /* a sanitizer may add threads of its own */
        ASSERT_EQ(p.nthread_list, (size_t)p.nthreads);
        ASSERT_EQ(p.nice, ps_field(pid, "ni"));
        ASSERT_EQ(p.nice, 5);
        ASSERT_EQ(p.pgid, ps_field(pid, "pgid"));
        ASSERT_EQ(p.sid, ps_field(pid, "sid"));
        ASSERT_STREQ(p.comm, "info-child");
        ASSERT_EQ(p.uid, (int)getuid());
        ASSERT_TRUE(p.exe != NULL && strstr(p.exe, "test-proc-info") != NULL);
        ASSERT_TRUE(p.cmdline != NULL && strstr(p.cmdline, "test-proc-info") != NULL);
        ASSERT_TRUE(p.pss > 0 && p.private_mem > 0 && p.pss <= p.rss);
        ASSERT_TRUE(p.nfds >= 3);
        uint64_t now = (uint64_t)time(NULL) * 1000000000ull;
        ASSERT_TRUE(p.start_ns <= now + 2000000000ull && p.start_ns + 600000000000ull > now);
        ward_proc_info_free(&p);

        /* memory: the child settles after its threads start; then both agree */
        long ours = -1, theirs = -2, vsz = -1, their_vsz = -2;
        for (int i = 0; i < 100 && (ours != theirs || vsz != their_vsz); i++) {
                struct ward_proc_info q;
                usleep(10000);
                ASSERT_OK(ward_proc_info(pid, WARD_PROC_BASIC, &q));
                theirs = ps_field(pid, "rss");
                their_vsz = ps_field(pid, "vsz");
                ours = (long)(q.rss / 1024);
                vsz = (long)(q.vm_size / 1024);
                ward_proc_info_free(&q);
        }
        ASSERT_EQ(ours, theirs);
        ASSERT_EQ(vsz, their_vsz);

        struct ward_proc_info me;
        ASSERT_OK(ward_proc_info(getpid(), WARD_PROC_CHILDREN, &me));
        int found = 0;
        for (size_t i = 0; i < me.nchildren; i++) {
                found |= me.children[i] == pid;
        }
        ASSERT_TRUE(found);
        ward_proc_info_free(&me);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST(gone_and_zombie)
{
        pid_t pid = start_child();
        struct ward_proc_info p;
        kill(pid, SIGKILL);
        siginfo_t si;
        ASSERT_SYS(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT)); /* a zombie now */
        ASSERT_OK(ward_proc_info(pid, WARD_PROC_BASIC, &p));
        ASSERT_EQ(p.state, 'Z');
        ward_proc_info_free(&p);
        waitpid(pid, NULL, 0);
        ASSERT_EQ(ward_proc_info(pid, WARD_PROC_ALL, &p), -ESRCH);
        ward_proc_info_free(&p);
        ASSERT_EQ(ward_proc_info(-1, 0, &p), -EINVAL);
}

TEST(ward_info_and_ps_commands)
{
        static char out[1 << 20];
        char pidtext[16];
        pid_t pid = start_child();
        snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
        const char *info[] = {"info", "--json", pidtext, NULL};
        ASSERT_EQ(test_run_ward(info, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "\"comm\":\"info-child\"") && strstr(out, "\"threads\":"));
        const char *ps[] = {"ps", "--tree", NULL};
        ASSERT_EQ(test_run_ward(ps, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "  info-child\n") != NULL); /* indented under this test */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        const char *gone[] = {"info", pidtext, NULL};
        ASSERT_EQ(test_run_ward(gone, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "no such process") != NULL);
        const char *bad[] = {"info", "12x", NULL};
        ASSERT_EQ(test_run_ward(bad, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "'12x'") != NULL);
}

/* A process that traces shows up as traced in `ward ps --ward`, and its
 * stale file after it died does not make another process traced. */
TEST(ward_column_knows_a_tracing_process)
{
        static char out[1 << 20];
        int ready[2];
        char c = 0, line[64];
        ASSERT_EQ(pipe(ready), 0);
        pid_t pid = fork();
        if (pid == 0) {
                struct ward_trace_options o = {.size = sizeof(o), .dir = "/tmp"};
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (ward_trace_start(&o) < 0 || write(ready[1], &c, 1) != 1) {
                        _exit(1);
                }
                pause();
                _exit(0);
        }
        close(ready[1]);
        ASSERT_EQ(read(ready[0], &c, 1), 1);
        struct ward_proc_info p;
        ASSERT_OK(ward_proc_info(pid, WARD_PROC_WARD, &p));
        ASSERT_TRUE(p.ward & WARD_PROC_TRACES);
        ward_proc_info_free(&p);
        const char *ps[] = {"ps", "--ward", "--json", NULL};
        ASSERT_EQ(test_run_ward(ps, NULL, -1, out, sizeof(out)), 0);
        snprintf(line, sizeof(line), "{\"pid\":%d,", (int)pid);
        char *row = strstr(out, line);
        ASSERT_TRUE(row != NULL);
        ASSERT_TRUE(strstr(row, "\"ward\":\"traced\"") < strchr(row, '\n'));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        snprintf(line, sizeof(line), "/dev/shm/ward-trace.%d", (int)pid);
        unlink(line);
}

TEST_MAIN()
