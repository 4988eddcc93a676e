/* A hang caught by the heartbeat: the worker asks for a 300 ms deadline,
 * beats a few times, then two of its threads deadlock. The guardian writes
 * a core and a report of the live process, names the deadlock (in the HUNG
 * event and in CORE.locks.txt), then stops it with SIGTERM. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "guard/guardian-util.h"

TEST(hang_caught_by_heartbeat)
{
        char dir[64], line[4096];
        scratch(dir, sizeof(dir));
        const char *args[] = {"--restart=no", "--dump-dir",         dir,    "--grace", "2s",
                              "--",           WARD_GUARDIAN_WORKER, "hang", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        const char *l = grun_until(&r, "hung");
        ASSERT_TRUE(strstr(l, "deadlock: threads") != NULL);
        char core[4096], locks[4200];
        json_str(l, "core", core, sizeof(core));
        struct stat st;
        ASSERT_EQ(stat(core, &st), 0);
        snprintf(locks, sizeof(locks), "%s.locks.txt", core);
        FILE *f = fopen(locks, "r");
        ASSERT_TRUE(f != NULL);
        int named = 0;
        while (fgets(line, sizeof(line), f)) {
                named |= strncmp(line, "deadlock: threads", 17) == 0;
        }
        fclose(f);
        ASSERT_TRUE(named);
        l = grun_until(&r, "exited");
        ASSERT_TRUE(strstr(l, "SIGTERM") != NULL);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 128 + SIGTERM);
        scratch_remove(dir);
}

TEST_MAIN()
