/* The on-crash command (the upload): its deadline holds (a command that
 * would run for ever is stopped), a failed upload leaves the dump queued,
 * and the next guardian start runs the command again for it; the dump
 * directory keeps within its count budget. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guard/guardian-util.h"

static void read_file(const char *path, char *out, size_t size)
{
        FILE *f = fopen(path, "r");
        ASSERT_TRUE(f != NULL);
        size_t n = fread(out, 1, size - 1, f);
        out[n] = '\0';
        fclose(f);
}

TEST(deadline_holds_and_queue_is_retried)
{
        char dir[64], core[4096], got[8400], cmd[4200], want[8400];
        scratch(dir, sizeof(dir));
        const char *args[] = {"--restart=no", "--dump-dir", dir,
                              "--on-crash",   "sleep 1000", "--on-crash-timeout",
                              "300ms",        "--",         WARD_GUARDIAN_WORKER,
                              "crash",        NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        const char *l = grun_until(&r, "crashed");
        json_str(l, "core", core, sizeof(core));
        l = grun_until(&r, "on_crash_ran");
        ASSERT_EQ(json_int(l, "status"), -1); /* timed out, stopped */
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 128 + SIGSEGV);
        char marker[4200];
        snprintf(marker, sizeof(marker), "%s.queued", core);
        ASSERT_EQ(access(marker, F_OK), 0);

        /* the next start: the queued dump is uploaded first */
        snprintf(cmd, sizeof(cmd), "echo \"$1 $WARD_CORE\" > %s/uploaded", dir);
        const char *args2[] = {"--restart=no", "--dump-dir",         dir,    "--on-crash", cmd,
                               "--",           WARD_GUARDIAN_WORKER, "exit", "0",          NULL};
        grun_start(&r, args2, NULL);
        l = grun_until(&r, "on_crash_ran");
        ASSERT_EQ(json_int(l, "status"), 0);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        ASSERT_TRUE(access(marker, F_OK) < 0);
        snprintf(got, sizeof(got), "%s/uploaded", dir);
        read_file(got, got, sizeof(got));
        snprintf(want, sizeof(want), "%s %s\n", core, core);
        ASSERT_STREQ(got, want);
        scratch_remove(dir);
}

TEST(failed_upload_stays_queued)
{
        char dir[64];
        scratch(dir, sizeof(dir));
        const char *args[] = {"--restart=no", "--dump-dir",         dir,     "--on-crash", "exit 3",
                              "--",           WARD_GUARDIAN_WORKER, "crash", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        const char *l = grun_until(&r, "on_crash_ran");
        ASSERT_EQ(json_int(l, "status"), 3 << 8);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 128 + SIGSEGV);
        ASSERT_EQ(count_files(dir, "core.", ".queued"), 1);
        scratch_remove(dir);
}

TEST(dump_count_budget)
{
        char dir[64], count[128], env_count[160];
        scratch(dir, sizeof(dir));
        snprintf(count, sizeof(count), "%s/starts", dir);
        snprintf(env_count, sizeof(env_count), "COUNT_FILE=%s", count);
        const char *env[] = {env_count, "CRASH_UNTIL=5", NULL};
        const char *args[] = {"--dump-dir", dir,       "--max-dumps", "2",  "--backoff",
                              "1ms",        "--burst", "10/1m",       "--", WARD_GUARDIAN_WORKER,
                              "crash",      NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        int crashes;
        ASSERT_EQ(grun_wait(&r, "crashed", &crashes), 0);
        ASSERT_EQ(crashes, 4);
        ASSERT_EQ(count_cores(dir), 2);
        ASSERT_EQ(count_files(dir, "core.", ".txt"), 2);
        ASSERT_EQ(count_lines(count), 5); /* the starts file is not ward's: kept */
        scratch_remove(dir);
}

TEST_MAIN()
