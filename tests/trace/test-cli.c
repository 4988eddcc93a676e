/* The ward trace command line: the category in merged text, --time=wall and
 * delta, --chrome and its older name --json, --help on stdout, and the exit
 * status and message (text, or JSON under --json) of bad options, values,
 * files and processes. */
#include <regex.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test-run.h"
#include "test.h"
#include "trace-count.h"

static char dir[64];

/* ward: `ward ARGS...`; its exit status, stdout and stderr together in out. */
static int ward(char *out, size_t size, const char *const *args)
{
        return test_run_ward(args, NULL, -1, out, size);
}

/* run: a shell command's exit status, its stdout in out. */
static int run(const char *cmd, char *out, size_t size)
{
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(out, 1, size - 1, p) : 0;
        out[n] = '\0';
        int st = p ? pclose(p) : -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* every line of text matches the extended regular expression re */
static int every_line_matches(const char *text, const char *re)
{
        regex_t r;
        int lines = 0;
        ASSERT_EQ(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                char line[4096];
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                snprintf(line, sizeof(line), "%.*s", (int)len, p);
                if (regexec(&r, line, 0, NULL, 0) != 0) {
                        fprintf(stderr, "line does not match %s: %s\n", re, line);
                        regfree(&r);
                        return 0;
                }
                lines++;
                p += len + (nl ? 1 : 0);
        }
        regfree(&r);
        return lines > 0;
}

TEST(setup)
{
        snprintf(dir, sizeof(dir), "%s", make_temp_dir());
        pid_t pid = fork();
        if (pid == 0) {
                struct ward_trace_options o = {.size = sizeof(o), .dir = dir, .name = "c"};
                if (ward_trace_start(&o) < 0) {
                        _exit(1);
                }
                WARD_TRACE(WARD_TRACE_INFO, "plain %d", 1);
                WARD_TRACE_CAT(WARD_TRACE_WARN, "net", "retry %u of %s", 3u, "conn");
                WARD_SPAN_BEGIN("step");
                WARD_SPAN_END("step");
                ward_trace_stop();
                _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(text_shows_the_category)
{
        static char out[1 << 16];
        const char *args[] = {"trace", "merge", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), args), 0);
        ASSERT_TRUE(every_line_matches(out, "^[0-9]+-[0-9]+ : \\[[0-9]+ [a-z]+( net)?\\] "));
        ASSERT_TRUE(strstr(out, " warn net] retry 3 of conn\n") != NULL);
        ASSERT_TRUE(strstr(out, " info] plain 1\n") != NULL); /* none: as before */
        ASSERT_TRUE(strstr(out, " info] begin step\n") != NULL);
}

TEST(time_wall_and_delta)
{
        static char out[1 << 16];
        const char *wall[] = {"trace", "merge", "--time=wall", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), wall), 0);
        ASSERT_TRUE(every_line_matches(out,
                                       "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
                                       "[0-6][0-9]\\.[0-9]{9}Z [0-9]+ : \\[[0-9]+ "));
        const char *delta[] = {"trace", "merge", "--time", "delta", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), delta), 0);
        ASSERT_TRUE(
            every_line_matches(out, "^[0-9]+\\.[0-9]{9} \\+[0-9]+\\.[0-9]{9} [0-9]+ : \\["));
        ASSERT_EQ(strncmp(out, "0.000000000 +0.000000000 ", 25), 0);
        const char *mono[] = {"trace", "merge", "--time=mono", dir, NULL};
        static char plain[1 << 16];
        const char *none[] = {"trace", "merge", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), mono), 0);
        ASSERT_EQ(ward(plain, sizeof(plain), none), 0);
        ASSERT_STREQ(out, plain); /* mono is the default */
}

TEST(chrome_and_its_older_name_json_write_the_same)
{
        static char a[1 << 16], b[1 << 16];
        const char *chrome[] = {"trace", "merge", "--chrome", dir, NULL};
        const char *json[] = {"trace", "merge", "--json", dir, NULL};
        ASSERT_EQ(ward(a, sizeof(a), chrome), 0);
        ASSERT_EQ(ward(b, sizeof(b), json), 0);
        ASSERT_TRUE(strstr(a, "\"traceEvents\"") != NULL);
        ASSERT_TRUE(strstr(a, "\"cat\":\"net\"") != NULL);
        ASSERT_STREQ(a, b);
}

