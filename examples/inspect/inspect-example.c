/* inspect-example: libward-inspect from a program of your own. A child
 * process blocks one thread on a mutex its main thread holds; this process
 * then looks at the child from outside, without stopping it: which threads
 * wait on what (ward_lock_scan), who holds it, and the waiting thread's stack
 * with function names (ward_stack_*). Build: link ward::inspect (CMake) or
 * `pkg-config --cflags --libs ward-inspect`. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/error.h>
#include <ward/inspect.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *waiter(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&held); /* blocks: main holds it */
        return NULL;
}

static void child(void)
{
        pthread_t t;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pthread_mutex_lock(&held);
        pthread_create(&t, NULL, waiter, NULL);
        pause();
}

/* blocked_thread: scan pid until one of its threads waits on a mutex. */
static int blocked_thread(int pid, struct ward_lock_scan *scan)
{
        for (int tries = 0; tries < 500; tries++) {
                if (ward_lock_scan(pid, scan) == 0) {
                        for (size_t i = 0; i < scan->n; i++) {
                                if (scan->threads[i].kind == WARD_LOCK_WAIT_MUTEX) {
                                        return (int)i;
                                }
                        }
                        ward_lock_scan_free(scan);
                }
                nanosleep(&(struct timespec){0, 10000000}, NULL);
        }
        return -1;
}

static void print_stack(int pid, const struct ward_lock_thread *t)
{
        struct ward_stack *st;
        struct ward_stack_frame frames[16];
        size_t n = 0;
        int r = ward_stack_open(pid, 1, &st);
        if (r < 0) {
                printf("  no stack: %s\n", ward_strerror(r));
                return;
        }
        if (ward_stack_unwind(st, t->tid, t->sp, t->pc, frames, 16, &n) == 0) {
                for (size_t i = 0; i < n; i++) {
                        printf("  #%zu %s (%s)\n", i, frames[i].func[0] ? frames[i].func : "??",
                               frames[i].module);
                }
        }
        ward_stack_close(st);
}

int main(void)
{
        pid_t pid = fork();
        if (pid == 0) {
                child();
                _exit(0);
        }
        struct ward_lock_scan scan;
        int i = blocked_thread(pid, &scan);
        if (i < 0) {
                fprintf(stderr, "inspect-example: no blocked thread in %d\n", pid);
                kill(pid, SIGKILL);
                return 1;
        }
        const struct ward_lock_thread *t = &scan.threads[i];
        printf("thread %d waits on %s 0x%llx held by %d\n", t->tid, ward_lock_wait_name(t->kind),
               (unsigned long long)t->addr, t->owner);
        print_stack(pid, t);
        ward_lock_scan_free(&scan);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 0;
}
