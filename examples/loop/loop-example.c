/* loop-example: one ward loop watching a timer, a signal, a child process and a
 * worker thread's posts, then stopping cleanly.
 *
 * Run it and it prints a few ticks, the worker's result and the child's exit
 * status, then exits 0. Ctrl-C stops it early through the signal source.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ward/error.h>
#include <ward/loop.h>

struct app {
        ward_loop *loop;
        int ticks;
        int worker_done;
        int child_done;
};

/* maybe_stop: the app is done when the timer ticked, the worker reported and the
 * child exited; all of these run under the loop (on its thread, or on the
 * worker's while it borrows the loop), one at a time, so no locking. */
static void maybe_stop(struct app *app)
{
        if (app->ticks >= 3 && app->worker_done && app->child_done) {
                ward_loop_stop(app->loop);
        }
}

static void on_tick(ward_source *s, uint64_t expirations, void *arg)
{
        struct app *app = arg;
        (void)s;
        app->ticks += (int)expirations;
        printf("tick %d\n", app->ticks);
        maybe_stop(app);
}

static void on_sigint(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        struct app *app = arg;
        (void)s;
        printf("signal %u: stopping\n", si->ssi_signo);
        ward_loop_stop(app->loop);
}

static void on_child(ward_source *s, const siginfo_t *si, void *arg)
{
        struct app *app = arg;
        printf("child %d exited with %d\n", (int)si->si_pid, si->si_status);
        app->child_done = 1;
        /* Freeing a source from its own callback is fine. */
        ward_source_free(s);
        maybe_stop(app);
}

/* A result handed from the worker thread to the loop's thread. */
struct result {
        struct app *app;
        long value;
};

static void on_result(void *arg)
{
        struct result *r = arg;
        printf("worker result: %ld\n", r->value);
        r->app->worker_done = 1;
        maybe_stop(r->app);
        free(r);
}

static void *worker(void *arg)
{
        struct app *app = arg;
        struct result *r = malloc(sizeof(*r));
        if (!r) {
                return NULL;
        }
        r->app = app;
        r->value = 0;
        for (long i = 1; i <= 1000; i++) {
                r->value += i;
        }
        /* Hand the result to the loop. While the loop sleeps it lends itself:
         * run on_result here, as if on the loop's thread (no thread switch).
         * Otherwise ward_loop_post queues it for the loop's thread and wakes
         * the loop. */
        if (ward_loop_try_acquire(app->loop) == 0) {
                on_result(r);
                ward_loop_release(app->loop);
        } else if (ward_loop_post(app->loop, on_result, r) < 0) {
                free(r);
        }
        return NULL;
}

/* setup: add every source; returns 0 or a -errno from ward. */
static int setup(struct app *app, pid_t child)
{
        int r = ward_loop_add_timer(app->loop, 100000000, 100000000, on_tick, app, NULL);
        if (r >= 0) {
                r = ward_loop_add_signal(app->loop, SIGINT, on_sigint, app, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_child(app->loop, child, on_child, app, NULL);
        }
        return r;
}

int main(void)
{
        /* Signals for a signalfd must be blocked in every thread: block before
         * creating threads, which inherit the mask. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);

        struct app app = {0};
        int r = ward_loop_new(&app.loop);
        if (r < 0) {
                fprintf(stderr, "ward_loop_new: %s\n", ward_strerror(r));
                return 1;
        }
        pid_t child = fork();
        if (child == 0) {
                usleep(150000);
                _exit(3);
        }
        r = child < 0 ? -1 : setup(&app, child);
        pthread_t tid;
        if (r >= 0 && pthread_create(&tid, NULL, worker, &app) == 0) {
                r = ward_loop_run(app.loop);
                pthread_join(tid, NULL);
        }
        if (r < 0) {
                fprintf(stderr, "loop-example: %s\n", ward_strerror(r));
        }
        ward_loop_free(app.loop);
        return r < 0;
}
