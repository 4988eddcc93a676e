/* ward locks PID against real deadlocks: two and three threads over every
 * mutex kind, a writer-held rwlock, a join cycle; a thread blocked behind a
 * sleeping owner is not a deadlock; another user's process is a clear
 * error. The scanned processes are never stopped. */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-run.h"
#include "test.h"

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* ward_locks: `ward locks [opt] pid`, as uid when uid >= 0. */
static int ward_locks(pid_t pid, const char *opt, int uid, char *out, size_t size)
{
        char p[16];
        snprintf(p, sizeof(p), "%d", (int)pid);
        const char *with[] = {"locks", opt, p, NULL}, *without[] = {"locks", p, NULL};
        return test_run_ward(opt ? with : without, NULL, uid, out, size);
}

/* ---- the scenarios, each run in a child process ---- */

static pthread_mutex_t m[3];
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t all_locked;
static int nlocks;

static void *lock_mine_then_next(void *arg)
{
        int i = (int)(intptr_t)arg;
        pthread_mutex_lock(&m[i]);
        pthread_barrier_wait(&all_locked);
        pthread_mutex_lock(&m[(i + 1) % nlocks]);
        return NULL;
}

static void mutex_cycle(int n, int kind, int robust, int pi)
{
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, kind);
        if (robust) {
                pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        }
        if (pi) {
                pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
        }
        nlocks = n;
        pthread_barrier_init(&all_locked, NULL, (unsigned)n);
        pthread_t t[3];
        for (int i = 0; i < n; i++) {
                pthread_mutex_init(&m[i], &a);
        }
        for (int i = 0; i < n; i++) {
                pthread_create(&t[i], NULL, lock_mine_then_next, (void *)(intptr_t)i);
        }
        pthread_join(t[0], NULL);
}

static void *write_then_mutex(void *arg)
{
        (void)arg;
        pthread_rwlock_wrlock(&rw);
        pthread_barrier_wait(&all_locked);
        pthread_mutex_lock(&m[0]);
        return NULL;
}

static void rwlock_cycle(void)
{
        pthread_t t;
        pthread_mutex_init(&m[0], NULL);
        pthread_barrier_init(&all_locked, NULL, 2);
        pthread_create(&t, NULL, write_then_mutex, NULL);
        pthread_mutex_lock(&m[0]);
        pthread_barrier_wait(&all_locked);
        pthread_rwlock_wrlock(&rw);
}

static void *lock_main_mutex(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&m[0]);
        return NULL;
}

static void join_cycle(void)
{
        pthread_t t;
        pthread_mutex_init(&m[0], NULL);
        pthread_mutex_lock(&m[0]);
        pthread_create(&t, NULL, lock_main_mutex, NULL);
        pthread_join(t, NULL); /* t waits for our mutex, we wait for t */
}

static void *hold_and_sleep(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&m[0]);
        pthread_barrier_wait(&all_locked);
        sleep(3600);
        return NULL;
}

static void blocked_not_deadlocked(void)
{
        pthread_t t;
        pthread_mutex_init(&m[0], NULL);
        pthread_barrier_init(&all_locked, NULL, 2);
        pthread_create(&t, NULL, hold_and_sleep, NULL);
        pthread_barrier_wait(&all_locked);
        pthread_mutex_lock(&m[0]);
}

static void *busy(void *arg)
{
        (void)arg;
        for (;;) { /* always m[0] before m[1]: contention, never a cycle */
                pthread_mutex_lock(&m[0]);
                pthread_mutex_lock(&m[1]);
                pthread_mutex_unlock(&m[1]);
                pthread_mutex_unlock(&m[0]);
        }
        return NULL;
}

static void busy_program(void)
{
        pthread_t t[4];
        pthread_mutex_init(&m[0], NULL);
        pthread_mutex_init(&m[1], NULL);
        for (int i = 0; i < 4; i++) {
                pthread_create(&t[i], NULL, busy, NULL);
        }
        pthread_join(t[0], NULL);
}

enum scenario { TWO, THREE, RECURSIVE, ERRORCHECK, ROBUST, PI, RWLOCK, JOIN, BLOCKED, BUSY };

