/* ward_mutex and ward_rwlock in one process, read back through the registry
 * file as `ward locks` reads it: owner, recursion, waiters, acquisitions,
 * contentions, wait and hold times, sites; errorcheck and recursive
 * semantics; thread churn; lock-order inversions reported once. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <ward/lock.h>

#include <ward/lock-inspect.h>

#include "lock/layout.h"
#include "test.h"

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* find: a consistent copy of the entry named name, from our own registry */
static int find(const char *name, struct ward_lock_entry *out)
{
        struct ward_lock_registry v;
        int found = 0;
        ASSERT_EQ(ward_lock_registry_read(getpid(), &v), 0);
        for (size_t i = 0; i < v.n; i++) {
                if (strcmp(v.entries[i].name, name) == 0) {
                        *out = v.entries[i];
                        found++;
                }
        }
        ward_lock_registry_free(&v);
        return found;
}

static ward_mutex cache = WARD_MUTEX_INIT("cache");
static int waiter_started;

static void *take_cache(void *arg)
{
        (void)arg;
        __atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
        ASSERT_EQ(ward_mutex_lock(&cache), 0);
        ASSERT_EQ(ward_mutex_unlock(&cache), 0);
        return NULL;
}

TEST(contention_is_counted)
{
        struct ward_lock_entry e;
        pthread_t t;
        ASSERT_EQ(ward_mutex_lock(&cache), 0);
        ASSERT_EQ(find("cache", &e), 1);
        ASSERT_EQ(e.owner, (uint32_t)gettid());
        ASSERT_EQ(e.recursion, 1u);
        ASSERT_TRUE(strstr(e.site, "test-registry.c:") != NULL);
        ASSERT_EQ(pthread_create(&t, NULL, take_cache, NULL), 0);
        while (!__atomic_load_n(&waiter_started, __ATOMIC_ACQUIRE)) {
                sleep_ms(1);
        }
        for (int i = 0; i < 2000 && (find("cache", &e), e.waiters == 0); i++) {
                sleep_ms(1); /* until the other thread waits */
        }
        ASSERT_EQ(e.waiters, 1u);
        sleep_ms(20);
        ASSERT_EQ(ward_mutex_unlock(&cache), 0);
        ASSERT_EQ(pthread_join(t, NULL), 0);
        ASSERT_EQ(find("cache", &e), 1);
        ASSERT_EQ(e.owner, 0u);
        ASSERT_EQ(e.waiters, 0u);
        ASSERT_EQ(e.acquisitions, 2u);
        ASSERT_EQ(e.contentions, 1u);
        ASSERT_TRUE(e.wait_ns_max >= 10000000u); /* it waited the 20 ms sleep */
        ASSERT_EQ(e.wait_ns_total, e.wait_ns_max);
        ASSERT_TRUE(e.last_site != 0);
}

TEST(recursive_and_errorcheck)
{
        ward_mutex r, c;
        struct ward_lock_entry e;
        ASSERT_EQ(ward_mutex_init(&r, "rec", WARD_MUTEX_RECURSIVE), 0);
        ASSERT_EQ(ward_mutex_init(&c, "check", WARD_MUTEX_ERRORCHECK), 0);
        ASSERT_EQ(ward_mutex_init(&c, "bad", 7), -EINVAL);
        ASSERT_EQ(ward_mutex_init(&c, "check", WARD_MUTEX_ERRORCHECK), 0);
        ASSERT_EQ(ward_mutex_lock(&r), 0);
        ASSERT_EQ(ward_mutex_lock(&r), 0);
        ASSERT_EQ(ward_mutex_trylock(&r), 0);
        ASSERT_EQ(find("rec", &e), 1);
        ASSERT_EQ(e.recursion, 3u);
        ASSERT_EQ(e.acquisitions, 3u);
        ASSERT_TRUE(e.flags & WARD_LOCK_RECURSIVE);
        ASSERT_TRUE(strstr(e.site, "test-registry.c:") != NULL);
        ASSERT_TRUE(strstr(e.site, "recursive_and_errorcheck)") != NULL); /* the function */
        for (int i = 0; i < 3; i++) {
                ASSERT_EQ(ward_mutex_unlock(&r), 0);
        }
        ASSERT_EQ(find("rec", &e), 1);
        ASSERT_EQ(e.owner, 0u);
        ASSERT_EQ(ward_mutex_unlock(&c), -EPERM); /* never locked */
        ASSERT_EQ(ward_mutex_lock(&c), 0);
        ASSERT_EQ(ward_mutex_lock(&c), -EDEADLK);
        ASSERT_EQ(ward_mutex_trylock(&c), -EBUSY);
        ASSERT_EQ(find("check", &e), 1);
        ASSERT_EQ(e.acquisitions, 1u);
        ASSERT_EQ(e.owner, (uint32_t)gettid());
        ASSERT_EQ(ward_mutex_destroy(&c), -EBUSY);
        ASSERT_EQ(ward_mutex_unlock(&c), 0);
        ASSERT_EQ(ward_mutex_destroy(&c), 0);
        ASSERT_EQ(ward_mutex_destroy(&r), 0);
        ASSERT_EQ(find("check", &e), 0); /* destroyed: gone from the registry */
        /* errors are negative errnos, as everywhere in ward */
        ward_rwlock l;
        ASSERT_EQ(ward_rwlock_init_at(NULL, "none", "here", NULL), -EINVAL);
        ASSERT_EQ(ward_rwlock_init(&l, "rw"), 0);
        ASSERT_EQ(ward_rwlock_wrlock(&l), 0);
        ASSERT_EQ(ward_rwlock_wrlock(&l), -EDEADLK);
        ASSERT_EQ(ward_rwlock_unlock(&l), 0);
        ASSERT_EQ(ward_rwlock_rdlock(&l), 0);
        ASSERT_EQ(ward_rwlock_unlock(&l), 0);
        ASSERT_EQ(ward_rwlock_destroy(&l), 0);
        ASSERT_EQ(find("rec", &e), 0);
}

