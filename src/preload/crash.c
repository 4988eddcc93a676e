/* libward-crash.so: LD_PRELOAD it (`ward run` does) and an unmodified
 * program becomes a guarded worker: when WARD_GUARD_FD is set, its
 * constructor handshakes with the guardian and installs the crash handlers
 * (ward/guard.h), and every thread the program starts gets an alternate
 * signal stack first (pthread_create is interposed), so a stack overflow in
 * any thread is caught. Without WARD_GUARD_FD it does nothing: threads are
 * started as they would be. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <ward/guard.h>

#include "core/guard-wire.h"
#include "guard/guard.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static create_fn real_create;

struct start {
        void *(*fn)(void *);
        void *arg;
};

static void *trampoline(void *p)
{
        struct start s = *(struct start *)p;
        free(p);
        (void)ward_guard_thread_init();
        return s.fn(s.arg);
}

static create_fn real_pthread_create(void)
{
        create_fn f = __atomic_load_n(&real_create, __ATOMIC_ACQUIRE);
        if (!f) {
                f = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
                __atomic_store_n(&real_create, f, __ATOMIC_RELEASE);
        }
        return f;
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
        create_fn real = real_pthread_create();
        if (!real) {
                return EAGAIN;
        }
        if (ward_guard_status(NULL, 0) == WARD_GUARD_OFF) {
                return real(t, attr, fn, arg);
        }
        struct start *s = malloc(sizeof(*s));
        if (!s) {
                return EAGAIN;
        }
        s->fn = fn;
        s->arg = arg;
        int r = real(t, attr, trampoline, s);
        if (r != 0) {
                free(s);
        }
        return r;
}

__attribute__((constructor)) static void crash_start(void)
{
        (void)real_pthread_create();
        if (!getenv(WARD__GUARD_ENV_FD)) {
                return;
        }
        struct ward_guard_options o = {.size = sizeof(o),
                                       .handshake_timeout_ns = WARD__GUARD_HANDSHAKE_DEFAULT_NS,
                                       .ack_timeout_ns = WARD__GUARD_ACK_DEFAULT_NS,
                                       .fallback_fd = -1};
        (void)ward__guard_worker_start(&o);
}
