/* Alternate signal stacks: one per thread, so the crash handler runs even
 * when the thread's own stack is what overflowed. Mapped with a guard page
 * below; freed by a thread-specific destructor when the thread exits. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard/guard.h"

#define ALTSTACK_MIN (64u * 1024u)

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;

static size_t page_size(void)
{
        long p = sysconf(_SC_PAGESIZE);
        return p > 0 ? (size_t)p : 4096;
}

static size_t altstack_size(void)
{
        long min = sysconf(_SC_MINSIGSTKSZ);
        size_t s = ALTSTACK_MIN + (min > 0 ? (size_t)min : 0);
        size_t p = page_size();
        return (s + p - 1) / p * p;
}

/* release: at thread exit, the stack mapped for it (base is the guard page) */
static void release(void *base)
{
        stack_t cur;
        size_t p = page_size(), size = altstack_size();
        if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == (char *)base + p) {
                stack_t off = {.ss_flags = SS_DISABLE};
                sigaltstack(&off, NULL);
        }
        munmap(base, size + p);
}

static void key_make(void)
{
        key_ok = pthread_key_create(&key, release) == 0;
}

int ward_guard_thread_init(void)
{
        if (__atomic_load_n(&ward__guard.state, __ATOMIC_ACQUIRE) == WARD_GUARD_OFF) {
                return 0;
        }
        stack_t cur;
        if (sigaltstack(NULL, &cur) < 0) {
                return -errno;
        }
        if (!(cur.ss_flags & SS_DISABLE)) {
                return 0; /* it has one (its own, or a sanitizer's) */
        }
        size_t p = page_size(), size = altstack_size();
        char *base =
            mmap(NULL, size + p, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) {
                return -ENOMEM;
        }
        mprotect(base, p, PROT_NONE);
        stack_t st = {.ss_sp = base + p, .ss_size = size, .ss_flags = 0};
        if (sigaltstack(&st, NULL) < 0) {
                int e = errno;
                munmap(base, size + p);
                return -e;
        }
        pthread_once(&key_once, key_make);
        if (key_ok) {
                pthread_setspecific(key, base);
        }
        return 0;
}

void ward__guard_thread_enter(void)
{
        (void)ward_guard_thread_init();
}
