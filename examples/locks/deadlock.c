/* deadlock: a plain pthread program (no ward in it) whose two threads take
 * two mutexes in opposite orders and deadlock, for `ward locks PID` as
 * docs/locks.md shows it.
 *
 *   deadlock      print "pid N: deadlocked", then wait forever (^C ends it)
 *
 * Each thread takes its first mutex, waits until the other has taken its
 * own, then asks for the other's: the cycle is certain, not a race. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void *take_a_then_b(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&a);
        pthread_barrier_wait(&both_hold_one);
        pthread_mutex_lock(&b); /* never returns: b's owner waits for a */
        return NULL;
}

static void *take_b_then_a(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&b);
        pthread_barrier_wait(&both_hold_one);
        pthread_mutex_lock(&a);
        return NULL;
}

int main(void)
{
        pthread_t t1, t2;
        pthread_barrier_init(&both_hold_one, NULL, 3);
        if (pthread_create(&t1, NULL, take_a_then_b, NULL) != 0 ||
            pthread_create(&t2, NULL, take_b_then_a, NULL) != 0) {
                perror("deadlock: pthread_create");
                return 1;
        }
        pthread_barrier_wait(&both_hold_one);
        printf("pid %d: deadlocked (see: ward locks %d)\n", (int)getpid(), (int)getpid());
        fflush(stdout);
        pthread_join(t1, NULL); /* forever */
        return 0;
}