TEST(help_is_on_stdout_with_status_0)
{
        static const char *const subs[] = {"merge", "tail", "level", "recover"};
        char cmd[512];
        static char out[1 << 14];
        snprintf(cmd, sizeof(cmd), "%s/ward trace --help 2>/dev/null", WARD_BIN_DIR);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "recover") != NULL);
        for (int i = 0; i < 4; i++) {
                snprintf(cmd, sizeof(cmd), "%s/ward trace %s --help 2>/dev/null", WARD_BIN_DIR,
                         subs[i]);
                ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
                ASSERT_TRUE(strncmp(out, "Usage: ward trace ", 18) == 0);
                ASSERT_TRUE(strstr(out, "Exit status:") != NULL);
        }
}

TEST(bad_usage_names_the_token_and_exits_2)
{
        static char out[1 << 14];
        const char *unknown[] = {"trace", "merge", "--bogus", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), unknown), 2);
        ASSERT_TRUE(strstr(out, "ward trace merge: unknown option '--bogus'") != NULL);
        const char *time[] = {"trace", "merge", "--time=later", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), time), 2);
        ASSERT_TRUE(strstr(out, "'later'") && strstr(out, "mono, wall, delta"));
        const char *both[] = {"trace", "merge", "--chrome", "--ctf", "/tmp/x", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), both), 2);
        const char *none[] = {"trace", "merge", NULL};
        ASSERT_EQ(ward(out, sizeof(out), none), 2);
        const char *sub[] = {"trace", "frobnicate", NULL};
        ASSERT_EQ(ward(out, sizeof(out), sub), 2);
        ASSERT_TRUE(strstr(out, "'frobnicate'") != NULL);
        const char *pid[] = {"trace", "tail", "12x", NULL};
        ASSERT_EQ(ward(out, sizeof(out), pid), 2);
        ASSERT_TRUE(strstr(out, "'12x'") != NULL);
        const char *dashes[] = {"trace", "merge", "--", "--not-an-option", NULL};
        ASSERT_EQ(ward(out, sizeof(out), dashes), 2); /* a file of that name: none */
        ASSERT_TRUE(strstr(out, "--not-an-option: No such file") != NULL);
}

TEST(missing_files_and_processes_exit_2)
{
        static char out[1 << 14];
        char missing[128], pid[16];
        snprintf(missing, sizeof(missing), "%s/no-such.trace.1", dir);
        const char *file[] = {"trace", "merge", missing, NULL};
        ASSERT_EQ(ward(out, sizeof(out), file), 2);
        ASSERT_TRUE(strstr(out, "ward trace merge: ") && strstr(out, "no-such.trace.1"));
        const char *o[] = {"trace", "merge", "-o", "/nonexistent-dir/out.txt", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), o), 2);
        ASSERT_TRUE(strstr(out, "ward trace merge: /nonexistent-dir/out.txt: ") != NULL);
        const char *recover_file[] = {"trace", "recover", missing, NULL};
        ASSERT_EQ(ward(out, sizeof(out), recover_file), 2);
        /* a pid no process has: the largest the kernel allows is below 2^22 + 1 */
        snprintf(pid, sizeof(pid), "%d", (1 << 22));
        if (kill(1 << 22, 0) == 0) {
                SKIP("pid %d exists", 1 << 22);
        }
        const char *tail[] = {"trace", "tail", pid, NULL};
        const char *level[] = {"trace", "level", pid, NULL};
        const char *recover[] = {"trace", "recover", pid, NULL};
        const char *const *each[] = {tail, level, recover};
        for (int i = 0; i < 3; i++) {
                ASSERT_EQ(ward(out, sizeof(out), each[i]), 2);
                ASSERT_TRUE(strstr(out, "no such process") != NULL);
        }
}

TEST(errors_are_json_under_json)
{
        static char out[1 << 14];
        char pid[16];
        snprintf(pid, sizeof(pid), "%d", (1 << 22));
        const char *o[] = {"trace", "merge", "--json", "-o", "/nonexistent-dir/x", dir, NULL};
        ASSERT_EQ(ward(out, sizeof(out), o), 2);
        ASSERT_EQ(strncmp(out, "{\"error\":\"/nonexistent-dir/x: ", 30), 0);
        ASSERT_TRUE(strstr(out, "\"command\":\"ward trace merge\",\"exit\":2}\n") != NULL);
        const char *level[] = {"trace", "level", "--json", pid, "loud", NULL};
        ASSERT_EQ(ward(out, sizeof(out), level), 2);
        ASSERT_EQ(strncmp(out, "{\"error\":\"bad value 'loud' for LEVEL", 35), 0);
        ASSERT_TRUE(strstr(out, "off, error, warn, info, debug, verbose") != NULL);
        const char *tail[] = {"trace", "tail", "--json", pid, NULL};
        ASSERT_EQ(ward(out, sizeof(out), tail), 2);
        ASSERT_TRUE(strstr(out, "{\"error\":\"no such process") == out);
        remove_dir(dir);
}

TEST_MAIN()
