/* ward trace recover, tail and level against real processes: a process
 * killed with SIGKILL before its flusher ran, one that keeps tracing while
 * another process watches it, and one whose level is changed from outside. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test-run.h"
#include "test.h"
#include "trace-count.h"

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* ward: `ward ARGS...`; its exit status, what it printed in out. */
static int ward(char *out, size_t size, const char *const *args)
{
        return test_run_ward(args, NULL, -1, out, size);
}

/* a traced child: start, trace n events, report, then wait to be killed */
static pid_t traced_child(int n, int level_pipe)
{
        int ready[2];
        ASSERT_EQ(pipe(ready), 0);
        pid_t pid = fork();
        if (pid == 0) {
                struct ward_trace_options o = {.size = sizeof(o),
                                               .dir = "/tmp",
                                               .name = "ward-test-live",
                                               .flush_interval_ns = 3600000000000ull};
                if (ward_trace_start(&o) < 0) {
                        _exit(1);
                }
                for (int i = 0; i < n; i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "event %d of %s", i, "the child");
                }
                (void)!write(ready[1], "!", 1);
                for (;;) {
                        if (level_pipe >= 0) {
                                char c = (char)('0' + ward_trace_get_level());
                                (void)!write(level_pipe, &c, 1);
                        }
                        sleep_ms(5);
                }
        }
        char c;
        close(ready[1]);
        ASSERT_EQ(read(ready[0], &c, 1), 1);
        close(ready[0]);
        return pid;
}

TEST(recover_gets_the_events_of_a_killed_process)
{
        char *dir = make_temp_dir(), out[1 << 16], pidtext[16];
        pid_t pid = traced_child(500, -1);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
        const char *text[] = {"trace", "recover", "--keep", pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), text), 0);
        ASSERT_TRUE(strstr(out, "event 0 of the child") != NULL);
        ASSERT_TRUE(strstr(out, "event 499 of the child") != NULL);
        char sub[256]; /* a directory that does not exist yet is made */
        snprintf(sub, sizeof(sub), "%s/recovered", dir);
        const char *files[] = {"trace", "recover", "-o", sub, pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), files), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(sub, &c), 0);
        ASSERT_EQ(c.events, 500);
        char shm[64];
        snprintf(shm, sizeof(shm), "/dev/shm/ward-trace.%d", (int)pid);
        ASSERT_TRUE(access(shm, F_OK) != 0);         /* recovered without --keep: removed */
        ASSERT_EQ(ward(out, sizeof(out), files), 2); /* nothing left to recover */
        ASSERT_TRUE(strstr(out, "no such process") != NULL);
        const char *json[] = {"trace", "recover", "--json", pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), json), 2); /* the error as JSON */
        ASSERT_TRUE(strstr(out, "{\"error\":\"no such process") == out);
        remove_dir(sub);
        remove_dir(dir);
}

TEST(tail_shows_a_live_process_without_stopping_it)
{
        char out[1 << 16], pidtext[16];
        pid_t pid = traced_child(50, -1);
        snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
        pid_t killer = fork();
        if (killer == 0) { /* end the traced process a little later: tail then exits */
                sleep_ms(300);
                kill(pid, SIGKILL);
                _exit(0);
        }
        const char *args[] = {"trace", "tail", "--all", pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), args), 0);
        waitpid(killer, NULL, 0);
        waitpid(pid, NULL, 0);
        ASSERT_TRUE(strstr(out, "event 49 of the child") != NULL);
        char exited[64]; /* tail says the process ended, and ends with status 0 */
        snprintf(exited, sizeof(exited), "ward trace tail: process %d exited\n", (int)pid);
        ASSERT_TRUE(strstr(out, exited) != NULL);
        char shm[64];
        snprintf(shm, sizeof(shm), "/dev/shm/ward-trace.%d", (int)pid);
        unlink(shm);
}

TEST(tail_json_is_one_object_a_line_and_says_the_exit)
{
        char out[1 << 16], pidtext[16], exited[64];
        pid_t pid = traced_child(5, -1);
        snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
        pid_t killer = fork();
        if (killer == 0) {
                sleep_ms(300);
                kill(pid, SIGKILL);
                _exit(0);
        }
        const char *args[] = {"trace", "tail", "--all", "--json", pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), args), 0);
        waitpid(killer, NULL, 0);
        waitpid(pid, NULL, 0);
        ASSERT_TRUE(strstr(out, "{\"ns\":") == out);
        ASSERT_TRUE(strstr(out, "event 4 of the child\"}\n") != NULL);
        snprintf(exited, sizeof(exited), "\n{\"exited\":%d}\n", (int)pid);
        ASSERT_TRUE(strlen(out) > strlen(exited));
        ASSERT_STREQ(out + strlen(out) - strlen(exited), exited); /* the last line */
        char shm[64];
        snprintf(shm, sizeof(shm), "/dev/shm/ward-trace.%d", (int)pid);
        unlink(shm);
}

TEST(level_changes_a_running_process)
{
        char out[256], pidtext[16];
        int lp[2];
        ASSERT_EQ(pipe(lp), 0);
        pid_t pid = traced_child(1, lp[1]);
        close(lp[1]);
        snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
        const char *show[] = {"trace", "level", pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), show), 0);
        ASSERT_TRUE(strstr(out, "info") != NULL);
        const char *set[] = {"trace", "level", pidtext, "debug", NULL};
        ASSERT_EQ(ward(out, sizeof(out), set), 0);
        char c = 0;
        for (int i = 0; i < 1000 && c != '0' + WARD_TRACE_DEBUG; i++) {
                ASSERT_EQ(read(lp[0], &c, 1), 1);
        }
        ASSERT_EQ(c, '0' + WARD_TRACE_DEBUG);
        const char *json[] = {"trace", "level", "--json", pidtext, NULL};
        ASSERT_EQ(ward(out, sizeof(out), json), 0);
        char want[64];
        snprintf(want, sizeof(want), "{\"pid\":%d,\"level\":\"debug\"}\n", (int)pid);
        ASSERT_STREQ(out, want);
        const char *bad[] = {"trace", "level", pidtext, "loud", NULL};
        ASSERT_EQ(ward(out, sizeof(out), bad), 2);
        ASSERT_TRUE(strstr(out, "ward trace level: bad value 'loud' for LEVEL") == out);
        ASSERT_TRUE(strstr(out, "off, error, warn, info, debug, verbose") != NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        char shm[64];
        snprintf(shm, sizeof(shm), "/dev/shm/ward-trace.%d", (int)pid);
        unlink(shm);
}

TEST_MAIN()
