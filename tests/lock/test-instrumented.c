/* `ward locks` on live processes that use ward_mutex/ward_rwlock or run
 * under libward-locks.so: the registry's locks with names, owners, waiters
 * and statistics next to the blocked threads and their stacks; -e, -a,
 * --json, --report; a stale or damaged registry file is ignored with a note;
 * the preload shim instruments an unmodified program and reports a lock
 * order inversion once; a long wait becomes a trace event.
 *
 * The scenarios run in fresh processes (this program, re-executed with the
 * scenario's name), which the test never stops. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/lock.h>
#include <ward/trace.h>

#include "lock/layout.h"
#include "test-run.h"
#include "test.h"

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* ---- scenarios (in the child) ---- */

static ward_mutex cache = WARD_MUTEX_INIT("cache");
static ward_mutex idle = WARD_MUTEX_INIT("idle");
static ward_rwlock table = WARD_RWLOCK_INIT("table");
static pthread_mutex_t held_global = PTHREAD_MUTEX_INITIALIZER;

static void ready(void)
{
        if (write(1, "ready\n", 6) != 6) {
                _exit(3);
        }
}

__attribute__((noinline)) static void *waiter_main(void *arg)
{
        (void)arg;
        ward_mutex_lock(&cache);
        return NULL;
}

static void scenario_held(void)
{
        pthread_t t;
        ward_mutex_lock(&idle);
        ward_mutex_unlock(&idle);
        ward_mutex_lock(&cache);
        ward_rwlock_rdlock(&table);
        pthread_mutex_lock(&held_global);
        pthread_create(&t, NULL, waiter_main, NULL);
        sleep_ms(100); /* the waiter blocks */
        ready();
        pause();
}

/* plain pthread code, instrumented only by the preload shim */
static pthread_mutex_t plain_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t plain_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t plain_b = PTHREAD_MUTEX_INITIALIZER;

static void *plain_contender(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&plain_m);
        pthread_mutex_unlock(&plain_m);
        return NULL;
}

static void plain_in_order(pthread_mutex_t *x, pthread_mutex_t *y)
{
        pthread_mutex_lock(x);
        pthread_mutex_lock(y);
        pthread_mutex_unlock(y);
        pthread_mutex_unlock(x);
}

static void scenario_plain(void)
{
        pthread_t t;
        for (int i = 0; i < 3; i++) { /* three contended acquisitions */
                pthread_mutex_lock(&plain_m);
                pthread_create(&t, NULL, plain_contender, NULL);
                sleep_ms(30);
                pthread_mutex_unlock(&plain_m);
                pthread_join(t, NULL);
        }
        for (int i = 0; i < 5; i++) { /* an inversion that never deadlocks */
                plain_in_order(&plain_a, &plain_b);
                plain_in_order(&plain_b, &plain_a);
        }
        pthread_mutex_lock(&plain_m);
        pthread_create(&t, NULL, plain_contender, NULL);
        sleep_ms(100);
        ready();
        pause();
}

static ward_mutex slow = WARD_MUTEX_INIT("slow");

static void *slow_waiter(void *arg)
{
        (void)arg;
        ward_mutex_lock(&slow);
        ward_mutex_unlock(&slow);
        return NULL;
}

static void scenario_long(const char *dir)
{
        struct ward_trace_options o = {.size = sizeof(o), .level = WARD_TRACE_INFO, .dir = dir};
        pthread_t t;
        if (ward_trace_start(&o) < 0) {
                _exit(3);
        }
        ward_lock_long_wait_ns(1000000);
        ward_mutex_lock(&slow);
        pthread_create(&t, NULL, slow_waiter, NULL);
        sleep_ms(30);
        ward_mutex_unlock(&slow);
        pthread_join(t, NULL);
        ward_trace_stop();
        _exit(0);
}

/* ---- the parent's side ---- */

struct child {
        pid_t pid;
        int out; /* its stdout */
};

/* start: this program as `scenario arg`, with env (NULL-terminated extra
 * variables), stderr to err_fd (-1: ours); waits for "ready" unless wait is 0 */
