/* ward trace merge on real trace files: every argument type comes back,
 * threads and processes interleave in time order, JSON parses with paired
 * spans, babeltrace2 reads the CTF export with the same event count, and a
 * truncated or corrupted file gives an error plus its readable events. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test.h"
#include "trace-count.h"
#include "trace-raw.h"

static char dir[64];

/* The sanitizers' allocators are not fork-safe in a multi-threaded process
 * (the child's flusher can block on their lock; TSan refuses new threads):
 * under them, the second process is left out. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SECOND_PROCESS 0
#else
#define SECOND_PROCESS 1
#endif

/* run: a shell command's exit status, its stdout in out. */
static int run(const char *cmd, char *out, size_t size)
{
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(out, 1, size - 1, p) : 0;
        out[n] = '\0';
        int st = p ? pclose(p) : -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void *thread_events(void *arg)
{
        for (int i = 0; i < 100; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "thread %ld event %d", (long)(intptr_t)arg, i);
        }
        return NULL;
}

/* the traced program: a child, so that tracing starts fresh */
static void write_traces(void)
{
        struct ward_trace_options o = {.size = sizeof(o), .dir = dir, .name = "m"};
        if (ward_trace_start(&o) < 0) {
                _exit(1);
        }
        char longs[1500];
        memset(longs, 'x', sizeof(longs) - 1);
        longs[sizeof(longs) - 1] = '\0';
        WARD_TRACE(WARD_TRACE_ERROR, "i32 %d u32 %u i64 %lld u64 %llu", -7, 4000000000u,
                   -9000000000ll, 18000000000000000000ull);
        WARD_TRACE(WARD_TRACE_ERROR, "min %d %lld max %d %llu", INT32_MIN, (long long)INT64_MIN,
                   INT32_MAX, (unsigned long long)UINT64_MAX);
        WARD_TRACE(WARD_TRACE_WARN, "f64 %.3f float %g char %c ptr %p", 2.5, 0.25f, 'q',
                   (void *)0x1234);
        WARD_TRACE(WARD_TRACE_INFO, "str [%s] empty [%s] long %s", "abc", "", longs);
        WARD_SPAN_BEGIN("outer");
        WARD_COUNTER("depth", 3);
        WARD_SPAN_END("outer");
        pid_t pid = SECOND_PROCESS ? fork() : -1;
        if (pid == 0) { /* a second process */
                for (int i = 0; i < 50; i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "process two event %d", i);
                }
                exit(0);
        }
        /* threads only after the fork: a child forked while other threads
         * allocate can inherit a held allocator lock (ASan's, at least) */
        pthread_t t[2];
        for (long i = 0; i < 2; i++) {
                pthread_create(&t[i], NULL, thread_events, (void *)(intptr_t)i);
        }
        for (long i = 0; i < 2; i++) {
                pthread_join(t[i], NULL);
        }
        if (pid > 0) {
                waitpid(pid, NULL, 0);
        }
        exit(0);
}

