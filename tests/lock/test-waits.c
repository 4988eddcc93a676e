/* ward locks names every kind of wait a pthread program has, not only
 * mutexes: a writer behind a read-held rwlock (and -a shows that rwlock as
 * held by its readers), a condition variable, a semaphore and a barrier,
 * each by kind, symbol and what the object says. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-run.h"
#include "test.h"

/* the objects, global so that ward locks names them by symbol */
pthread_rwlock_t waits_rw = PTHREAD_RWLOCK_INITIALIZER;
pthread_cond_t waits_cv = PTHREAD_COND_INITIALIZER;
pthread_mutex_t waits_cv_mutex = PTHREAD_MUTEX_INITIALIZER;
sem_t waits_sem;
pthread_barrier_t waits_bar;

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

static void *read_and_sleep(void *arg)
{
        (void)arg;
        pthread_rwlock_rdlock(&waits_rw);
        sleep(3600);
        return NULL;
}

static void *wait_cond(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&waits_cv_mutex);
        for (;;) {
                pthread_cond_wait(&waits_cv, &waits_cv_mutex);
        }
        return NULL;
}

static void *wait_sem(void *arg)
{
        (void)arg;
        sem_wait(&waits_sem);
        return NULL;
}

static void *wait_barrier(void *arg)
{
        (void)arg;
        pthread_barrier_wait(&waits_bar);
        return NULL;
}

/* the program: every kind of wait at once, for as long as it lives */
static void waiting_program(void)
{
        pthread_t t;
        sem_init(&waits_sem, 0, 0);
        pthread_barrier_init(&waits_bar, NULL, 4);
        pthread_create(&t, NULL, read_and_sleep, NULL);
        pthread_create(&t, NULL, wait_cond, NULL);
        pthread_create(&t, NULL, wait_sem, NULL);
        for (int i = 0; i < 3; i++) {
                pthread_create(&t, NULL, wait_barrier, NULL);
        }
        sleep_ms(100);                    /* the reader holds waits_rw */
        pthread_rwlock_wrlock(&waits_rw); /* blocks behind it */
}

static pid_t start(void)
{
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                waiting_program();
                _exit(0);
        }
        return pid;
}

static const char *const expected[] = {
    "waits on rwlock 0x",
    "(test-lock-waits!waits_rw) held by 1 reader",
    "waits on cond 0x",
    "(test-lock-waits!waits_cv) (1 waiting)",
    "waits on semaphore 0x",
    "(test-lock-waits!waits_sem) value 0 (1 waiting)",
    "waits on barrier 0x",
    "(test-lock-waits!waits_bar): 3 of 4 arrived",
    "rwlock test-lock-waits!waits_rw 0x", /* -a: held globals */
};

static int has_all(const char *out)
{
        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
                if (!strstr(out, expected[i])) {
                        return 0;
                }
        }
        return 1;
}

TEST(every_kind_of_wait_is_named)
{
        static char out[1 << 16];
        char p[16];
        pid_t pid = start();
        snprintf(p, sizeof(p), "%d", (int)pid);
        const char *args[] = {"locks", "-a", "--no-stacks", p, NULL};
        int r = -1;
        for (int i = 0; i < 50 && !(r == 0 && has_all(out)); i++) {
                sleep_ms(100);
                r = test_run_ward(args, NULL, -1, out, sizeof(out));
        }
        if (r != 0 || !has_all(out)) {
                TEST_FAIL("exit %d, output:\n%s", r, out);
        }
        ASSERT_TRUE(strstr(out, "held by 1 reader\n") != NULL); /* -a's line */
        ASSERT_TRUE(strstr(out, "no owner known") == NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST(json_carries_what_each_object_says)
{
        static char out[1 << 16];
        char p[16];
        pid_t pid = start();
        snprintf(p, sizeof(p), "%d", (int)pid);
        const char *args[] = {"locks", "--json", "--no-stacks", p, NULL};
        int r = -1;
        for (int i = 0; i < 50 && !(r == 0 && strstr(out, "\"arrived\":3") &&
                                    strstr(out, "\"readers\":1") && strstr(out, "\"waiters\":1"));
             i++) {
                sleep_ms(100);
                r = test_run_ward(args, NULL, -1, out, sizeof(out));
        }
        ASSERT_EQ(r, 0);
        ASSERT_TRUE(strstr(out, "\"waits_on\":\"rwlock\"") && strstr(out, "\"readers\":1"));
        ASSERT_TRUE(strstr(out, "\"waits_on\":\"cond\"") && strstr(out, "\"waiters\":1"));
        ASSERT_TRUE(strstr(out, "\"waits_on\":\"semaphore\"") && strstr(out, "\"value\":0"));
        ASSERT_TRUE(strstr(out, "\"waits_on\":\"barrier\"") && strstr(out, "\"needed\":4"));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

TEST_MAIN()
