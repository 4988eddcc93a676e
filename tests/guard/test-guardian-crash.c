/* ward run and the guardian loop: a crash gets a core and a report and a
 * restart; a clean exit is not restarted under on-failure; the burst limit
 * stops the restarts; a crash leaves nothing of the worker in /dev/shm
 * (its trace buffers, its lock registry). The worker speaks the guardian's
 * wire itself (tests/guard/guardian-worker.c). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard/guardian-util.h"

TEST(crash_core_report_restart)
{
        char dir[64], count[128], env_count[160], line[4096];
        scratch(dir, sizeof(dir));
        snprintf(count, sizeof(count), "%s/starts", dir);
        snprintf(env_count, sizeof(env_count), "COUNT_FILE=%s", count);
        const char *env[] = {env_count, "CRASH_UNTIL=2", NULL};
        const char *args[] = {"--dump-dir",         dir,     "--backoff", "10ms", "--",
                              WARD_GUARDIAN_WORKER, "crash", NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        grun_until(&r, "ready");
        const char *l = grun_until(&r, "crashed");
        ASSERT_TRUE(strstr(l, "\"signal\":\"SIGSEGV\"") != NULL);
        ASSERT_EQ(json_int(l, "code"), 1); /* SEGV_MAPERR */
        ASSERT_TRUE(strstr(l, "\"addr\":\"0x10\"") != NULL);
        char core[4096], report[4096];
        json_str(l, "core", core, sizeof(core));
        json_str(l, "report", report, sizeof(report));
        struct stat st;
        ASSERT_EQ(stat(core, &st), 0);
        ASSERT_TRUE(st.st_size > 0);
        FILE *f = fopen(report, "r");
        ASSERT_TRUE(f != NULL);
        int named = 0;
        while (fgets(line, sizeof(line), f)) {
                named |= strstr(line, "crash_here") != NULL;
        }
        fclose(f);
        ASSERT_TRUE(named); /* the crashing function, from the handler's ucontext */
        l = grun_until(&r, "exited");
        ASSERT_TRUE(strstr(l, "SIGSEGV") != NULL);
        grun_until(&r, "restarting");
        grun_until(&r, "started");
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0); /* the second start exits 0 */
        ASSERT_EQ(count_lines(count), 2);
        scratch_remove(dir);
}

TEST(clean_exit_not_restarted)
{
        char dir[64], count[128], env_count[160];
        scratch(dir, sizeof(dir));
        snprintf(count, sizeof(count), "%s/starts", dir);
        snprintf(env_count, sizeof(env_count), "COUNT_FILE=%s", count);
        const char *env[] = {env_count, NULL};
        const char *args[] = {"--restart=on-failure", "--dump-dir", dir, "--",
                              WARD_GUARDIAN_WORKER,   "exit",       "0", NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        int restarts;
        ASSERT_EQ(grun_wait(&r, "restarting", &restarts), 0);
        ASSERT_EQ(restarts, 0);
        ASSERT_EQ(count_lines(count), 1);
        ASSERT_EQ(count_cores(dir), 0);
        scratch_remove(dir);
}

TEST(exit_code_passed_and_restart_no)
{
        const char *args[] = {"--restart=no", "--", WARD_GUARDIAN_WORKER, "exit", "7", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        int giving_up;
        ASSERT_EQ(grun_wait(&r, "giving_up", &giving_up), 7);
        ASSERT_EQ(giving_up, 1);
}

TEST(burst_limit_stops_restarts)
{
        char dir[64], count[128], env_count[160];
        scratch(dir, sizeof(dir));
        snprintf(count, sizeof(count), "%s/starts", dir);
        snprintf(env_count, sizeof(env_count), "COUNT_FILE=%s", count);
        const char *env[] = {env_count, NULL};
        /* plain: no handshake, a failing exit at once; always, even exit 0 */
        const char *args[] = {"--restart=always",
                              "--backoff",
                              "1ms,4ms",
                              "--burst",
                              "3/1m",
                              "--dump-dir",
                              dir,
                              "--",
                              WARD_GUARDIAN_WORKER,
                              "plain",
                              "0",
                              NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        int giving_up;
        ASSERT_EQ(grun_wait(&r, "giving_up", &giving_up), 0);
        ASSERT_EQ(giving_up, 1);
        ASSERT_EQ(count_lines(count), 4); /* the first start and 3 restarts */
        scratch_remove(dir);
}

/* shm_files: /dev/shm/ward-*.PID */
static int shm_files(int pid)
{
        char suffix[32];
        snprintf(suffix, sizeof(suffix), ".%d", pid);
        return count_files("/dev/shm", "ward-", suffix);
}

TEST(nothing_left_in_dev_shm)
{
        char dir[64], env_dir[128];
        scratch(dir, sizeof(dir));
        snprintf(env_dir, sizeof(env_dir), "TRACE_DIR=%s", dir);
        const char *env[] = {env_dir, NULL};
        const char *args[] = {"--restart=no",       "--dump-dir", dir, "--",
                              WARD_GUARDIAN_WORKER, "shm-crash",  NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        const char *l = grun_until(&r, "started");
        int pid = (int)json_int(l, "pid");
        l = grun_until(&r, "crashed");
        ASSERT_TRUE(shm_files(pid) >= 1); /* still there while the worker waits for its ACK */
        char report[4096], line[4096];
        json_str(l, "report", report, sizeof(report));
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 128 + SIGSEGV);
        ASSERT_EQ(shm_files(pid), 0);
        FILE *f = fopen(report, "r");
        ASSERT_TRUE(f != NULL);
        int event = 0, lock = 0;
        while (fgets(line, sizeof(line), f)) {
                event |= strstr(line, "about to crash") != NULL;
                lock |= strstr(line, "guardian-a") != NULL;
        }
        fclose(f);
        ASSERT_TRUE(event); /* its last trace event */
        ASSERT_TRUE(lock);  /* its held ward lock */
        scratch_remove(dir);
}

TEST(hostile_handshake_refused)
{
        const char *args[] = {"--restart=no", "--", WARD_GUARDIAN_WORKER, "liar", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        const char *l = grun_until(&r, "warning");
        ASSERT_TRUE(strstr(l, "bad handshake") != NULL);
        l = grun_until(&r, "exited");
        ASSERT_TRUE(strstr(l, "\"ended\":\"exit 98\"") != NULL); /* hung up on, no READY */
        ASSERT_EQ(grun_wait(&r, "ready", NULL), 98);
}

TEST(crash_naming_another_thread)
{
        char dir[64];
        scratch(dir, sizeof(dir));
        const char *args[] = {"--restart=no",       "--dump-dir", dir, "--",
                              WARD_GUARDIAN_WORKER, "bad-tid",    NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        const char *l = grun_until(&r, "warning");
        ASSERT_TRUE(strstr(l, "thread 1 is not one of worker") != NULL);
        l = grun_until(&r, "crashed");
        ASSERT_TRUE(strstr(l, "\"core\"") == NULL); /* nothing captured */
        l = grun_until(&r, "exited");
        ASSERT_TRUE(strstr(l, "\"ended\":\"exit 0\"") != NULL); /* ACK came all the same */
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        ASSERT_EQ(count_cores(dir), 0);
        scratch_remove(dir);
}

TEST_MAIN()
