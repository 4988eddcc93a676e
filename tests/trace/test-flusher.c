/* The flusher keeps up: a paced producer loses nothing with the defaults, a
 * producer that outruns the flusher still accounts for every event, the tail
 * of a thread that exits is flushed without anyone asking, and producers
 * wake the flusher at the watermark, not per event; each flusher lane
 * writes its own threads, and rotation closes every file it deletes. Counted from the files
 * and from the flusher's own counters (ward__trace_get_stats); nothing here
 * asserts how long anything took. Tracing starts once per process, so each
 * case runs in a child. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test.h"
#include "trace-count.h"
#include "trace/tracer.h"

#define EVENT_BYTES 32 /* ("value %d name %s", i, "abc"): header 16, 4 + 2 + 3, padded */

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* paced: rate events a second for seconds, a millisecond's worth at a time,
 * sleeping until each batch is due; returns the events traced. */
static long paced(long rate, double seconds)
{
        long batch = rate / 1000, total = (long)((double)rate * seconds), i = 0;
        uint64_t t0 = now_ns();
        while (i < total) {
                uint64_t due = t0 + (uint64_t)i * 1000000000u / (uint64_t)rate;
                struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                for (long k = 0; k < batch && i < total; k++, i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", (int)i, "abc");
                }
        }
        return i;
}

static long flat_out(long n)
{
        for (long i = 0; i < n; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", (int)i, "abc");
        }
        return n;
}

/* in_child: run fn(dir) in a child process; its exit status. */
static int in_child(void (*fn)(const char *), const char *dir)
{
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                fn(dir);
                exit(0);
        }
        int st;
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* in_child_with_dir: fn in a child, in a directory of its own, removed
 * after; the child must exit 0. */
static void in_child_with_dir(void (*fn)(const char *))
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(fn, dir), 0);
        remove_dir(dir);
}

static struct ward_trace_options defaults(const char *dir)
{
        struct ward_trace_options o = {.size = sizeof(o), .dir = dir, .name = "t"};
        return o;
}

static void paced_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        ASSERT_EQ(ward_trace_start(&o), 0);
        long n = paced(1000000, 1.0);
        ward_trace_stop();
        ASSERT_EQ(ward_trace_dropped(), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, n);
        ASSERT_EQ(c.lost, 0);
}

TEST(a_paced_producer_loses_nothing_with_the_defaults)
{
        in_child_with_dir(paced_child);
}

static void *burst_two_hundred_thousand(void *arg)
{
        (void)arg;
        flat_out(200000);
        return NULL;
}

static void outrun_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        o.buffer_size = 64 * 1024; /* 2,048 events: the producers outrun any flusher */
        ASSERT_EQ(ward_trace_start(&o), 0);
        pthread_t t[2];
        for (int i = 0; i < 2; i++) {
                ASSERT_EQ(pthread_create(&t[i], NULL, burst_two_hundred_thousand, NULL), 0);
        }
        for (int i = 0; i < 2; i++) {
                pthread_join(t[i], NULL);
        }
        struct ward__trace_stats st;
        ASSERT_EQ(ward__trace_get_stats(&st), 0);
        ward_trace_stop();
        uint64_t dropped = ward_trace_dropped();
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events + c.lost, 2 * 200000); /* written + lost == traced */
        ASSERT_EQ(c.lost, dropped);
        /* a full ring sends every event to the slow path; it wakes the
         * flusher once per half ring written at most (twice, to allow for a
         * producer that saw the flusher asleep a moment late), never per
         * event */
        ASSERT_TRUE(st.kicks <= 2 * (c.events * EVENT_BYTES / (o.buffer_size / 2)) + 2);
}

TEST(a_producer_that_outruns_the_flusher_accounts_exactly)
{
        in_child_with_dir(outrun_child);
}

static void exit_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        o.buffer_size = 64 * 1024;
        ASSERT_EQ(ward_trace_start(&o), 0);
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, burst_two_hundred_thousand, NULL), 0);
        pthread_join(t, NULL);
        /* nobody flushes: the flusher finds the exited thread's slot, writes
         * the rest of its ring and the drops it never recorded, and frees it */
        struct trace_count c = {0};
        for (int i = 0; i < 60000; i++) {
                if (count_dir(dir, &c) == 0 && c.events + c.lost == 200000) {
                        break;
                }
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
        }
        ASSERT_EQ(c.events + c.lost, 200000);
        ward_trace_stop();
        ASSERT_EQ(c.lost, ward_trace_dropped());
}

TEST(a_thread_that_exits_mid_burst_has_its_tail_flushed)
{
        in_child_with_dir(exit_child);
}

static void steady_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        o.buffer_size = 256 * 1024;             /* a watermark every 4,096 events */
        o.flush_interval_ns = 1000000000000ull; /* the timer alone would never flush */
        ASSERT_EQ(ward_trace_start(&o), 0);
        uint64_t t0 = now_ns();
        long n = paced(500000, 1.0);
        struct ward__trace_stats st;
        ASSERT_EQ(ward__trace_get_stats(&st), 0);
        uint64_t elapsed = now_ns() - t0;
        ward_trace_stop();
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events + c.lost, n);
        uint64_t marks = (uint64_t)n * EVENT_BYTES / (o.buffer_size / 2);
        /* the watermark did the flushing: at least one kick, at most one per
         * half ring (twice that for a producer that saw the flusher asleep a
         * moment late); every wake-up of the flusher was a kick or its
         * 20 ms level poll */
        ASSERT_TRUE(st.kicks >= 1);
        ASSERT_TRUE(st.kicks <= 2 * marks + 2);
        ASSERT_TRUE(st.wakeups_kick <= st.kicks + 1);
        ASSERT_TRUE(st.wakeups_timer <= elapsed / 20000000u + 2);
}

