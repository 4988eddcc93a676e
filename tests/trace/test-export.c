/* What `ward trace merge` writes is always readable by the tools it writes
 * for: names that are not plain text still give valid Chrome JSON; events
 * whose time was damaged (a high byte of their TSC, the file's tsc_base)
 * come out in time order with an error and exit 1, and babeltrace2 reads the
 * CTF export of them; babeltrace2 reads the CTF of every input in the
 * fuzzer's corpus that merge accepts. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test.h"
#include "trace-count.h"
#include "trace-raw.h"

#define EVENTS 40

static char dir[64];
static char file[512]; /* the trace file of the traced child's main thread */

static int run(const char *cmd, char *out, size_t size)
{
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(out, 1, size - 1, p) : 0;
        out[n] = '\0';
        int st = p ? pclose(p) : -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int have(const char *prog)
{
        return access(prog, X_OK) == 0;
}

TEST(setup)
{
        snprintf(dir, sizeof(dir), "%s", make_temp_dir());
        pid_t pid = fork();
        if (pid == 0) {
                /* a name with a quote, a tab and a Latin-1 byte */
                struct ward_trace_options o = {
                    .size = sizeof(o), .dir = dir, .name = "q\"uo\tte\xe9"};
                if (ward_trace_start(&o) < 0) {
                        _exit(1);
                }
                for (int i = 0; i < EVENTS; i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "event %d", i);
                }
                exit(0); /* at exit: flushed */
        }
        int st;
        waitpid(pid, &st, 0);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
                if (strstr(e->d_name, ".trace.")) {
                        snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
                }
        }
        closedir(d);
        ASSERT_TRUE(file[0] != '\0');
}

TEST(names_that_are_not_plain_text_give_valid_json)
{
        char cmd[1024], out[256];
        if (!have("/usr/bin/python3")) {
                SKIP("python3 is not installed: cannot parse the JSON");
        }
        snprintf(cmd, sizeof(cmd),
                 "%s/ward trace merge --json %s | /usr/bin/python3 -c '"
                 "import json,sys; d=json.load(sys.stdin)[\"traceEvents\"]; "
                 "print(sum(e[\"ph\"]==\"M\" and e[\"args\"][\"name\"].startswith(\"q\\\"uo\\tte\")"
                 " for e in d))'",
                 WARD_BIN_DIR, dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_EQ(atoi(out), 2); /* process_name and thread_name */
}

/* damage: a copy of file at path with the high byte of the TSC of events
 * number a and b set (0-based), or (a < 0) with tsc_base in the header
 * corrupted. */
static void damage(const char *path, int a, int b)
{
        static uint8_t buf[1 << 16];
        ASSERT_EQ(trace_raw_copy(file, path), 0); /* the fixed record layout */
        int in = open(path, O_RDONLY);
        ssize_t n = read(in, buf, sizeof(buf));
        close(in);
        ASSERT_TRUE(n > (ssize_t)sizeof(struct ward__trace_file_hdr));
        if (a < 0) {
                memset(buf + offsetof(struct ward__trace_file_hdr, tsc_base) + 5, 0xa5, 3);
        }
        size_t pos = sizeof(struct ward__trace_file_hdr);
        for (int ev = 0; a >= 0 && pos + sizeof(struct ward__trace_rec) <= (size_t)n;) {
                struct ward__trace_rec r;
                memcpy(&r, buf + pos, sizeof(r));
                ASSERT_TRUE(r.size >= sizeof(r));
                if (r.kind == WARD__TRACE_REC_EVENT) {
                        if (ev == a || ev == b) {
                                buf[pos + offsetof(struct ward__trace_rec, tsc) + 6] ^= 0x5a;
                        }
                        ev++;
                }
                pos += r.size;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_EQ(write(fd, buf, (size_t)n), n);
        close(fd);
}

/* in_order: the text lines' times never go back; returns the line count. */
static int in_order(const char *text)
{
        unsigned long long last = 0;
        int lines = 0;
        for (const char *p = text; *p; p = strchr(p, '\n') + 1, lines++) {
                unsigned long long ns = strtoull(p, NULL, 10);
                ASSERT_TRUE(ns >= last);
                last = ns;
        }
        return lines;
}

/* check_damaged: merge says what it fixed, exits 1, keeps every event in
 * time order, and babeltrace2 reads its CTF with every event. */
static void check_damaged(const char *path)
{
        static char out[1 << 16];
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s 2>/dev/null", WARD_BIN_DIR, path);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 1);
        ASSERT_EQ(in_order(out), EVENTS);
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s 2>&1 >/dev/null", WARD_BIN_DIR, path);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 1);
        ASSERT_TRUE(strstr(out, "time") != NULL);
        if (!have("/usr/bin/babeltrace2")) {
                fprintf(stderr, "babeltrace2 is not installed: CTF check skipped\n");
                return;
        }
        snprintf(cmd, sizeof(cmd),
                 "rm -rf %s.ctf; %s/ward trace merge --ctf %s.ctf %s 2>/dev/null; "
                 "babeltrace2 %s.ctf | wc -l; rm -rf %s.ctf",
                 path, WARD_BIN_DIR, path, path, path, path);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_EQ(atoi(out), EVENTS);
        snprintf(cmd, sizeof(cmd),
                 "rm -rf %s.ctf; %s/ward trace merge --ctf %s.ctf %s 2>/dev/null; "
                 "babeltrace2 %s.ctf >/dev/null 2>&1; echo $?; rm -rf %s.ctf",
                 path, WARD_BIN_DIR, path, path, path, path);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_EQ(atoi(out), 0);
}

TEST(damaged_tsc_bytes_come_out_in_order_and_babeltrace2_reads_them)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/damaged-tsc.trace.1", dir);
        damage(path, 5, 9);
        check_damaged(path);
        unlink(path);
}

TEST(a_damaged_tsc_base_comes_out_readable)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/damaged-base.trace.1", dir);
        damage(path, -1, -1);
        check_damaged(path);
        unlink(path);
}

/* Every input of the exporters' fuzz corpus that merge turns into CTF is
 * CTF that babeltrace2 reads. */
TEST(babeltrace2_reads_whatever_merge_exports_from_the_corpus)
{
        char cmd[2048], out[64];
        const char *corpus = WARD_SOURCE_DIR "/fuzz/corpus/fuzz-trace-export";
        if (!have("/usr/bin/babeltrace2")) {
                SKIP("babeltrace2 is not installed");
        }
        DIR *d = opendir(corpus);
        struct dirent *e;
        int checked = 0;
        ASSERT_TRUE(d != NULL);
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.') {
                        continue;
                }
                snprintf(cmd, sizeof(cmd),
                         "rm -rf %s/c.ctf; %s/ward trace merge --ctf %s/c.ctf %s/%s "
                         ">/dev/null 2>&1; if [ -f %s/c.ctf/metadata ]; then "
                         "babeltrace2 %s/c.ctf >/dev/null 2>&1; echo $?; else echo none; fi",
                         dir, WARD_BIN_DIR, dir, corpus, e->d_name, dir, dir);
                ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
                if (strcmp(out, "none\n") != 0) {
                        if (strcmp(out, "0\n") != 0) {
                                TEST_FAIL("babeltrace2 refused the CTF of corpus file %s",
                                          e->d_name);
                        }
                        checked++;
                }
        }
        closedir(d);
        snprintf(cmd, sizeof(cmd), "rm -rf %s/c.ctf", dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_TRUE(checked > 0);
}

TEST(cleanup)
{
        char cmd[256], out[16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
}

TEST_MAIN()
