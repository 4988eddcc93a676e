/* examples/guard/core-example.c: capture a live process from outside, as the
 * guardian (or `ward core PID`) does: a child blocks a thread in a named
 * function; the example writes its core and report into a directory and
 * prints the paths and the report's stacks. Built with ward and run as the
 * test example-guard. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/core.h>
#include <ward/error.h>

static int ready[2];

__attribute__((noinline)) static void *waiting_here(void *arg)
{
        (void)arg;
        (void)!write(ready[1], "!", 1);
        pause();
        return NULL;
}

int main(void)
{
        char dir[] = "/tmp/ward-core-example-XXXXXX", c;
        if (!mkdtemp(dir) || pipe(ready) < 0) {
                return 1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                pthread_t t;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                pthread_create(&t, NULL, waiting_here, NULL);
                pthread_join(t, NULL);
                _exit(0);
        }
        if (read(ready[0], &c, 1) != 1) {
                return 1;
        }

        struct ward_core_options o = {.size = sizeof(o), .dir = dir, .report = 1};
        struct ward_core_result res;
        char err[256];
        int r = ward_core_write(pid, &o, &res, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "core-example: %s: %s\n", ward_strerror(r), err);
                kill(pid, SIGKILL);
                return r == -EPERM ? 77 : 1;
        }
        printf("core   %s (%llu bytes, %d threads)\nreport %s\n", res.core,
               (unsigned long long)res.core_size, res.threads, res.text);

        FILE *f = fopen(res.text, "r");
        char line[512];
        while (f && fgets(line, sizeof(line), f)) {
                if (strstr(line, "thread ") == line || strstr(line, "  #") == line) {
                        fputs(line, stdout); /* the stacks */
                }
        }
        if (f) {
                fclose(f);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(res.core);
        unlink(res.text);
        unlink(res.json);
        rmdir(dir);
        return 0;
}
