/* ward-bench-guard-worker: the program `ward bench guard`'s restart rows
 * start. It sends "main NS" (CLOCK_MONOTONIC) to the datagram socket
 * BENCH_SOCK names first thing in main(), then
 *   guarded   ward_guard_start (the worker of a guardian: WARD_GUARD_FD),
 *             "crash NS", and a SIGSEGV
 *   bare      exit(0) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ward/guard.h>

static void tell(const char *what)
{
        const char *name = getenv("BENCH_SOCK");
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        char msg[64];
        int n = snprintf(msg, sizeof(msg), "%s %llu", what,
                         (unsigned long long)ts.tv_sec * 1000000000ull +
                             (unsigned long long)ts.tv_nsec);
        if (!name || *name != '@' || strlen(name) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                return;
        }
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        size_t len = strlen(name);
        memcpy(a.sun_path, name, len);
        a.sun_path[0] = '\0';
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
                (void)!sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&a,
                              (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
                close(fd);
        }
}

static volatile int zero;

__attribute__((noinline)) static void crash_here(void)
{
        *(volatile int *)(uintptr_t)(16 + zero) = 1;
}

int main(int argc, char **argv)
{
        tell("main");
        if (argc > 1 && strcmp(argv[1], "bare") == 0) {
                return 0;
        }
        struct ward_guard_options o = {.size = sizeof(o)};
        if (ward_guard_start(&argc, &argv, &o) != 0) {
                return 3; /* not guarded: the benchmark says so */
        }
        tell("crash");
        crash_here();
        return 4;
}
