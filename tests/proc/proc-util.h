/* tests/proc/proc-util.h: the processes the proc tests start, and ways to
 * wait for what they say.
 *
 * Each test binary is also its own helper: started with WARD_PROC_HELPER=NAME
 * in its environment (by proc_spawn_helper), a constructor runs helper NAME
 * before main and exits. Helpers report pids as lines "NAME PID\n" on the fd
 * named by WARD_PROC_REPORT, and take commands, one byte each, from the fd
 * named by WARD_PROC_CTL. */
#ifndef WARD_TESTS_PROC_UTIL_H
#define WARD_TESTS_PROC_UTIL_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/spawn.h>
#include <ward/time.h>

#include "test.h"

/* how long a test waits for something that must happen before it calls it
 * a failure: generous, for loaded machines; never a timing assertion */
#define PROC_PATIENCE_NS 30000000000ull

static inline int proc_env_fd(const char *name)
{
        const char *v = getenv(name);
        return v ? atoi(v) : -1;
}

static inline void proc_report(const char *what, int pid)
{
        char line[64];
        int fd = proc_env_fd("WARD_PROC_REPORT");
        int n = snprintf(line, sizeof(line), "%s %d\n", what, pid);
        if (fd >= 0 && write(fd, line, (size_t)n) != n) {
                _exit(90);
        }
}

static inline void proc_sleep_forever(void)
{
        for (;;) {
                pause();
        }
}

/* helper "ignore-term": ignores SIGTERM, says "ready", sleeps */
static inline void proc_helper_ignore_term(void)
{
        signal(SIGTERM, SIG_IGN);
        proc_report("ready", getpid());
        proc_sleep_forever();
}

/* helper "polite": ends at SIGTERM (the default), after saying "ready" */
static inline void proc_helper_polite(void)
{
        proc_report("ready", getpid());
        proc_sleep_forever();
}

/* helper "tree": P (ignores SIGTERM) with A (its group) and B, which
 * called setsid(), with B1 (B's session, ignores SIGTERM: it outlives B
 * and is reparented). With WARD_PROC_DAEMON=1, B exits after starting B1:
 * B1 is a daemon that left the tree before anyone looks. */
static inline void proc_helper_tree(void)
{
        int daemon = getenv("WARD_PROC_DAEMON") != NULL;
        signal(SIGTERM, SIG_IGN);
        pid_t a = fork();
        if (a == 0) {
                signal(SIGTERM, SIG_DFL);
                proc_report("A", getpid());
                proc_sleep_forever();
        }
        pid_t b = fork();
        if (b == 0) {
                signal(SIGTERM, SIG_DFL);
                if (setsid() < 0) {
                        _exit(91);
                }
                pid_t b1 = fork();
                if (b1 == 0) {
                        signal(SIGTERM, SIG_IGN);
                        proc_report("B1", getpid());
                        proc_sleep_forever();
                }
                if (daemon) {
                        _exit(0);
                }
                proc_report("B", getpid());
                proc_sleep_forever();
        }
        proc_report("P", getpid());
        proc_sleep_forever();
}

/* helper "watch": P, driven by commands: 'f' forks C (reported "C PID"),
 * which waits; 'e' makes C exec /bin/cat on a pipe; 'x' closes that pipe
 * (cat ends, exit 0) and P reaps C; 'z' forks Z, which exits at once (exit
 * 4) and stays a zombie ("Z PID"); 'r' reaps it; 'q' ends P with exit
 * code 3. */
static inline void proc_helper_watch(void)
{
        int ctl = proc_env_fd("WARD_PROC_CTL");
        int cp[2] = {-1, -1};
        char c;
        while (read(ctl, &c, 1) == 1) {
                if (c == 'f') {
                        if (pipe(cp) < 0) {
                                _exit(92);
                        }
                        pid_t child = fork();
                        if (child == 0) {
                                char go;
                                close(cp[1]);
                                close(ctl);
                                if (read(cp[0], &go, 1) != 1) {
                                        _exit(93);
                                }
                                int null = open("/dev/null", O_WRONLY);
                                dup2(cp[0], 0);
                                dup2(null, 1);
                                execl("/bin/cat", "cat", (char *)NULL);
                                _exit(94);
                        }
                        close(cp[0]);
                        proc_report("C", child);
                } else if (c == 'e') {
                        if (write(cp[1], "g", 1) != 1) {
                                _exit(95);
                        }
                } else if (c == 'x') {
                        close(cp[1]);
                        int st;
                        wait(&st);
                        proc_report("reaped", 0);
                } else if (c == 'z') {
                        pid_t z = fork();
                        if (z == 0) {
                                _exit(4);
                        }
                        proc_report("Z", z);
                } else if (c == 'r') {
                        int st;
                        wait(&st);
                        proc_report("reaped", 0);
                } else if (c == 'q') {
                        _exit(3);
                }
        }
        _exit(96);
}