static ward_rwlock table = WARD_RWLOCK_INIT("table");

TEST(rwlock_readers_and_writer)
{
        struct ward_lock_entry e;
        ASSERT_EQ(ward_rwlock_rdlock(&table), 0);
        ASSERT_EQ(ward_rwlock_rdlock(&table), 0);
        ASSERT_EQ(find("table", &e), 1);
        ASSERT_EQ(e.kind, (uint32_t)WARD_LOCK_ENTRY_RWLOCK);
        ASSERT_EQ(e.readers, 2u);
        ASSERT_EQ(e.owner, 0u);
        ASSERT_EQ(ward_rwlock_unlock(&table), 0);
        ASSERT_EQ(ward_rwlock_unlock(&table), 0);
        ASSERT_EQ(ward_rwlock_wrlock(&table), 0);
        ASSERT_EQ(find("table", &e), 1);
        ASSERT_EQ(e.readers, 0u);
        ASSERT_EQ(e.owner, (uint32_t)gettid());
        ASSERT_EQ(e.read_acquisitions, 2u);
        ASSERT_EQ(e.acquisitions, 1u);
        ASSERT_EQ(ward_rwlock_unlock(&table), 0);
}

#define CHURN_THREADS 40

static void *churn(void *arg)
{
        (void)arg;
        for (int round = 0; round < 20; round++) {
                ward_mutex m;
                ASSERT_EQ(ward_mutex_init(&m, "churn", WARD_MUTEX_NORMAL), 0);
                for (int i = 0; i < 50; i++) {
                        ASSERT_EQ(ward_mutex_lock(&m), 0);
                        ASSERT_EQ(ward_mutex_lock(&cache), 0);
                        ASSERT_EQ(ward_mutex_unlock(&cache), 0);
                        ASSERT_EQ(ward_mutex_unlock(&m), 0);
                }
                ASSERT_EQ(ward_mutex_destroy(&m), 0);
        }
        return NULL;
}

TEST(registry_survives_thread_churn)
{
        struct ward_lock_entry before, after;
        pthread_t t[CHURN_THREADS];
        ASSERT_EQ(find("cache", &before), 1);
        for (int i = 0; i < CHURN_THREADS; i++) {
                ASSERT_EQ(pthread_create(&t[i], NULL, churn, NULL), 0);
                if (i % 10 == 9) { /* read while it churns: always consistent */
                        struct ward_lock_registry v;
                        ASSERT_EQ(ward_lock_registry_read(getpid(), &v), 0);
                        ward_lock_registry_free(&v);
                }
        }
        for (int i = 0; i < CHURN_THREADS; i++) {
                ASSERT_EQ(pthread_join(t[i], NULL), 0);
        }
        ASSERT_EQ(find("churn", &after), 0); /* every one destroyed */
        ASSERT_EQ(find("cache", &after), 1);
        ASSERT_EQ(after.acquisitions - before.acquisitions, (uint64_t)CHURN_THREADS * 20 * 50);
        ASSERT_EQ(after.owner, 0u);
        struct ward_lock_registry v;
        ASSERT_EQ(ward_lock_registry_read(getpid(), &v), 0);
        ASSERT_TRUE(v.n < 10 + CHURN_THREADS); /* slots were reused */
        ASSERT_EQ(v.busy, 0u);
        ward_lock_registry_free(&v);
}

