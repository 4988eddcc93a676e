/* 100 crash/restart cycles under ward run (each with its core and report)
 * leave the guardian without more open fds or memory: its /proc/PID/fd count
 * and its RSS late in the run against early in it, the least of several
 * samples each (a capture in progress holds files open), with generous
 * slack (RSS not under sanitizers, whose allocators keep freed memory;
 * LeakSanitizer checks ward run's exit there). No timing is asserted. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guard/guardian-util.h"

#define CYCLES 100

static int fd_count(int pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", pid);
        DIR *d = opendir(path);
        int n = 0;
        while (d && readdir(d)) {
                n++;
        }
        if (d) {
                closedir(d);
        }
        return n;
}

static long rss_kb(int pid)
{
        char path[64], line[256];
        long kb = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, "VmRSS:", 6) == 0) {
                        kb = strtol(line + 6, NULL, 10);
                }
        }
        if (f) {
                fclose(f);
        }
        return kb;
}

struct sample {
        int fds;
        long rss;
};

static void take(struct sample *s, int pid)
{
        int f = fd_count(pid);
        long r = rss_kb(pid);
        if (f > 0 && (s->fds == 0 || f < s->fds)) {
                s->fds = f;
        }
        if (r > 0 && (s->rss == 0 || r < s->rss)) {
                s->rss = r;
        }
}

TEST(hundred_cycles_no_growth)
{
        char dir[64], count[128], env_count[160], until[32];
        scratch(dir, sizeof(dir));
        snprintf(count, sizeof(count), "%s/starts", dir);
        snprintf(env_count, sizeof(env_count), "COUNT_FILE=%s", count);
        snprintf(until, sizeof(until), "CRASH_UNTIL=%d", CYCLES + 1);
        const char *env[] = {env_count, until, NULL};
        const char *args[] = {"--dump-dir", dir,       "--max-dumps", "3",  "--backoff",
                              "1ms,1ms",    "--burst", "1000/1s",     "--", WARD_GUARDIAN_WORKER,
                              "crash",      NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        /* the events are read by a child of ours so the pipe never fills */
        pid_t reader = fork();
        if (reader == 0) {
                while (grun_next(&r)) {
                }
                _exit(0);
        }
        fclose(r.out);
        close(r.in);
        struct sample early = {0}, late = {0};
        for (;;) {
                int n = count_lines(count);
                if (n >= 15 && n < 30) {
                        take(&early, r.pid);
                } else if (n >= CYCLES - 15 && n < CYCLES) {
                        take(&late, r.pid);
                } else if (n >= CYCLES) {
                        break;
                }
                usleep(2000);
        }
        int st;
        ASSERT_EQ(waitpid(r.pid, &st, 0), r.pid);
        ASSERT_EQ(waitpid(reader, NULL, 0), reader);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ASSERT_EQ(count_lines(count), CYCLES + 1);
        fprintf(stderr, "fds %d -> %d, rss %ld kB -> %ld kB\n", early.fds, late.fds, early.rss,
                late.rss);
        ASSERT_TRUE(early.fds > 0 && late.fds > 0);
        ASSERT_LE(late.fds, early.fds + 2);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
        ASSERT_LE(late.rss, early.rss + 4096);
#else
        /* a sanitizer's allocator keeps freed memory (ASan's quarantine):
         * here LeakSanitizer, at ward run's exit 0, checks for leaks instead */
#endif
        ASSERT_LE(count_cores(dir), 3);
        scratch_remove(dir);
}

TEST_MAIN()
