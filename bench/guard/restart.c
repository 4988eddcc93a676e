/* The restart rows of `ward bench guard`: a guarded worker (libward's
 * worker side, ward-bench-guard-worker) crashes, the guardian
 * (ward_guardian_run, no back-off) captures it and starts it again; each
 * cycle's crash-to-main() time next to a bare ward_proc_spawn of the same
 * program to its main(). Every program tells its moments as datagrams
 * (CLOCK_MONOTONIC ns) to a socket of ours. */
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/guardian.h>
#include <ward/spawn.h>

#include "../ipc/stats.h"
#include "restart.h"

#define MAX_CYCLES 64

static char sock_name[108];
static char worker[PATH_MAX];

static int open_socket(void)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(sock_name, sizeof(sock_name), "@ward-bench-guard-%d", (int)getpid());
        size_t len = strlen(sock_name);
        memcpy(a.sun_path, sock_name, len);
        a.sun_path[0] = '\0';
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = 30};
        if (fd < 0 ||
            bind(fd, (struct sockaddr *)&a,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
                perror("ward bench guard: socket");
                return -1;
        }
        setenv("BENCH_SOCK", sock_name, 1);
        return fd;
}

/* next: the next datagram of kind what (others skipped); its ns, 0 timed out */
static unsigned long long next(int fd, const char *what)
{
        char buf[64];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0) {
                        return 0;
                }
                buf[n] = '\0';
                size_t k = strlen(what);
                if (strncmp(buf, what, k) == 0 && buf[k] == ' ') {
                        return strtoull(buf + k + 1, NULL, 10);
                }
        }
}

static unsigned long long now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void on_event(void *arg, const struct ward_guardian_event *ev)
{
        (void)arg;
        if (ev->kind == WARD_GUARDIAN_CRASHED) {
                char msg[64];
                struct sockaddr_un a = {.sun_family = AF_UNIX};
                size_t len = strlen(sock_name);
                memcpy(a.sun_path, sock_name, len);
                a.sun_path[0] = '\0';
                int n = snprintf(msg, sizeof(msg), "captured %llu", now_ns());
                int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                (void)!sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&a,
                              (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
                close(fd);
        }
}

/* guardian: the child that guards the worker until SIGTERM */
static _Noreturn void guardian(const char *dir)
{
        char *argv[] = {worker, "guarded", NULL};
        struct ward_guardian_options o = {.size = sizeof(o),
                                          .path = worker,
                                          .argv = argv,
                                          .restart = WARD_GUARDIAN_RESTART_ALWAYS,
                                          .backoff_min_ns = 1, /* no back-off */
                                          .backoff_max_ns = 1,
                                          .burst = 10000,
                                          .burst_window_ns = 1,
                                          .dump_dir = dir,
                                          .dump_max_count = 2,
                                          .event = on_event};
        char err[256];
        int r = ward_guardian_run(&o, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "ward bench guard: guardian: %s\n", err);
        }
        _exit(r < 0 ? 1 : 0);
}

static int guarded_cycles(int fd, int runs, const char *dir, double *c2m, double *cap,
                          double *after)
{
        pid_t g = fork();
        if (g == 0) {
                guardian(dir);
        }
        int ok = next(fd, "main") != 0;
        for (int i = 0; ok && i < runs; i++) {
                unsigned long long crash = next(fd, "crash"), captured = next(fd, "captured");
                unsigned long long main_ns = next(fd, "main");
                ok = crash && captured && main_ns;
                c2m[i] = (double)(main_ns - crash) / 1e6;
                cap[i] = (double)(captured - crash) / 1e6;
                after[i] = (double)(main_ns - captured) / 1e6;
        }
        kill(g, SIGTERM);
        waitpid(g, NULL, 0);
        if (!ok) {
                fprintf(stderr, "ward bench guard: the guarded worker did not crash and come "
                                "back (is it guarded?)\n");
        }
        return ok ? 0 : -1;
}

static int bare_spawns(int fd, int runs, double *bare)
{
        char *argv[] = {worker, "bare", NULL};
        struct ward_proc_spawn_options so = {.size = sizeof(so), .path = worker, .argv = argv};
        for (int i = 0; i < runs; i++) {
                ward_proc *p;
                unsigned long long t0 = now_ns();
                if (ward_proc_spawn(&so, &p) < 0) {
                        return -1;
                }
                unsigned long long m = next(fd, "main");
                ward_proc_wait(p, UINT64_MAX, NULL);
                ward_proc_free(p);
                if (!m) {
                        return -1;
                }
                bare[i] = (double)(m - t0) / 1e6;
        }
        return 0;
}

/* find_worker: ward-bench-guard-worker next to this program */
static int find_worker(void)
{
        ssize_t n = readlink("/proc/self/exe", worker, sizeof(worker) - 32);
        if (n <= 0) {
                return -1;
        }
        worker[n] = '\0';
        char *slash = strrchr(worker, '/');
        strcpy(slash ? slash + 1 : worker, "ward-bench-guard-worker");
        return access(worker, X_OK);
}

int restart_measure(int runs, const char *dir, struct restart_rows *ret)
{
        double c2m[MAX_CYCLES], cap[MAX_CYCLES], after[MAX_CYCLES], bare[MAX_CYCLES];
        if (runs > MAX_CYCLES || find_worker() < 0) {
                fprintf(stderr, "ward bench guard: no %s\n", worker);
                return -1;
        }
        int fd = open_socket();
        if (fd < 0) {
                return -1;
        }
        int r = guarded_cycles(fd, runs, dir, c2m, cap, after);
        if (r == 0) {
                r = bare_spawns(fd, runs, bare);
        }
        close(fd);
        if (r == 0) {
                ret->crash_to_main = stats_median_double(c2m, (size_t)runs);
                ret->capture = stats_median_double(cap, (size_t)runs);
                ret->after_capture = stats_median_double(after, (size_t)runs);
                ret->bare = stats_median_double(bare, (size_t)runs);
        }
        return r;
}
