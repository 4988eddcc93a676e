/* stack-example: every thread's stack of another process, with libward-inspect.
 * A child process parks one thread in read(2) and keeps its main thread in
 * pause(2); this process prints the child's stacks twice: live (the child
 * never stops) and stopped (ptrace, for a moment, like eu-stack), each frame
 * as function+offset, module and file:line, inlined frames marked. Build:
 * link ward::inspect (CMake) or `pkg-config --cflags --libs ward-inspect`. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/error.h>
#include <ward/inspect.h>

static int park[2];

__attribute__((noinline)) static void wait_for_work(void)
{
        char c;
        while (read(park[0], &c, 1) > 0) {
        }
}

static void *worker(void *arg)
{
        prctl(PR_SET_NAME, "worker");
        wait_for_work();
        return arg;
}

static void child(void)
{
        pthread_t t;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pthread_create(&t, NULL, worker, NULL);
        for (;;) {
                pause();
        }
}

/* print_frame: the callback, once per frame (f NULL: a thread without) */
static int print_frame(void *arg, const struct ward_proc_thread *t, size_t i,
                       const struct ward_stack_frame *f)
{
        (void)arg;
        if (i == 0) {
                printf("thread %d \"%s\" %s\n", t->tid, t->name,
                       t->how == WARD_PROC_THREAD_RUNNING ? "running"
                                                          : ward_proc_thread_state_name(t->state));
        }
        if (f) {
                printf("    #%zu %s%s in %s (%s:%d)\n", i, f->func[0] ? f->func : "??",
                       f->inlined ? " [inlined]" : "", f->module, f->file, f->line);
        }
        return 0;
}

int main(void)
{
        if (pipe(park) < 0) {
                return 1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                child();
        }
        struct timespec settle = {0, 200 * 1000 * 1000}; /* the worker reaches read() */
        nanosleep(&settle, NULL);

        printf("live:\n");
        int r = ward_proc_stacks(pid, WARD_PROC_STACKS_LIVE, print_frame, NULL);
        if (r == 0) {
                printf("stopped for a moment:\n");
                r = ward_proc_stacks(pid, WARD_PROC_STACKS_STOP, print_frame, NULL);
        }
        if (r < 0) {
                fprintf(stderr, "stack-example: %s\n", ward_strerror(r));
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return r < 0 ? 1 : 0;
}