TEST(setup)
{
        snprintf(dir, sizeof(dir), "%s", make_temp_dir());
        pid_t pid = fork();
        if (pid == 0) {
                write_traces();
        }
        int st;
        waitpid(pid, &st, 0);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(every_argument_type_round_trips)
{
        static char out[1 << 20];
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s", WARD_BIN_DIR, dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "i32 -7 u32 4000000000 i64 -9000000000 u64 18000000000000000000"));
        ASSERT_TRUE(strstr(out, "min -2147483648 -9223372036854775808 max 2147483647 "
                                "18446744073709551615"));
        ASSERT_TRUE(strstr(out, "f64 2.500 float 0.25 char q ptr 0x1234"));
        ASSERT_TRUE(strstr(out, "str [abc] empty [] long xxx"));
        char *l = strstr(out, "long ");
        ASSERT_EQ(strcspn(l + 5, "\n"), WARD_TRACE_STR_MAX); /* cut at 1024 bytes */
        ASSERT_TRUE(strstr(out, "begin outer") && strstr(out, "end outer"));
        ASSERT_TRUE(strstr(out, "depth 3"));
}

TEST(threads_and_processes_come_out_in_time_order)
{
        static char out[1 << 20];
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s", WARD_BIN_DIR, dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        unsigned long long last = 0;
        int lines = 0, two = 0;
        for (char *p = out; *p; p = strchr(p, '\n') + 1) {
                unsigned long long ns = strtoull(p, NULL, 10);
                ASSERT_TRUE(ns >= last);
                last = ns;
                lines++;
                two += strncmp(strchr(p, ']') + 2, "process two", 11) == 0;
        }
        ASSERT_EQ(lines, 7 + 200 + 50 * SECOND_PROCESS);
        ASSERT_EQ(two, 50 * SECOND_PROCESS);
}

TEST(json_parses_and_spans_pair)
{
        char cmd[512], out[256];
        snprintf(cmd, sizeof(cmd),
                 "%s/ward trace merge --json %s | python3 -c '"
                 "import json,sys; d=json.load(sys.stdin)[\"traceEvents\"]; "
                 "b=sum(e[\"ph\"]==\"B\" for e in d); e=sum(e[\"ph\"]==\"E\" for e in d); "
                 "n=sum(e[\"ph\"] in \"iBEC\" for e in d); print(b, e, n)'",
                 WARD_BIN_DIR, dir);
        if (access("/usr/bin/python3", X_OK) != 0) {
                SKIP("python3 is not installed: cannot parse the JSON");
        }
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_EQ(strcmp(out, SECOND_PROCESS ? "1 1 257\n" : "1 1 207\n"), 0);
}

TEST(babeltrace2_reads_the_ctf_export)
{
        char cmd[512], out[64];
        if (access("/usr/bin/babeltrace2", X_OK) != 0) {
                fprintf(stderr, "babeltrace2 is not installed: CTF check skipped\n");
                return;
        }
        snprintf(cmd, sizeof(cmd),
                 "rm -rf %s.ctf && %s/ward trace merge --ctf %s.ctf %s && "
                 "babeltrace2 %s.ctf 2>/dev/null | wc -l && rm -rf %s.ctf",
                 dir, WARD_BIN_DIR, dir, dir, dir, dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        ASSERT_EQ(atoi(out), 207 + 50 * SECOND_PROCESS);
}

/* damaged: a copy of the biggest trace file, cut inside its at-th record
 * (or, when corrupt, with that record's size made absurd). */
static void damaged(const char *name, long at, int corrupt)
{
        char cmd[1024], out[512];
        snprintf(cmd, sizeof(cmd), "ls -S %s/m.trace.* | head -1", dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 0);
        out[strcspn(out, "\n")] = '\0';
        snprintf(cmd, sizeof(cmd), "%s/%s", dir, name);
        /* in the fixed record layout (version 2), where sizes can be cut */
        ASSERT_EQ(trace_raw_copy(out, cmd), 0);
        int in = open(cmd, O_RDONLY);
        static char buf[1 << 16];
        ssize_t n = read(in, buf, sizeof(buf));
        close(in);
        int fd = open(cmd, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        uint32_t hdr_size; /* the header's own size field (offset 12) */
        memcpy(&hdr_size, buf + 12, sizeof(hdr_size));
        long pos = hdr_size; /* at: the at-th record, whatever the records' sizes */
        for (long k = 0; k < at && pos + 2 <= n; k++) {
                uint16_t size;
                memcpy(&size, buf + pos, 2);
                pos += size;
        }
        ASSERT_TRUE(pos + 8 < n);
        if (corrupt) {
                buf[pos] = (char)0xff;
                buf[pos + 1] = (char)0x7f; /* a record size past the end */
        }
        at = corrupt ? n : pos + 5; /* cut: inside that record's header */
        ASSERT_TRUE(write(fd, buf, (size_t)at) > 0);
        close(fd);
}

/* events: the events ward trace merge prints of path, or -1 when it fails
 * otherwise than by reporting damage (exit 0 or 1). */
static int events_of(const char *path)
{
        static char out[1 << 16];
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s 2>/dev/null", WARD_BIN_DIR, path);
        int st = run(cmd, out, sizeof(out));
        if (st != 0 && st != 1) {
                return -1;
        }
        int n = 0;
        for (char *p = out; (p = strstr(p, " : [")); p++) {
                n++;
        }
        return n;
}

/* A packed (version 3) file cut at any byte: the reader keeps every event
 * before the cut, so that cutting later never gives fewer events, and the
 * whole file gives them all. */
TEST(a_packed_file_cut_anywhere_keeps_the_events_before_the_cut)
{
        char cmd[1024], src[512], cut[600];
        static uint8_t buf[1 << 16];
        snprintf(cmd, sizeof(cmd), "ls -S %s/m.trace.* | tail -1", dir);
        ASSERT_EQ(run(cmd, src, sizeof(src)), 0);
        src[strcspn(src, "\n")] = '\0';
        int in = open(src, O_RDONLY);
        ssize_t n = read(in, buf, sizeof(buf));
        close(in);
        struct ward__trace_file_hdr h;
        ASSERT_TRUE(n > (ssize_t)sizeof(h) && n < (ssize_t)sizeof(buf));
        memcpy(&h, buf, sizeof(h));
        ASSERT_EQ(h.version, WARD__TRACE_FILE_VERSION);
        snprintf(cut, sizeof(cut), "%s/cut-packed.trace.1", dir);
        int last = 0, all = events_of(src);
        ASSERT_TRUE(all >= 50);
        for (ssize_t at = (ssize_t)sizeof(h); at <= n; at += 7) {
                int fd = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                ASSERT_EQ(write(fd, buf, (size_t)at), at);
                close(fd);
                int got = events_of(cut);
                ASSERT_TRUE(got >= last && got <= all);
                last = got;
        }
        ASSERT_TRUE(last >= all - 1); /* cut within 7 bytes of the end */
        unlink(cut);
}

TEST(damaged_files_give_an_error_and_their_readable_events)
{
        char cmd[1024];
        static char out[1 << 16];
        damaged("cut.trace.1", 10, 0);
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s/cut.trace.1 2>&1", WARD_BIN_DIR, dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 1);
        ASSERT_TRUE(strstr(out, "truncated") != NULL);
        ASSERT_TRUE(strstr(out, " : [") != NULL); /* events before the cut */
        damaged("bad.trace.1", 3, 1);
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge %s/bad.trace.1 2>&1", WARD_BIN_DIR, dir);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 1);
        ASSERT_TRUE(strstr(out, "offset") != NULL);
        snprintf(cmd, sizeof(cmd), "%s/ward trace merge /etc/hostname 2>&1", WARD_BIN_DIR);
        ASSERT_EQ(run(cmd, out, sizeof(out)), 1);
        ASSERT_TRUE(strstr(out, "not a") != NULL);
        remove_dir(dir);
}

TEST_MAIN()