TEST(the_flusher_wakes_per_watermark_not_per_event)
{
        in_child_with_dir(steady_child);
}

/* Two threads that stay alive, the second started after the first has its
 * slot: slots 0 and 1, so lanes 0 and 1 where there are two CPUs (lane 1
 * without a thread of its own while its ring is not busy: lane 0 writes it
 * then). Nobody flushes: each thread's events must reach its file anyway. */
static pthread_barrier_t lanes_done;

static void *thousand_then_wait(void *arg)
{
        (void)arg;
        flat_out(1000);
        pthread_barrier_wait(&lanes_done);
        return NULL;
}

static void *burst_then_wait(void *arg)
{
        (void)arg;
        flat_out(200000);
        pthread_barrier_wait(&lanes_done);
        return NULL;
}

static void lanes_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        ASSERT_EQ(ward_trace_start(&o), 0);
        ASSERT_TRUE(ward__tracer->nlanes >= 1);
        pthread_barrier_init(&lanes_done, NULL, 3);
        pthread_t t[2];
        struct trace_count c = {0};
        for (int i = 0; i < 2; i++) {
                ASSERT_EQ(pthread_create(&t[i], NULL, thousand_then_wait, NULL), 0);
                for (int k = 0; k < 60000; k++) { /* until its events are in a file */
                        if (count_dir(dir, &c) == 0 && c.events == 1000u * (uint64_t)(i + 1)) {
                                break;
                        }
                        struct timespec ts = {0, 1000000};
                        nanosleep(&ts, NULL);
                }
                ASSERT_EQ(c.events, 1000u * (uint64_t)(i + 1));
        }
        pthread_barrier_wait(&lanes_done);
        for (int i = 0; i < 2; i++) {
                pthread_join(t[i], NULL);
        }
        ward_trace_stop();
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 2000);
}

TEST(each_lane_writes_its_threads_without_being_asked)
{
        in_child_with_dir(lanes_child);
}

/* A second thread that traces fast (200,000 events flat out: 6.4 MB, more
 * than an eighth of its ring) gets a flusher of its own where there are two
 * CPUs: the first flusher, waking for its 20 ms poll (the flush interval is
 * a second and the ring stays under the watermark), starts it. Its events
 * reach the file either way. */
static void busy_lane_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        o.flush_interval_ns = 1000000000u;
        ASSERT_EQ(ward_trace_start(&o), 0);
        pthread_barrier_init(&lanes_done, NULL, 2);
        WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", 0, "abc"); /* slot 0: lane 0 */
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, burst_then_wait, NULL), 0); /* slot 1 */
        struct ward__tracer *tr = ward__tracer;
        for (int k = 0; tr->nlanes >= 2 && k < 60000; k++) {
                if (atomic_load(&tr->lanes[1].running)) {
                        break;
                }
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
        }
        if (tr->nlanes >= 2) {
                ASSERT_TRUE(atomic_load(&tr->lanes[1].running));
        }
        pthread_barrier_wait(&lanes_done);
        pthread_join(t, NULL);
        ward_trace_stop();
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events + c.lost, 200001);
        ASSERT_EQ(c.lost, 0);
}

TEST(a_busy_thread_gets_a_flusher_of_its_own)
{
        in_child_with_dir(busy_lane_child);
}

/* deleted_files_open: descriptors of this process on files of dir that are
 * gone (the buffers file, unlinked at stop but still mapped, is not in dir). */
static int deleted_files_open(const char *dir)
{
        DIR *d = opendir("/proc/self/fd");
        ASSERT_TRUE(d != NULL);
        int n = 0;
        for (struct dirent *e; (e = readdir(d));) {
                char link[300], target[512];
                snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
                ssize_t len = readlink(link, target, sizeof(target) - 1);
                if (len > 0) {
                        target[len] = '\0';
                        n += strncmp(target, dir, strlen(dir)) == 0 &&
                             strstr(target, " (deleted)") != NULL;
                }
        }
        closedir(d);
        return n;
}

/* files_in: entries of dir that are not . or .. */
static int files_in(const char *dir)
{
        DIR *d = opendir(dir);
        ASSERT_TRUE(d != NULL);
        int n = 0;
        for (struct dirent *e; (e = readdir(d));) {
                n += e->d_name[0] != '.';
        }
        closedir(d);
        return n;
}

/* Rotation deletes the oldest file and leaves its last close to the reaper
 * thread: every one of those is closed by the time tracing stops, and the
 * files kept are rotate_keep. */
static void reaper_child(const char *dir)
{
        struct ward_trace_options o = defaults(dir);
        o.rotate_bytes = 8192;
        o.rotate_keep = 2;
        ASSERT_EQ(ward_trace_start(&o), 0);
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, burst_two_hundred_thousand, NULL), 0);
        pthread_join(t, NULL);
        ward_trace_stop();
        ASSERT_EQ(deleted_files_open(dir), 0);
        ASSERT_EQ(files_in(dir), 2);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_TRUE(c.events > 0 && c.events < 200000); /* the older files are gone */
}

TEST(rotation_closes_every_file_it_deletes)
{
        in_child_with_dir(reaper_child);
}

TEST_MAIN()
