/* ward_proc_spawn's options (environment, working directory, kept and closed
 * fds, process group, /dev/null stdio), exec failures, waiting, holding an
 * existing process, nice values. */
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "proc-util.h"

/* run_sh: run `sh -c script` with out_fd kept (as the script's $OUT); its
 * output on that fd into buf; returns its exit code */
static int run_sh(const char *script, char *const *envp, const char *cwd, uint32_t flags,
                  const int *extra_keep, size_t n_extra, char *buf, size_t size)
{
        int out[2];
        ASSERT_SYS(pipe2(out, O_CLOEXEC));
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "OUT=%d; %s", out[1], script);
        char *argv[] = {"sh", "-c", cmd, NULL};
        int keep[8] = {out[1]};
        for (size_t i = 0; i < n_extra; i++) {
                keep[1 + i] = extra_keep[i];
        }
        struct ward_proc_spawn_options o = {
            .size = sizeof(o),
            .flags = flags,
            .argv = argv,
            .envp = envp,
            .cwd = cwd,
            .keep_fds = keep,
            .n_keep_fds = 1 + n_extra,
        };
        ward_proc *p;
        ASSERT_OK(ward_proc_spawn(&o, &p));
        close(out[1]);
        size_t n = 0;
        ssize_t r;
        while (n + 1 < size && (r = read(out[0], buf + n, size - 1 - n)) > 0) {
                n += (size_t)r;
        }
        buf[n] = '\0';
        close(out[0]);
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, &st));
        ASSERT_EQ(st.how, WARD_PROC_EXITED);
        ASSERT_EQ(st.killed, 0);
        ward_proc_free(p);
        return st.code;
}

TEST(environment)
{
        char out[256];
        char *env[] = {"WARD_TEST_VALUE=forty two", "PATH=/usr/bin:/bin", NULL};
        ASSERT_EQ(run_sh("echo \"$WARD_TEST_VALUE|${HOME-unset}\" >&$OUT", env, NULL, 0, NULL, 0,
                         out, sizeof(out)),
                  0);
        ASSERT_STREQ(out, "forty two|unset\n");
        /* NULL: ours */
        setenv("WARD_TEST_INHERITED", "yes", 1);
        ASSERT_EQ(run_sh("echo \"$WARD_TEST_INHERITED\" >&$OUT", NULL, NULL, 0, NULL, 0, out,
                         sizeof(out)),
                  0);
        ASSERT_STREQ(out, "yes\n");
}

TEST(working_directory)
{
        char out[PATH_MAX + 2];
        ASSERT_EQ(run_sh("pwd >&$OUT", NULL, "/proc/self/..", 0, NULL, 0, out, sizeof(out)), 0);
        ASSERT_STREQ(out, "/proc\n");
        /* a directory that is not there: the child says so, nothing is left */
        char *argv[] = {"true", NULL};
        struct ward_proc_spawn_options o = {
            .size = sizeof(o), .argv = argv, .cwd = "/nonexistent/ward"};
        ward_proc *p = NULL;
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), ENOENT);
        ASSERT_TRUE(p == NULL);
        ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

TEST(kept_and_closed_fds)
{
        char out[256], script[256];
        int kept = dup(2), closed = dup(2); /* neither is close-on-exec */
        ASSERT_TRUE(kept > 2 && closed > 2);
        snprintf(script, sizeof(script),
                 "for fd in %d %d; do if [ -e /proc/$$/fd/$fd ]; then echo open; else echo closed; "
                 "fi; done >&$OUT",
                 kept, closed);
        ASSERT_EQ(run_sh(script, NULL, NULL, 0, &kept, 1, out, sizeof(out)), 0);
        ASSERT_STREQ(out, "open\nclosed\n");
        close(kept);
        close(closed);
        /* a fd that is not open cannot be kept */
        char *argv[] = {"true", NULL};
        int bad = 1000;
        struct ward_proc_spawn_options o = {
            .size = sizeof(o), .argv = argv, .keep_fds = &bad, .n_keep_fds = 1};
        ward_proc *p;
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), EBADF);
}

TEST(null_stdio)
{
        char out[256];
        /* stdin at EOF and stdout not ours: /dev/null */
        ASSERT_EQ(run_sh("if read x; then echo data; else echo eof; fi >&$OUT; "
                         "x=$(readlink /proc/$$/fd/1); echo \"$x\" >&$OUT",
                         NULL, NULL, WARD_PROC_SPAWN_NULL_STDIO, NULL, 0, out, sizeof(out)),
                  0);
        ASSERT_STREQ(out, "eof\n/dev/null\n");
}

TEST(process_group)
{
        char out[256], want[64];
        int out_pipe[2];
        ASSERT_SYS(pipe2(out_pipe, O_CLOEXEC));
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "cut -d' ' -f5 /proc/$$/stat >&%d", out_pipe[1]);
        char *argv[] = {"sh", "-c", cmd, NULL};
        struct ward_proc_spawn_options o = {.size = sizeof(o),
                                            .flags = WARD_PROC_SPAWN_NEW_PGROUP,
                                            .argv = argv,
                                            .keep_fds = &out_pipe[1],
                                            .n_keep_fds = 1};
        ward_proc *p;
        ASSERT_OK(ward_proc_spawn(&o, &p));
        close(out_pipe[1]);
        ssize_t n = read(out_pipe[0], out, sizeof(out) - 1);
        ASSERT_TRUE(n > 0);
        out[n] = '\0';
        snprintf(want, sizeof(want), "%d\n", ward_proc_pid(p));
        ASSERT_STREQ(out, want); /* its group is its own */
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, NULL));
        close(out_pipe[0]);
        ward_proc_free(p);
}