static ward_mutex order_a = WARD_MUTEX_INIT("order_a");
static ward_mutex order_b = WARD_MUTEX_INIT("order_b");

static int ab_b_line, ba_a_line; /* the lines of two lock calls the report must name */

static void a_then_b(void)
{
        ASSERT_EQ(ward_mutex_lock(&order_a), 0);
        ab_b_line = __LINE__ + 1;
        ASSERT_EQ(ward_mutex_lock(&order_b), 0);
        ASSERT_EQ(ward_mutex_unlock(&order_b), 0);
        ASSERT_EQ(ward_mutex_unlock(&order_a), 0);
}

static void b_then_a(void)
{
        ASSERT_EQ(ward_mutex_lock(&order_b), 0);
        ba_a_line = __LINE__ + 1;
        ASSERT_EQ(ward_mutex_lock(&order_a), 0);
        ASSERT_EQ(ward_mutex_unlock(&order_a), 0);
        ASSERT_EQ(ward_mutex_unlock(&order_b), 0);
}

/* The application's inversion handler: the report as text, and how often. */
static struct {
        char text[8192];
        int calls;
        unsigned tid;
} seen;

static void on_inversion(const struct ward_lock_inversion *inv, void *arg)
{
        ASSERT_TRUE(arg == &seen);
        seen.calls++;
        seen.tid = inv->tid;
        size_t used = strlen(seen.text);
        int n = ward_lock_inversion_format(inv, seen.text + used, sizeof(seen.text) - used);
        ASSERT_TRUE(n > 0 && (size_t)n < sizeof(seen.text) - used);
}

TEST(order_inversion_reported_once)
{
        char path[] = "/tmp/ward-order-XXXXXX", printed[256];
        int fd = mkstemp(path), saved = dup(2);
        ASSERT_TRUE(fd >= 0);
        unlink(path);
        ward_lock_order_set_handler(on_inversion, &seen);
        ward_lock_order_checking(1);
        a_then_b();
        ASSERT_EQ(ward_lock_inversions(), 0u);
        dup2(fd, 2);
        for (int i = 0; i < 10; i++) { /* never deadlocks: one thread */
                b_then_a();
                a_then_b();
        }
        dup2(saved, 2);
        ASSERT_EQ(ward_lock_inversions(), 1u);
        /* the library printed nothing: the report went to the handler */
        ASSERT_EQ(pread(fd, printed, sizeof(printed), 0), 0);
        ASSERT_EQ(seen.calls, 1);
        ASSERT_EQ(seen.tid, (unsigned)gettid());
        const char *text = seen.text;
        fprintf(stderr, "%s\n", text);
        const char *first = strstr(text, "lock order inversion");
        ASSERT_TRUE(first == text + strlen("ward: "));
        ASSERT_TRUE(strstr(first + 1, "lock order inversion") == NULL); /* once */
        ASSERT_TRUE(strstr(text, "takes \"order_a\"") != NULL);
        ASSERT_TRUE(strstr(text, "holding \"order_b\"") != NULL);
        /* both sites: b_then_a's and a_then_b's lock calls */
        char site[64];
        snprintf(site, sizeof(site), "test-registry.c:%d", ba_a_line);
        ASSERT_TRUE(strstr(text, site) != NULL);
        snprintf(site, sizeof(site), "test-registry.c:%d", ab_b_line);
        ASSERT_TRUE(strstr(text, site) != NULL);
        struct ward_lock_registry v;
        ASSERT_EQ(ward_lock_registry_read(getpid(), &v), 0);
        ASSERT_EQ(v.inversions, 1u);
        ASSERT_EQ(v.n_inv, 1u);
        ASSERT_STREQ(v.inv[0].wanted, "order_a");
        ASSERT_STREQ(v.inv[0].held, "order_b");
        ASSERT_EQ(v.order_checking, 1u);
        ward_lock_registry_free(&v);
        ward_lock_order_checking(0);
        ward_lock_order_set_handler(NULL, NULL);
        close(fd);
        close(saved);
}

TEST(consistent_order_is_quiet)
{
        static ward_mutex x = WARD_MUTEX_INIT("x"), y = WARD_MUTEX_INIT("y");
        unsigned before = ward_lock_inversions();
        ward_lock_order_checking(1);
        for (int i = 0; i < 100; i++) {
                ASSERT_EQ(ward_mutex_lock(&x), 0);
                ASSERT_EQ(ward_mutex_lock(&y), 0);
                ASSERT_EQ(ward_mutex_unlock(&x), 0); /* released out of order */
                ASSERT_EQ(ward_mutex_unlock(&y), 0);
        }
        ward_lock_order_checking(0);
        ASSERT_EQ(ward_lock_inversions(), before);
}

TEST_MAIN()
