/* The tracer's producer side, counted from the files it writes: exact drop
 * accounting, the block policy, threads that exit, fork, a flush from a
 * signal handler, a level set from outside. Tracing starts once per process,
 * so each case runs in a child. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test.h"
#include "trace-count.h"

#define EVENTS 200000

static struct ward_trace_options opts(const char *dir, size_t buffer, int policy)
{
        struct ward_trace_options o = {.size = sizeof(o),
                                       .level = WARD_TRACE_INFO,
                                       .dir = dir,
                                       .name = "t",
                                       .buffer_size = buffer,
                                       .flush_interval_ns = 1000000,
                                       .policy = policy};
        return o;
}

static pid_t last_child;

/* in_child: run fn in a child process; its exit status. */
static int in_child(void (*fn)(const char *), const char *dir)
{
        pid_t pid = fork();
        last_child = pid;
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                fn(dir);
                exit(0);
        }
        int st;
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void *flat_out(void *arg)
{
        (void)arg;
        for (int i = 0; i < EVENTS; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "value %d name %s", i, "abc");
        }
        return NULL;
}

static void two_threads(void)
{
        pthread_t t[2];
        for (int i = 0; i < 2; i++) {
                ASSERT_EQ(pthread_create(&t[i], NULL, flat_out, NULL), 0);
        }
        for (int i = 0; i < 2; i++) {
                pthread_join(t[i], NULL);
        }
}

static void drops_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 64 * 1024, WARD_TRACE_DROP);
        ASSERT_EQ(ward_trace_start(&o), 0);
        two_threads();
        uint64_t dropped = ward_trace_dropped();
        ward_trace_stop();
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.lost, dropped);
        ASSERT_EQ(c.events + c.lost, 2 * EVENTS);
}

TEST(full_buffers_count_every_drop)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(drops_child, dir), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events + c.lost, 2 * EVENTS);
        ASSERT_EQ(c.ntids, 2);
        remove_dir(dir);
}

static void block_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 64 * 1024, WARD_TRACE_BLOCK);
        ASSERT_EQ(ward_trace_start(&o), 0);
        two_threads();
        ASSERT_EQ(ward_trace_dropped(), 0);
}

TEST(block_policy_loses_nothing)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(block_child, dir), 0); /* exit() flushes: atexit */
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 2 * EVENTS);
        ASSERT_EQ(c.lost, 0);
        remove_dir(dir);
}

static void *hundred(void *arg)
{
        for (int i = 0; i < 100; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "thread %d event %d", (int)(intptr_t)arg, i);
        }
        return NULL;
}

static void exits_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 64 * 1024, WARD_TRACE_DROP);
        o.max_threads = 2;
        o.flush_interval_ns = 10000000000ull; /* only our flushes free slots */
        ASSERT_EQ(ward_trace_start(&o), 0);
        for (int i = 0; i < 10; i++) { /* 10 threads through 2 slots */
                pthread_t t;
                ASSERT_EQ(pthread_create(&t, NULL, hundred, (void *)(intptr_t)i), 0);
                pthread_join(t, NULL);
                ASSERT_EQ(ward_trace_flush(), 100);
        }
        ward_trace_stop();
}

TEST(exited_threads_are_flushed_and_their_slots_reused)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(exits_child, dir), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.files, 10);
        ASSERT_EQ(c.events, 1000);
        for (unsigned i = 0; i < c.ntids; i++) {
                ASSERT_EQ(c.per_tid[i], 100);
        }
        remove_dir(dir);
}

static void fork_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 64 * 1024, WARD_TRACE_DROP);
        ASSERT_EQ(ward_trace_start(&o), 0);
        for (int i = 0; i < 10; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "parent before %d", i);
        }
        pid_t pid = fork();
        if (pid == 0) {
                for (int i = 0; i < 20; i++) {
                        WARD_TRACE(WARD_TRACE_INFO, "child %d", i);
                }
                exit(0); /* atexit: the child's own tracer flushes */
        }
        for (int i = 0; i < 10; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "parent after %d", i);
        }
        int st;
        waitpid(pid, &st, 0);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        char shm[64];
        snprintf(shm, sizeof(shm), "/dev/shm/ward-trace.%d", (int)pid);
        ASSERT_TRUE(access(shm, F_OK) != 0); /* removed at the child's clean exit */
        ward_trace_stop();
        exit(0);
}

