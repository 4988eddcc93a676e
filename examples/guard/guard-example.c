/* guard-example: a program guarded by itself. ward_guard_start() is the
 * first thing main() does: started from a shell, the process executes itself
 * again as its own guardian (the same pid), which starts this program once
 * more as the worker; the worker's ward_guard_start() handshakes and returns
 * 0. When no guardian can run (libward-inspect missing), the worker runs in
 * fallback mode (1) and says why.
 *   guard-example          say how it is guarded, then exit 0
 *   guard-example crash    the same, then crash with SIGSEGV in crash_here:
 *                          the guardian writes a core and a report */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <ward/error.h>
#include <ward/guard.h>
#include <ward/guardian.h>

static int *volatile nowhere; /* NULL */

__attribute__((noinline)) static void crash_here(void)
{
        *nowhere = 1;
}

static void *worker_thread(void *arg)
{
        ward_guard_thread_init(); /* a stack overflow here is caught too */
        if (arg) {
                crash_here();
        }
        return NULL;
}

int main(int argc, char **argv)
{
        struct ward_guardian_options policy = {
            .size = sizeof(policy),
            .restart = WARD_GUARDIAN_RESTART_ON_FAILURE,
            .burst = 3,
        };
        struct ward_guard_options go = {.size = sizeof(go), .guardian = &policy};
        int g = ward_guard_start(&argc, &argv, &go); /* first, before any thread */
        if (g < 0) {
                fprintf(stderr, "guard-example: %s\n", ward_strerror(g));
                return 2;
        }
        if (g == 1) {
                char why[256];
                ward_guard_status(why, sizeof(why));
                printf("guard-example: fallback mode: %s\n", why);
        } else {
                printf("guard-example: guarded\n");
        }
        fflush(stdout);
        int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
        pthread_t t;
        if (pthread_create(&t, NULL, worker_thread, crash ? argv : NULL) != 0) {
                return 1;
        }
        ward_guard_ready(); /* the service is up (sd_notify READY=1 under ward run) */
        ward_guard_heartbeat();
        pthread_join(t, NULL);
        return 0;
}
