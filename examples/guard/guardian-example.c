/* guardian-example: the guardian loop in a program of your own
 * (ward/guardian.h, libward-inspect): it guards `sh -c 'exit 3'`, which
 * fails, is restarted twice after a back-off, and the burst limit gives up.
 * Run as the test example-guardian. */
#include <stdio.h>
#include <sys/wait.h>

#include <ward/error.h>
#include <ward/guardian.h>

static void on_event(void *arg, const struct ward_guardian_event *ev)
{
        (void)arg;
        switch (ev->kind) {
        case WARD_GUARDIAN_STARTED:
                printf("started %d\n", ev->pid);
                break;
        case WARD_GUARDIAN_CRASHED:
                printf("crashed %d: signal %d, core %s, report %s\n", ev->pid, ev->signo,
                       ev->core ? ev->core : "-", ev->report ? ev->report : "-");
                break;
        case WARD_GUARDIAN_EXITED:
                printf("exited %d: status %d\n", ev->pid, ev->status);
                break;
        case WARD_GUARDIAN_RESTARTING:
                printf("restarting in %.0f ms\n", (double)ev->delay_ns / 1e6);
                break;
        case WARD_GUARDIAN_GIVING_UP:
        case WARD_GUARDIAN_WARNING:
                printf("%s\n", ev->message);
                break;
        default:
                break;
        }
}

int main(void)
{
        char *argv[] = {"sh", "-c", "exit 3", NULL};
        struct ward_guardian_options o = {
            .size = sizeof(o),
            .argv = argv,
            .restart = WARD_GUARDIAN_RESTART_ON_FAILURE,
            .backoff_min_ns = 10 * 1000000ull,        /* 10 ms, then 20 ms, ... */
            .burst = 2,                               /* at most 2 restarts a minute */
            .handshake_timeout_ns = 100 * 1000000ull, /* sh never handshakes */
            .dump_dir = "/tmp",
            .event = on_event,
        };
        char err[256];
        int status = ward_guardian_run(&o, err, sizeof(err));
        if (status < 0) {
                fprintf(stderr, "guardian-example: %s: %s\n", ward_strerror(status), err);
                return 2;
        }
        printf("the last worker: exit %d\n", WEXITSTATUS(status));
        return 0;
}