__attribute__((constructor)) static void proc_helper_main(void)
{
        const char *h = getenv("WARD_PROC_HELPER");
        if (!h) {
                return;
        }
        if (strcmp(h, "ignore-term") == 0) {
                proc_helper_ignore_term();
        } else if (strcmp(h, "polite") == 0) {
                proc_helper_polite();
        } else if (strcmp(h, "tree") == 0) {
                proc_helper_tree();
        } else if (strcmp(h, "watch") == 0) {
                proc_helper_watch();
        }
        _exit(97);
}

/* proc_spawn_helper: start this binary as helper name, reporting on
 * report_fd and taking commands from ctl_fd (-1: none), with spawn flags
 * and extra environment entries (NULL-terminated, may be NULL) */
static inline ward_proc *proc_spawn_helper(const char *name, int report_fd, int ctl_fd,
                                           uint32_t flags, const char *const *extra_env)
{
        static char helper[64], report[64], ctl[64];
        char *env[16];
        int n = 0, keep[2], n_keep = 0;
        snprintf(helper, sizeof(helper), "WARD_PROC_HELPER=%s", name);
        snprintf(report, sizeof(report), "WARD_PROC_REPORT=%d", report_fd);
        snprintf(ctl, sizeof(ctl), "WARD_PROC_CTL=%d", ctl_fd);
        env[n++] = helper;
        env[n++] = report;
        env[n++] = ctl;
        for (int i = 0; extra_env && extra_env[i] && n < 14; i++) {
                env[n++] = (char *)extra_env[i];
        }
        /* a sanitizer build's helper: reports and leak checks of its own are
         * not wanted (it is killed) */
        env[n++] = "ASAN_OPTIONS=detect_leaks=0";
        env[n] = NULL;
        if (report_fd >= 0) {
                keep[n_keep++] = report_fd;
        }
        if (ctl_fd >= 0) {
                keep[n_keep++] = ctl_fd;
        }
        char *argv[] = {"ward-proc-helper", NULL};
        struct ward_proc_spawn_options o = {
            .size = sizeof(o),
            .flags = flags,
            .path = "/proc/self/exe",
            .argv = argv,
            .envp = env,
            .keep_fds = keep,
            .n_keep_fds = (size_t)n_keep,
        };
        ward_proc *p;
        ASSERT_OK(ward_proc_spawn(&o, &p));
        return p;
}

/* proc_read_line: one line from fd (blocking up to PROC_PATIENCE_NS) into
 * buf, without the newline */
static inline void proc_read_line(int fd, char *buf, size_t size)
{
        size_t n = 0;
        uint64_t deadline = ward_now_ns() + PROC_PATIENCE_NS;
        while (n + 1 < size) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (ward_now_ns() > deadline) {
                        TEST_FAIL("no line from the helper in time");
                }
                if (poll(&p, 1, 1000) <= 0) {
                        continue;
                }
                char c;
                ssize_t r = read(fd, &c, 1);
                if (r <= 0) {
                        TEST_FAIL("the helper's report pipe closed");
                }
                if (c == '\n') {
                        break;
                }
                buf[n++] = c;
        }
        buf[n] = '\0';
}

/* proc_expect: read a line "what PID" and return PID */
static inline int proc_expect(int fd, const char *what)
{
        char line[128], name[64];
        int pid;
        proc_read_line(fd, line, sizeof(line));
        if (sscanf(line, "%63s %d", name, &pid) != 2 || strcmp(name, what) != 0) {
                TEST_FAIL("expected \"%s PID\" from the helper, got \"%s\"", what, line);
        }
        return pid;
}

/* proc_read_named: read n lines "NAME PID"; pids[i] gets the pid of names[i] */
static inline void proc_read_named(int fd, const char *const *names, int *pids, int n)
{
        for (int i = 0; i < n; i++) {
                pids[i] = 0;
        }
        for (int k = 0; k < n; k++) {
                char line[128], name[64];
                int pid;
                proc_read_line(fd, line, sizeof(line));
                if (sscanf(line, "%63s %d", name, &pid) != 2) {
                        TEST_FAIL("bad line from the helper: \"%s\"", line);
                }
                for (int i = 0; i < n; i++) {
                        if (strcmp(names[i], name) == 0) {
                                pids[i] = pid;
                        }
                }
        }
        for (int i = 0; i < n; i++) {
                if (pids[i] <= 0) {
                        TEST_FAIL("the helper did not report %s", names[i]);
                }
        }
}

/* proc_pidfd: a pidfd for pid (it must exist) */
static inline int proc_pidfd(int pid)
{
        long fd = syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0) {
                TEST_FAIL("pidfd_open(%d): %s", pid, strerror(errno));
        }
        return (int)fd;
}

/* proc_gone: has the process of pidfd ended (right now, no waiting)? */
static inline int proc_gone(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        return poll(&p, 1, 0) == 1;
}

/* proc_wait_gone: wait (patiently) until the process of pidfd ended; 1 when
 * it did */
static inline int proc_wait_gone(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        return poll(&p, 1, (int)(PROC_PATIENCE_NS / 1000000)) == 1;
}

#endif