static struct child start(const char *scenario, const char *arg, const char *const *env, int err_fd,
                          int wait)
{
        int p[2];
        struct child c;
        ASSERT_EQ(pipe(p), 0);
        c.pid = fork();
        ASSERT_TRUE(c.pid >= 0);
        if (c.pid == 0) {
                dup2(p[1], 1);
                if (err_fd >= 0) {
                        dup2(err_fd, 2);
                }
                for (int i = 0; env && env[i]; i++) {
                        putenv((char *)env[i]);
                }
                execl("/proc/self/exe", "test-lock-instrumented", scenario, arg, (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        c.out = p[0];
        if (wait) {
                char buf[8] = "";
                ASSERT_EQ(read(c.out, buf, 6), 6);
                ASSERT_EQ(strncmp(buf, "ready", 5), 0);
        }
        return c;
}

static void stop(struct child *c)
{
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        close(c->out);
}

static int ward_locks(pid_t pid, const char *opt, char *out, size_t size)
{
        char p[16];
        snprintf(p, sizeof(p), "%d", (int)pid);
        const char *with[] = {"locks", opt, p, NULL}, *without[] = {"locks", p, NULL};
        return test_run_ward(opt ? with : without, NULL, -1, out, size);
}

static char out[1 << 16];

TEST(registry_next_to_the_scan)
{
        struct child c = start("held", NULL, NULL, -1, 1);
        ASSERT_EQ(ward_locks(c.pid, NULL, out, sizeof(out)), 0);
        fprintf(stderr, "%s", out);
        ASSERT_TRUE(strstr(out, "mutex \"cache\"") != NULL);
        ASSERT_TRUE(strstr(out, "test-instrumented.c:") != NULL); /* creation site */
        ASSERT_TRUE(strstr(out, ", 1 waiting") != NULL);
        ASSERT_TRUE(strstr(out, "rwlock \"table\"") != NULL);
        ASSERT_TRUE(strstr(out, "read-held by 1 thread") != NULL);
        ASSERT_TRUE(strstr(out, "last acquired at -") == NULL); /* the reader's site too */
        ASSERT_TRUE(strstr(out, "mutex \"idle\"") != NULL);
        ASSERT_TRUE(strstr(out, "(cache) held by thread") != NULL); /* the blocked thread */
        ASSERT_TRUE(strstr(out, "no deadlock") != NULL);

        ASSERT_EQ(ward_locks(c.pid, "-e", out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "mutex \"cache\"") != NULL);
        ASSERT_TRUE(strstr(out, "mutex \"idle\"") == NULL); /* not held */

        ASSERT_EQ(ward_locks(c.pid, "-a", out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "!held_global") != NULL);

        ASSERT_EQ(ward_locks(c.pid, "--json", out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "\"registry\":\"ok\"") != NULL);
        ASSERT_TRUE(strstr(out, "\"name\":\"cache\"") != NULL);
        ASSERT_TRUE(strstr(out, "\"waiters\":1") != NULL);

        ASSERT_EQ(ward_locks(c.pid, "--report", out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "cache") != NULL);
        stop(&c);
}

TEST(stacks_of_blocked_threads)
{
        struct child c = start("held", NULL, NULL, -1, 1);
        ASSERT_EQ(ward_locks(c.pid, NULL, out, sizeof(out)), 0);
        char *line = strstr(out, "(cache) held by thread");
        ASSERT_TRUE(line != NULL);
        ASSERT_TRUE(strstr(line, "waiter_main (test-instrumented.c:") != NULL);
        stop(&c);
}

/* fake_registry: a registry file for pid as a dead process with that pid
 * would have left it (start time 1), or damaged */
static void fake_registry(pid_t pid, int damaged)
{
        char path[64];
        snprintf(path, sizeof(path), "/dev/shm/ward-locks.%d", (int)pid);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(ftruncate(fd, (off_t)WARD__LOCKREG_FILE_SIZE), 0);
        struct ward__lockreg_header *h =
            mmap(NULL, WARD__LOCKREG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ASSERT_TRUE(h != MAP_FAILED);
        h->magic = damaged ? 42 : WARD__LOCKREG_MAGIC;
        h->version = WARD__LOCKREG_VERSION;
        h->entry_size = sizeof(struct ward_lock_entry);
        h->capacity = WARD__LOCKREG_ENTRIES;
        h->pid = pid;
        h->start_time = 1;
        h->used = 1;
        struct ward_lock_entry *e = (void *)((char *)h + WARD__LOCKREG_ENTRIES_OFFSET);
        e->kind = WARD_LOCK_ENTRY_MUTEX;
        snprintf(e->name, sizeof(e->name), "ghost");
        munmap(h, WARD__LOCKREG_FILE_SIZE);
        close(fd);
}

TEST(stale_registry_is_ignored)
{
        char path[64];
        struct child c = start("plain", NULL, NULL, open("/dev/null", O_WRONLY), 1);
        snprintf(path, sizeof(path), "/dev/shm/ward-locks.%d", (int)c.pid);
        fake_registry(c.pid, 0);
        ASSERT_EQ(ward_locks(c.pid, NULL, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "stale") != NULL);
        ASSERT_TRUE(strstr(out, "ghost") == NULL);
        ASSERT_TRUE(strstr(out, "!plain_m) held by thread") != NULL); /* the scan still works */
        fake_registry(c.pid, 1);
        ASSERT_EQ(ward_locks(c.pid, "--json", out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "\"registry\":\"damaged\"") != NULL);
        ASSERT_TRUE(strstr(out, "ghost") == NULL);
        unlink(path);
        stop(&c);
}

TEST(preload_instruments_a_plain_program)
{
        char env[512], log[] = "/tmp/ward-preload-XXXXXX", text[8192];
        snprintf(env, sizeof(env), "LD_PRELOAD=%s/libward-locks.so", WARD_LIB_DIR);
        const char *vars[] = {env, "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0", NULL};
        int fd = mkstemp(log);
        ASSERT_TRUE(fd >= 0);
        unlink(log);
        struct child c = start("plain", NULL, vars, fd, 1);
        ASSERT_EQ(ward_locks(c.pid, NULL, out, sizeof(out)), 0);
        fprintf(stderr, "%s", out);
        ASSERT_TRUE(strstr(out, "instrumented locks") != NULL);
        ASSERT_TRUE(strstr(out, "plain_m") != NULL);
        ASSERT_TRUE(strstr(out, ", 1 waiting") != NULL);
        ASSERT_TRUE(strstr(out, "LOCK ORDER INVERSION") != NULL);
        ASSERT_TRUE(strstr(out, "!plain_a\" at ") != NULL); /* named by symbol */
        char *created = strstr(out, "created at "); /* a function (file:line) of this test */
        ASSERT_TRUE(created != NULL);
        char *named = strstr(created, " (test-instrumented.c:");
        ASSERT_TRUE(named != NULL && named < strchr(created, '\n'));
        ASSERT_EQ(ward_locks(c.pid, "--report", out, sizeof(out)), 0);
        fprintf(stderr, "%s", out);
        char *first = strstr(out, "\n1 "); /* the top line: plain_m, 3 contended */
        ASSERT_TRUE(first != NULL);
        ASSERT_TRUE(strstr(first, "plain_m") != NULL);
        ASSERT_TRUE(strstr(first, " 3 ") != NULL);
        stop(&c);
        ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
        ASSERT_TRUE(n > 0);
        text[n] = '\0';
        char *inv = strstr(text, "lock order inversion");
        ASSERT_TRUE(inv != NULL);
        ASSERT_TRUE(strstr(inv + 1, "lock order inversion") == NULL); /* once */
        close(fd);
}

TEST(long_wait_becomes_a_trace_event)
{
        char dir[] = "/tmp/ward-longwait-XXXXXX";
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        struct child c = start("long", dir, NULL, -1, 0);
        int status;
        ASSERT_EQ(waitpid(c.pid, &status, 0), c.pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(c.out);
        const char *args[] = {"trace", "merge", dir, NULL};
        ASSERT_EQ(test_run_ward(args, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "long wait: lock slow") != NULL);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        ASSERT_EQ(system(cmd), 0);
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "held") == 0) {
                scenario_held();
        } else if (argc >= 2 && strcmp(argv[1], "plain") == 0) {
                scenario_plain();
        } else if (argc >= 3 && strcmp(argv[1], "long") == 0) {
                scenario_long(argv[2]);
        }
        for (int i = 0; i < test_count; i++) {
                fprintf(stderr, "== %s\n", test_cases[i].name);
                test_cases[i].fn();
        }
        return 0;
}

struct test_case test_cases[TEST_MAX];
int test_count;
