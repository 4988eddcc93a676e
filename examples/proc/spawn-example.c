/* spawn-example: start a process tree, watch it, stop all of it.
 *
 * A shell is started with ward_proc_spawn (its own process group, and its
 * own cgroup when this machine lets us make one); a ward_watch on a
 * ward_loop prints what it does — it starts `sleep` in the background —
 * and ward_proc_stop_tree ends the shell and the sleep, which both ignore
 * SIGTERM: after the grace they get SIGKILL. Build: link ward::inspect
 * (CMake) or `pkg-config --cflags --libs ward-inspect`. */
#include <stdio.h>
#include <unistd.h>

#include <ward/error.h>
#include <ward/inspect.h>

static void on_event(const struct ward_watch_event *ev, void *arg)
{
        int *sleeping = arg;
        if (ev->kind == WARD_WATCH_FORK) {
                printf("fork %d <- %d %s\n", ev->pid, ev->ppid, ev->comm);
        } else if (ev->kind == WARD_WATCH_EXEC) {
                printf("exec %d %s %s\n", ev->pid, ev->comm, ev->exe ? ev->exe : "?");
                *sleeping = 1;
        }
}

int main(void)
{
        int go[2];
        char script[160];
        if (pipe(go) < 0) {
                return 1;
        }
        /* wait for the go, then ignore SIGTERM (the sleep inherits that) */
        snprintf(script, sizeof(script), "read x <&%d; trap '' TERM; sleep 60 & wait", go[0]);
        char *argv[] = {"sh", "-c", script, NULL};
        struct ward_proc_spawn_options o = {
            .size = sizeof(o),
            .flags = WARD_PROC_SPAWN_NEW_PGROUP | WARD_PROC_SPAWN_CGROUP,
            .argv = argv,
            .keep_fds = &go[0],
            .n_keep_fds = 1,
        };
        ward_proc *p;
        int r = ward_proc_spawn(&o, &p);
        if (r < 0) {
                fprintf(stderr, "spawn: %s\n", ward_strerror(r));
                return 1;
        }
        int pid = ward_proc_pid(p);
        const char *cgroup = ward_proc_cgroup(p);
        printf("spawned %d (cgroup %s)\n", pid, cgroup ? cgroup : "none");

        ward_loop *loop;
        ward_watch *w;
        int sleeping = 0;
        struct ward_watch_options wo = {.size = sizeof(wo), .pids = &pid, .n_pids = 1};
        if (ward_loop_new(&loop) < 0 || ward_watch_new(loop, &wo, on_event, &sleeping, &w) < 0) {
                return 1;
        }
        printf("watching with the %s back-end\n", ward_watch_backend_name(ward_watch_backend(w)));
        if (write(go[1], "\n", 1) != 1) { /* now: go */
                return 1;
        }
        uint64_t deadline = ward_now_ns() + 30000000000ull;
        while (!sleeping && ward_now_ns() < deadline) {
                ward_loop_run_once(loop, 100000000);
        }
        ward_watch_free(w);
        ward_loop_free(loop);

        struct ward_proc_status st;
        r = ward_proc_stop_tree(p, 200000000, 0, &st); /* 200 ms of grace */
        if (r < 0) {
                fprintf(stderr, "stop: %s\n", ward_strerror(r));
                return 1;
        }
        printf("stopped %d: %s, %d other process%s\n", pid,
               st.killed ? "killed after the grace" : "ended by SIGTERM", st.others,
               st.others == 1 ? "" : "es");
        ward_proc_free(p);
        return 0;
}
