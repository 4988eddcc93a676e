/* The producer's slow path: a thread's first event (claim a slot), a site's
 * first event (register it), and a full ring (pad, record losses, drop or
 * wait). The fast path is ward__trace_emit in ward/trace.h. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "trace/tracer.h"

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

struct ward__trace_slot *ward__trace_slot_hdr(struct ward__tracer *tr, uint32_t i)
{
        return (struct ward__trace_slot *)(tr->map + tr->shm->slots_off + i * tr->shm->slot_size);
}

uint8_t *ward__trace_slot_ring(struct ward__tracer *tr, uint32_t i)
{
        return (uint8_t *)ward__trace_slot_hdr(tr, i) + WARD__TRACE_PAGE;
}

/* on_thread_exit: hand the slot to the flusher, which drains and frees it. */
static void on_thread_exit(void *arg)
{
        struct ward__tracer *tr = __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
        uintptr_t i = (uintptr_t)arg - 1;
        ward__trace_self = NULL;
        if (tr && i < tr->opts.max_threads) {
                __atomic_store_n(&ward__trace_slot_hdr(tr, (uint32_t)i)->state,
                                 WARD__TRACE_SLOT_EXITED, __ATOMIC_RELEASE);
        }
}

static void make_exit_key(void)
{
        pthread_key_create(&exit_key, on_thread_exit);
}

/* touch: fault the ring's pages in now, not on the hot path. */
static void touch(uint8_t *ring, size_t size)
{
        for (size_t off = 0; off < size; off += 4096) {
                __atomic_store_n(&ring[off], 0, __ATOMIC_RELAXED);
        }
}

/* claim_slot: a free slot for the calling thread, set up for producing. */
static struct ward__trace_thread *claim_slot(struct ward__tracer *tr)
{
        pthread_once(&exit_key_once, make_exit_key);
        for (uint32_t i = 0; i < tr->opts.max_threads; i++) {
                struct ward__trace_slot *h = ward__trace_slot_hdr(tr, i);
                uint32_t free_state = WARD__TRACE_SLOT_FREE;
                if (!__atomic_compare_exchange_n(&h->state, &free_state, WARD__TRACE_SLOT_USED, 0,
                                                 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
                        continue;
                }
                struct ward__trace_slot_state *s = &tr->slots[i];
                uint8_t *ring = ward__trace_slot_ring(tr, i);
                if (!s->touched) {
                        touch(ring, tr->opts.buffer_size);
                        s->touched = 1;
                }
                __atomic_store_n(&h->tid, (uint32_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
                __atomic_store_n(&h->dropped, 0, __ATOMIC_RELAXED);
                uint64_t start = __atomic_load_n(&h->read, __ATOMIC_ACQUIRE); /* == write */
                s->lost_pending = 0;
                s->t = (struct ward__trace_thread){.ring = ring,
                                                   .mask = tr->opts.buffer_size - 1,
                                                   .write = start,
                                                   .limit = 0, /* computed by make_room */
                                                   .shared_write = &h->write};
                pthread_setspecific(exit_key, (void *)(uintptr_t)(i + 1));
                return &s->t;
        }
        return NULL; /* every slot is taken: this thread's events are not traced */
}

static struct ward__trace_slot_state *state_of(struct ward__trace_thread *t)
{
        return (struct ward__trace_slot_state *)((char *)t -
                                                 offsetof(struct ward__trace_slot_state, t));
}

static void put_header(uint8_t *p, uint16_t size, uint8_t kind, uint64_t tsc)
{
        struct ward__trace_rec h = {.size = size, .kind = kind, .tsc = tsc};
        memcpy(p, &h, sizeof(h));
}

/* try_room: lay out [PAD][LOST] so that need more bytes fit at write without
 * crossing the ring's end. 0 on success (limit updated), -1 when full. */
static int try_room(struct ward__tracer *tr, struct ward__trace_slot_state *s, size_t need)
{
        struct ward__trace_thread *t = &s->t;
        uint32_t i = (uint32_t)(s - tr->slots);
        uint64_t size = t->mask + 1;
        uint64_t r = __atomic_load_n(&ward__trace_slot_hdr(tr, i)->read, __ATOMIC_ACQUIRE);
        uint64_t w = t->write;
        uint64_t lost = s->lost_pending ? 24 : 0;
        uint64_t off = w & t->mask;
        uint64_t pad = off + lost + need > size ? size - off : 0;
        if (w + pad + lost + need - r > size) {
                return -1;
        }
        if (pad >= sizeof(struct ward__trace_rec)) {
                put_header(t->ring + off, (uint16_t)(pad > 65528 ? 65528 : pad),
                           WARD__TRACE_REC_PAD, 0);
        }
        w += pad;
        if (lost) {
                uint8_t *p = t->ring + (w & t->mask);
                put_header(p, 24, WARD__TRACE_REC_LOST, ward__trace_clock());
                memcpy(p + 16, &s->lost_pending, 8);
                s->lost_pending = 0;
                w += 24;
        }
        t->write = w;
        __atomic_store_n(t->shared_write, w, __ATOMIC_RELEASE);
        uint64_t lap_end = (w & ~t->mask) + size;
        t->limit = r + size < lap_end ? r + size : lap_end;
        return 0;
}

/* make_room: try_room, then drop (counted) or wait, by policy. */
static int make_room(struct ward__tracer *tr, struct ward__trace_slot_state *s, size_t need)
{
        while (try_room(tr, s, need) < 0) {
                if (tr->opts.policy != WARD_TRACE_BLOCK ||
                    atomic_load_explicit(&tr->stop, memory_order_relaxed)) {
                        struct ward__trace_slot *h =
                            ward__trace_slot_hdr(tr, (uint32_t)(s - tr->slots));
                        s->lost_pending++;
                        __atomic_store_n(&h->dropped, h->dropped + 1, __ATOMIC_RELAXED);
                        s->t.limit = 0; /* the next event comes here, to record the loss */
                        return -1;
                }
                struct timespec ts = {0, 100000};
                nanosleep(&ts, NULL);
        }
        return 0;
}

struct ward__trace_thread *ward__trace_slow(struct ward__trace_site *site, size_t need)
{
        struct ward__tracer *tr = __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
        struct ward__trace_thread *t = ward__trace_self;
        if (!tr) {
                tr = ward__trace_restart_in_child();
                if (!tr) {
                        return NULL;
                }
        }
        if (!t) {
                t = claim_slot(tr);
                if (!t) {
                        return NULL;
                }
                ward__trace_self = t;
        }
        if (!__atomic_load_n(&site->id, __ATOMIC_ACQUIRE) && !ward__trace_register_site(tr, site)) {
                return NULL;
        }
        if (t->write + need <= t->limit) {
                return t;
        }
        return make_room(tr, state_of(t), need) == 0 ? t : NULL;
}
