/* trace-demo: the example of docs/trace.md. Two workers trace while they
 * run; `ward trace merge DIR` then prints one time-ordered story.
 *
 *   WARD_TRACE=debug:/tmp/demo-trace ./trace-demo   (or: ./trace-demo DIR)
 *   ward trace merge /tmp/demo-trace
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include <ward/trace.h>

static void *worker(void *arg)
{
        const char *name = arg;
        for (int i = 0; i < 5; i++) {
                WARD_SPAN_SCOPED("step");
                WARD_TRACE(WARD_TRACE_DEBUG, "%s: step %d of %d, %.1f%% done", name, i + 1, 5,
                           (i + 1) * 100.0 / 5);
                WARD_COUNTER("progress", i + 1);
        }
        WARD_TRACE_CAT(WARD_TRACE_INFO, "worker", "%s finished", name);
        return NULL;
}

int main(int argc, char **argv)
{
        if (argc > 1) { /* without WARD_TRACE in the environment: start here */
                struct ward_trace_options o = {
                    .size = sizeof(o), .level = WARD_TRACE_DEBUG, .dir = argv[1]};
                int r = ward_trace_start(&o);
                if (r < 0 && r != -EALREADY) {
                        fprintf(stderr, "trace-demo: cannot start tracing: %d\n", r);
                        return 1;
                }
        }
        pthread_t a, b;
        WARD_TRACE(WARD_TRACE_INFO, "starting %d workers", 2);
        pthread_create(&a, NULL, worker, "alpha");
        pthread_create(&b, NULL, worker, "beta");
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        WARD_TRACE(WARD_TRACE_INFO, "done");
        return 0; /* at exit, the last events are flushed */
}
