/* The signals the guardian forwards: SIGTERM and SIGINT. Not a signalfd:
 * ward_proc_spawn starts the worker with our signal mask, and a worker that
 * inherited SIGTERM blocked could not be stopped. A handler writes the
 * signal's number into a pipe the loop polls; the worker gets the default
 * action back (spawn resets caught signals). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "inspect/guard/guardian-internal.h"

static int sig_write_fd = -1;
static struct sigaction old_term, old_int;

static void on_signal(int sig)
{
        int saved = errno;
        unsigned char b = (unsigned char)sig;
        if (write(sig_write_fd, &b, 1) < 0) {
                /* full: one is enough to stop */
        }
        errno = saved;
}

int ward__signals_catch(struct ward__guardian *g)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
                return -errno;
        }
        g->sig_fd = p[0];
        sig_write_fd = p[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGINT, &sa, &old_int);
        return 0;
}

void ward__signals_restore(struct ward__guardian *g)
{
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGINT, &old_int, NULL);
        close(g->sig_fd);
        close(sig_write_fd);
        g->sig_fd = sig_write_fd = -1;
}

int ward__signals_take(struct ward__guardian *g)
{
        unsigned char b;
        if (read(g->sig_fd, &b, 1) == 1) {
                g->stop_signal = b;
        }
        return g->stop_signal;
}

int ward__wait_or_signal(struct ward__guardian *g, int fd, uint64_t deadline)
{
        for (;;) {
                if (g->stop_signal || ward__signals_take(g)) {
                        return -EINTR;
                }
                int ms = -1;
                if (deadline) {
                        uint64_t now = ward_now_ns();
                        if (now >= deadline) {
                                return -ETIMEDOUT;
                        }
                        uint64_t left = (deadline - now + 999999) / 1000000;
                        ms = left > 60000 ? 60000 : (int)left;
                }
                struct pollfd p[2] = {{.fd = g->sig_fd, .events = POLLIN},
                                      {.fd = fd, .events = POLLIN}};
                int n = poll(p, fd >= 0 ? 2 : 1, ms);
                if (n < 0 && errno != EINTR) {
                        return -errno;
                }
                if (n > 0 && fd >= 0 && p[1].revents) {
                        return 0;
                }
        }
}
