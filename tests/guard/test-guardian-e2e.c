/* The guardian with libward's worker side, end to end: an unmodified
 * program under `ward run` with libward-crash.so preloaded (found next to
 * ward), and a program that calls ward_guard_start itself (its guardian is
 * the same program re-executed, running ward_guardian_run from
 * libward-inspect). Each crash gets a core whose report names the function
 * that faulted. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard/guardian-util.h"

static int report_names(const char *report, const char *fn)
{
        char line[4096];
        int named = 0;
        FILE *f = fopen(report, "r");
        ASSERT_TRUE(f != NULL);
        while (fgets(line, sizeof(line), f)) {
                named |= strstr(line, fn) != NULL;
        }
        fclose(f);
        return named;
}

TEST(ward_run_preloads_crash_library)
{
        char dir[64], report[4096];
        scratch(dir, sizeof(dir));
        const char *args[] = {"--restart=no",          "--dump-dir", dir, "--",
                              WARD_GUARD_PLAIN_WORKER, "segv",       NULL};
        struct grun r = {.preload = 1};
        /* in sanitizer builds the library is, the program is not */
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL};
        grun_start(&r, args, env);
        grun_until(&r, "ready"); /* the preloaded library's handshake */
        ASSERT_EQ(write(r.in, "x", 1), 1);
        const char *l = grun_until(&r, "crashed");
        ASSERT_TRUE(strstr(l, "\"signal\":\"SIGSEGV\"") != NULL);
        json_str(l, "report", report, sizeof(report));
        ASSERT_TRUE(report_names(report, "crash_segv"));
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 128 + SIGSEGV);
        scratch_remove(dir);
}

TEST(embedded_guardian)
{
        char dir[64], out[4096];
        scratch(dir, sizeof(dir));
        int in[2], o[2];
        ASSERT_EQ(pipe(in), 0);
        ASSERT_EQ(pipe(o), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(in[0], 0);
                dup2(o[1], 1);
                close(in[1]);
                close(o[0]);
                if (chdir(dir) < 0) {
                        _exit(99);
                }
                setenv("WARD_INSPECT_LIBRARY", WARD_LIB_DIR "/libward-inspect.so", 1);
                execl(WARD_GUARD_WORKER, WARD_GUARD_WORKER, "segv", (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(o[1]);
        FILE *f = fdopen(o[0], "r");
        ASSERT_TRUE(f && fgets(out, sizeof(out), f));
        fprintf(stderr, "  %s", out);
        ASSERT_TRUE(strncmp(out, "guard 0 1 ", 10) == 0); /* guarded */
        ASSERT_EQ(write(in[1], "x", 1), 1);
        close(in[1]);
        /* restarted (on-failure): the next workers find stdin at its end and
         * exit 4, until the burst limit (5) gives up */
        int restarted = 0;
        while (fgets(out, sizeof(out), f)) {
                fprintf(stderr, "  %s", out);
                restarted += strncmp(out, "guard 0 1 ", 10) == 0;
        }
        fclose(f);
        int st;
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 4);
        ASSERT_EQ(restarted, 5);
        ASSERT_EQ(count_cores(dir), 1);
        scratch_remove(dir);
}

TEST_MAIN()
