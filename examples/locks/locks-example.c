/* locks-example: instrumented locks as docs/locks.md shows them.
 *
 *   locks-example          run, print what the registry counted, exit
 *   locks-example --wait   then stay, so that `ward locks PID` can look
 *
 * A worker and the main thread contend on "queue"; two code paths take
 * "index" and "store" in opposite orders, which lock-order checking reports
 * once (on stderr, through the handler below) although this program never
 * deadlocks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ward/lock.h>

static ward_mutex queue = WARD_MUTEX_INIT("queue");
static ward_mutex index_lock = WARD_MUTEX_INIT("index");
static ward_mutex store_lock = WARD_MUTEX_INIT("store");
static int jobs;

static void pause_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
        (void)arg;
        for (int i = 0; i < 5; i++) {
                ward_mutex_lock(&queue); /* waits while main holds it */
                jobs++;
                ward_mutex_unlock(&queue);
        }
        return NULL;
}

static void update_index_then_store(void)
{
        ward_mutex_lock(&index_lock);
        ward_mutex_lock(&store_lock);
        ward_mutex_unlock(&store_lock);
        ward_mutex_unlock(&index_lock);
}

static void flush_store_then_index(void)
{
        ward_mutex_lock(&store_lock);
        ward_mutex_lock(&index_lock); /* the opposite order: reported here */
        ward_mutex_unlock(&index_lock);
        ward_mutex_unlock(&store_lock);
}

/* ward prints nothing itself: the program says where reports go */
static void print_inversion(const struct ward_lock_inversion *inv, void *arg)
{
        char line[1024];
        (void)arg;
        ward_lock_inversion_format(inv, line, sizeof(line));
        fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv)
{
        pthread_t t;
        ward_lock_order_set_handler(print_inversion, NULL);
        ward_lock_order_checking(1);
        ward_mutex_lock(&queue);
        pthread_create(&t, NULL, worker, NULL);
        pause_ms(20); /* the worker blocks: a contended acquisition */
        ward_mutex_unlock(&queue);
        pthread_join(t, NULL);
        update_index_then_store();
        flush_store_then_index();
        printf("jobs %d, lock-order inversions %u\n", jobs, ward_lock_inversions());
        if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
                printf("pid %d: try `ward locks %d` or `ward locks --report %d`\n", getpid(),
                       getpid(), getpid());
                fflush(stdout);
                ward_mutex_lock(&queue); /* held while we wait */
                pause();
        }
        return 0;
}