TEST(exec_failures)
{
        ward_proc *p = NULL;
        char *missing[] = {"ward-no-such-program-anywhere", NULL};
        struct ward_proc_spawn_options o = {.size = sizeof(o), .argv = missing};
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), ENOENT);
        char file[] = "/tmp/ward-test-spawn-XXXXXX";
        int fd = mkstemp(file);
        ASSERT_SYS(fd);
        ASSERT_EQ(write(fd, "\x01\x02 not a program\n", 18), 18);
        close(fd);
        char *notexec[] = {file, NULL};
        o.argv = notexec;
        ASSERT_SYS(chmod(file, 0644)); /* not executable: even root may not run it */
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), EACCES);
        ASSERT_SYS(chmod(file, 0755)); /* executable, but no format the kernel knows */
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), ENOEXEC);
        unlink(file);
        char *dir[] = {"/", NULL};
        o.argv = dir;
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), EACCES);
        ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD); /* none left */
        o.argv = NULL;
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), EINVAL);
        o.argv = missing;
        o.size = 8;
        ASSERT_ERRNO(ward_proc_spawn(&o, &p), EINVAL);
        ASSERT_ERRNO(ward_proc_spawn(NULL, &p), EINVAL);
}

TEST(exit_status_and_signals)
{
        char *argv[] = {"sh", "-c", "exit 7", NULL};
        struct ward_proc_spawn_options o = {.size = sizeof(o), .argv = argv};
        struct ward_proc_status st;
        ward_proc *p;
        ASSERT_OK(ward_proc_spawn(&o, &p));
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, &st));
        ASSERT_EQ(st.how, WARD_PROC_EXITED);
        ASSERT_EQ(st.code, 7);
        ASSERT_OK(ward_proc_wait(p, 0, &st)); /* again: the same */
        ASSERT_EQ(st.code, 7);
        ward_proc_free(p);

        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        ASSERT_EQ(proc_expect(rep[0], "ready"), ward_proc_pid(p));
        ASSERT_ERRNO(ward_proc_wait(p, 0, &st), ETIMEDOUT);
        ASSERT_ERRNO(ward_proc_wait(p, 1000000, &st), ETIMEDOUT);
        ASSERT_OK(syscall(SYS_pidfd_send_signal, ward_proc_pidfd(p), SIGUSR1, NULL, 0));
        ASSERT_OK(ward_proc_wait(p, UINT64_MAX, &st));
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED);
        ASSERT_EQ(st.code, SIGUSR1);
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(open_existing)
{
        ward_proc *p, *q;
        int rep[2];
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ASSERT_ERRNO(ward_proc_open(0, &q), EINVAL);
        ASSERT_ERRNO(ward_proc_open(INT_MAX, &q), ESRCH);
        p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        ASSERT_EQ(proc_expect(rep[0], "ready"), ward_proc_pid(p));
        /* a second hold of our own child: waiting reaps it with its status */
        ASSERT_OK(ward_proc_open(ward_proc_pid(p), &q));
        ASSERT_NE(ward_proc_pidfd(q), ward_proc_pidfd(p));
        ASSERT_TRUE(ward_proc_cgroup(q) == NULL);
        struct ward_proc_status st;
        ASSERT_OK(ward_proc_stop(q, PROC_PATIENCE_NS, &st));
        ASSERT_EQ(st.how, WARD_PROC_SIGNALED);
        ASSERT_EQ(st.code, SIGTERM);
        ASSERT_EQ(st.killed, 0);
        ASSERT_TRUE(proc_gone(ward_proc_pidfd(p)));
        ward_proc_free(q);
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST(nice)
{
        int rep[2], n;
        ASSERT_SYS(pipe2(rep, O_CLOEXEC));
        ward_proc *p = proc_spawn_helper("polite", rep[1], -1, 0, NULL);
        int pid = ward_proc_pid(p);
        ASSERT_EQ(proc_expect(rep[0], "ready"), pid);
        ASSERT_OK(ward_proc_get_nice(pid, &n));
        ASSERT_EQ(n, getpriority(PRIO_PROCESS, 0));
        ASSERT_OK(ward_proc_set_nice(pid, 13));
        ASSERT_OK(ward_proc_get_nice(pid, &n));
        ASSERT_EQ(n, 13);
        ASSERT_ERRNO(ward_proc_set_nice(pid, 20), EINVAL);
        ASSERT_ERRNO(ward_proc_set_nice(pid, -21), EINVAL);
        ASSERT_ERRNO(ward_proc_set_nice(0, 1), EINVAL);
        ASSERT_ERRNO(ward_proc_set_nice(INT_MAX, 1), ESRCH);
        ASSERT_ERRNO(ward_proc_get_nice(INT_MAX, &n), ESRCH);
        ASSERT_OK(ward_proc_stop(p, PROC_PATIENCE_NS, NULL));
        ward_proc_free(p);
        close(rep[0]);
        close(rep[1]);
}

TEST_MAIN()
