/* clean-example: what `ward clean` does, from a program of your own.
 *
 * A child starts tracing (its buffers file /dev/shm/ward-trace.PID) and is
 * killed with SIGKILL, so it never removes the file. ward_shm_list finds it
 * stale (no process has the pid any more) and ward_shm_remove removes it.
 * Only the child's pid is looked at: other programs' files are left alone.
 * Build: link ward::inspect (CMake) or `pkg-config --cflags --libs
 * ward-inspect`. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/error.h>
#include <ward/inspect.h>
#include <ward/trace.h>

/* traced_child: a process that traces, then waits to be killed */
static pid_t traced_child(void)
{
        int ready[2];
        char c = 0;
        if (pipe(ready) < 0) {
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                struct ward_trace_options o = {.size = sizeof(o), .dir = "/tmp"};
                if (ward_trace_start(&o) < 0 || write(ready[1], &c, 1) != 1) {
                        _exit(1);
                }
                for (;;) {
                        pause();
                }
        }
        close(ready[1]);
        if (pid < 0 || read(ready[0], &c, 1) != 1) {
                pid = -1;
        }
        close(ready[0]);
        return pid;
}

int main(void)
{
        pid_t pid = traced_child();
        if (pid < 0) {
                fprintf(stderr, "clean-example: the traced child did not start\n");
                return 1;
        }
        kill(pid, SIGKILL); /* no exit handlers run: the file stays */
        waitpid(pid, NULL, 0);

        int pids[1] = {pid};
        struct ward_shm_options o = {.size = sizeof(o), .pids = pids, .n_pids = 1};
        struct ward_shm_file *files;
        size_t n;
        int r = ward_shm_list(&o, &files, &n);
        if (r < 0) {
                fprintf(stderr, "clean-example: /dev/shm: %s\n", ward_strerror(r));
                return 1;
        }
        for (size_t i = 0; i < n; i++) {
                const struct ward_shm_file *f = &files[i];
                if (!ward_shm_is_stale(f->state)) {
                        printf("kept %s: %s\n", f->name, f->why);
                        continue;
                }
                r = ward_shm_remove(&o, f);
                printf("%s %s (%s, %llu bytes): %s\n", r == 0 ? "removed" : "could not remove",
                       f->name, ward_shm_kind_name(f->kind), (unsigned long long)f->bytes,
                       r == 0 ? f->why : ward_strerror(r));
        }
        ward_shm_list_free(files);
        return 0;
}