static pid_t start(enum scenario s)
{
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid != 0) {
                return pid;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        switch (s) {
        case TWO:
                mutex_cycle(2, PTHREAD_MUTEX_NORMAL, 0, 0);
                break;
        case THREE:
                mutex_cycle(3, PTHREAD_MUTEX_NORMAL, 0, 0);
                break;
        case RECURSIVE:
                mutex_cycle(2, PTHREAD_MUTEX_RECURSIVE, 0, 0);
                break;
        case ERRORCHECK:
                mutex_cycle(2, PTHREAD_MUTEX_ERRORCHECK, 0, 0);
                break;
        case ROBUST:
                mutex_cycle(2, PTHREAD_MUTEX_NORMAL, 1, 0);
                break;
        case PI:
                mutex_cycle(2, PTHREAD_MUTEX_NORMAL, 0, 1);
                break;
        case RWLOCK:
                rwlock_cycle();
                break;
        case JOIN:
                join_cycle();
                break;
        case BUSY:
                busy_program();
                break;
        default:
                blocked_not_deadlocked();
        }
        _exit(0);
}

/* expect: scan until the scenario has settled (or 5 s), then check. */
static void expect(enum scenario s, int status, const char *needle)
{
        static char out[1 << 16];
        pid_t pid = start(s);
        int r = -1;
        for (int i = 0; i < 50 && r != status; i++) {
                sleep_ms(100);
                r = ward_locks(pid, NULL, -1, out, sizeof(out));
        }
        if (r != status || !strstr(out, needle)) {
                TEST_FAIL("scenario %d: exit %d (want %d), output:\n%s", s, r, status, out);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST(two_threads_deadlock)
{
        expect(TWO, 1, "DEADLOCK");
        expect(TWO, 1, "(test-lock-scan!m"); /* the global mutex array, by name */
}

TEST(three_threads_deadlock)
{
        static char out[1 << 16];
        expect(THREE, 1, "waits on mutex normal");
        pid_t pid = start(THREE);
        sleep_ms(300);
        ASSERT_EQ(ward_locks(pid, "--json", -1, out, sizeof(out)), 1);
        ASSERT_TRUE(strstr(out, "\"deadlock\":true") != NULL);
        int in_cycle = 0;
        for (char *p = out; (p = strstr(p, "\"in_cycle\":true")); p++) {
                in_cycle++;
        }
        ASSERT_EQ(in_cycle, 3);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST(every_mutex_kind)
{
        expect(RECURSIVE, 1, "mutex recursive");
        expect(ERRORCHECK, 1, "mutex errorcheck");
        expect(ROBUST, 1, "+robust");
        expect(PI, 1, "+pi");
}

TEST(writer_held_rwlock)
{
        expect(RWLOCK, 1, "waits on rwlock");
}

TEST(join_cycle)
{
        expect(JOIN, 1, "joins thread");
}

TEST(a_sleeping_owner_is_not_a_deadlock)
{
        static char out[1 << 16];
        pid_t pid = start(BLOCKED);
        sleep_ms(300);
        ASSERT_EQ(ward_locks(pid, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "waits on mutex") != NULL);
        ASSERT_TRUE(strstr(out, "no deadlock") != NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST(a_busy_healthy_program_never_deadlocks)
{
        static char out[1 << 16];
        pid_t pid = start(BUSY);
        for (int i = 0; i < 100; i++) { /* the verdict, not the stacks (tested elsewhere) */
                ASSERT_EQ(ward_locks(pid, "--no-stacks", -1, out, sizeof(out)), 0);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST(errors_are_clear)
{
        static char out[4096];
        ASSERT_EQ(ward_locks(999999, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "no such process") != NULL);
        if (getuid() != 0) {
                fprintf(stderr, "not root: cannot run the scan as another user\n");
                return;
        }
        pid_t pid = start(BLOCKED);
        sleep_ms(100);
        int r = ward_locks(pid, NULL, 65534, out, sizeof(out));
        if (r == 127) { /* e.g. a checkout in a 0700 directory */
                fprintf(stderr, "uid 65534 cannot run %s/ward: permission case skipped\n",
                        WARD_BIN_DIR);
        } else {
                ASSERT_EQ(r, 2);
                ASSERT_TRUE(strstr(out, "belongs to user 0: run as that user or root") != NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST_MAIN()
