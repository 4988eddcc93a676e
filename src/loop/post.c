/* Work handed to the loop: posts from any thread (a mutex-guarded queue plus an
 * eventfd to wake the loop) and deferred callbacks from the owner thread. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop/loop-internal.h"

int ward__post_init(ward_loop *loop)
{
        loop->post_tail = &loop->post_head;
        atomic_init(&loop->posts_pending, false);
        loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (loop->wake_fd < 0) {
                return -errno;
        }
        /* data.ptr == NULL marks the wake fd: no source has a NULL address. */
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wake_fd, &ev) < 0) {
                return -errno;
        }
        return 0;
}

void ward__post_fini(ward_loop *loop)
{
        /* Queued posts are dropped uncalled, as the header promises. */
        struct ward__post *p = loop->post_head;
        while (p) {
                struct ward__post *next = p->next;
                free(p);
                p = next;
        }
        if (loop->wake_fd >= 0) {
                close(loop->wake_fd);
        }
        pthread_mutex_destroy(&loop->post_lock);
}

void ward__wake_write(ward_loop *loop)
{
        uint64_t one = 1;
        /* EAGAIN means the counter is near overflow: the fd is readable anyway. */
        ssize_t r = write(loop->wake_fd, &one, sizeof(one));
        (void)r;
}

void ward__wake_clear(ward_loop *loop)
{
        uint64_t v;
        ssize_t r = read(loop->wake_fd, &v, sizeof(v));
        (void)r;
}

int ward_loop_wake(ward_loop *loop)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        /* A signal handler must find errno as it left it. */
        int saved = errno;
        ward__wake_write(loop);
        errno = saved;
        return 0;
}

int ward_loop_post(ward_loop *loop, ward_defer_fn fn, void *arg)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (!fn) {
                return -EINVAL;
        }
        struct ward__post *p = malloc(sizeof(*p));
        if (!p) {
                return -ENOMEM;
        }
        *p = (struct ward__post){.fn = fn, .arg = arg};
        pthread_mutex_lock(&loop->post_lock);
        bool was_empty = !loop->post_head;
        *loop->post_tail = p;
        loop->post_tail = &p->next;
        atomic_store_explicit(&loop->posts_pending, true, memory_order_release);
        pthread_mutex_unlock(&loop->post_lock);
        /* Only the post that made the queue non-empty wakes the loop: the drain
         * takes the whole queue, and a post after the drain finds it empty. */
        if (was_empty) {
                ward__wake_write(loop);
        }
        return 0;
}

/* take_posts: detach the whole queue under the lock. */
static struct ward__post *take_posts(ward_loop *loop)
{
        pthread_mutex_lock(&loop->post_lock);
        struct ward__post *p = loop->post_head;
        loop->post_head = NULL;
        loop->post_tail = &loop->post_head;
        atomic_store_explicit(&loop->posts_pending, false, memory_order_relaxed);
        pthread_mutex_unlock(&loop->post_lock);
        return p;
}

int ward__post_drain(ward_loop *loop)
{
        if (!atomic_load_explicit(&loop->posts_pending, memory_order_acquire)) {
                return 0;
        }
        /* Run outside the lock: a post may post again (next iteration), and a slow
         * callback must not hold up the threads posting. */
        int count = 0;
        struct ward__post *p = take_posts(loop);
        while (p) {
                struct ward__post *next = p->next;
                p->fn(p->arg);
                free(p);
                p = next;
                count++;
        }
        return count;
}

int ward_loop_add_defer(ward_loop *loop, ward_defer_fn fn, void *arg, ward_source **ret)
{
        int r = ward__loop_check(loop);
        if (r < 0) {
                return r;
        }
        if (!fn) {
                return -EINVAL;
        }
        ward_source *s;
        r = ward__source_new(loop, WARD__SOURCE_DEFER, arg, &s);
        if (r < 0) {
                return r;
        }
        s->u.defer.fn = fn;
        s->u.defer.seq = loop->defer_seq++;
        ward__list_append(&loop->defers, &s->kind);
        /* Make the epoll fd readable, so a loop embedded in another one is
         * called to run the defer. One write per batch of defers. */
        if (loop->n_defers++ == 0) {
                ward__wake_write(loop);
        }
        return ward__source_publish(s, ret);
}

int ward__defer_run(ward_loop *loop)
{
        if (loop->n_defers == 0) {
                return 0;
        }
        /* Defers added by these callbacks run next iteration, so a defer that
         * re-adds itself cannot starve the loop. */
        uint64_t end = loop->defer_seq;
        int count = 0;
        for (struct ward__list *l = loop->defers.next; l != &loop->defers; l = l->next) {
                ward_source *s = ward__container_of(l, ward_source, kind);
                if (s->u.defer.seq >= end) {
                        break;
                }
                if (s->dead) {
                        continue;
                }
                /* Dead before the call: the callback's own ward_source_free on it
                 * is then a no-op, and the node stays linked until the reap. */
                ward__source_kill(s);
                s->u.defer.fn(s->arg);
                count++;
        }
        return count;
}