TEST(a_fork_child_traces_into_buffers_of_its_own)
{
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
        /* The sanitizers' allocators are not fork-safe in a multi-threaded
         * process (a child can inherit their lock held; TSan refuses new
         * threads after such a fork); glibc's is, and the plain build runs
         * this case */
        fprintf(stderr, "a_fork_child_traces_into_buffers_of_its_own: not under sanitizers\n");
        return;
#endif
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(fork_child, dir), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.ntids, 2);
        ASSERT_EQ(c.events, 40);
        ASSERT_EQ(c.per_tid[0] + c.per_tid[1], 40);
        ASSERT_TRUE(c.per_tid[0] == 20 && c.per_tid[1] == 20);
        remove_dir(dir);
}

static void on_segv(int sig)
{
        (void)sig;
        ward_trace_flush();
        _exit(3);
}

static void signal_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 1024 * 1024, WARD_TRACE_DROP);
        o.flush_interval_ns = 10000000000ull; /* the flusher sleeps: only the handler writes */
        ASSERT_EQ(ward_trace_start(&o), 0);
        signal(SIGSEGV, on_segv);
        for (int i = 0; i < 1000; i++) {
                WARD_TRACE(WARD_TRACE_ERROR, "before the crash %d", i);
        }
        raise(SIGSEGV);
}

TEST(a_signal_handler_flushes)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(signal_child, dir), 3);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 1000);
        char shm[64]; /* it died: its buffers file stays, for ward trace recover */
        snprintf(shm, sizeof(shm), "/dev/shm/ward-trace.%d", (int)last_child);
        ASSERT_EQ(unlink(shm), 0);
        remove_dir(dir);
}

static void level_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 64 * 1024, WARD_TRACE_DROP);
        ASSERT_EQ(ward_trace_start(&o), 0);
        ASSERT_EQ(ward_trace_get_level(), WARD_TRACE_INFO);
        char path[64];
        snprintf(path, sizeof(path), "/dev/shm/ward-trace.%d", (int)getpid());
        int fd = open(path, O_RDWR);
        ASSERT_TRUE(fd >= 0);
        struct ward__trace_shm *h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ASSERT_TRUE(h != MAP_FAILED);
        __atomic_store_n(&h->level, WARD_TRACE_ERROR, __ATOMIC_RELAXED); /* as ward trace level */
        for (int i = 0; i < 500 && ward_trace_get_level() != WARD_TRACE_ERROR; i++) {
                struct timespec ts = {0, 2000000};
                nanosleep(&ts, NULL);
        }
        ASSERT_EQ(ward_trace_get_level(), WARD_TRACE_ERROR);
        WARD_TRACE(WARD_TRACE_INFO, "filtered out");
        WARD_TRACE(WARD_TRACE_ERROR, "kept");
        ward_trace_stop();
}

TEST(the_level_can_be_changed_from_outside)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(level_child, dir), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 1);
        remove_dir(dir);
}

static void rotation_child(const char *dir)
{
        struct ward_trace_options o = opts(dir, 64 * 1024, WARD_TRACE_BLOCK);
        o.rotate_bytes = 8192;
        o.rotate_keep = 3;
        ASSERT_EQ(ward_trace_start(&o), 0);
        for (int i = 0; i < 5000; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "event %d", i);
                if (i % 100 == 99) {
                        ward_trace_flush(); /* many small writes: rotation at record edges */
                }
        }
        ward_trace_stop();
}

TEST(rotation_keeps_n_files)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(rotation_child, dir), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.files, 3); /* t.trace.TID, .1 and .2 */
        ASSERT_TRUE(c.events > 0 && c.events < 5000);
        char path[256];
        snprintf(path, sizeof(path), "%s/t.trace.%u.2", dir, c.tids[0]);
        ASSERT_EQ(access(path, F_OK), 0);
        snprintf(path, sizeof(path), "%s/t.trace.%u.3", dir, c.tids[0]);
        ASSERT_TRUE(access(path, F_OK) != 0);
        /* every file reads alone: each starts with the SITE record it needs */
        ASSERT_EQ(c.sites, 3);
        remove_dir(dir);
}

TEST_MAIN()
