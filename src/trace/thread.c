/* The producer's slow path: a thread's first event (claim a slot), a site's
 * first event (register it), the end of the ring's resident part (fault in
 * the next chunk), the watermark (wake the flusher) and a full ring (pad,
 * record losses, drop or wait). The fast path is ward__trace_emit in
 * ward/trace.h; its one compare against limit brings it here. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
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

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* The ring is made resident this much at a time, ahead of the producer. */
#define FAULT_CHUNK (64u * 1024)

/* fault_ring: make ring bytes [0, upto) of s resident before the producer
 * writes there, a chunk at a time: a thread that traces little costs little
 * memory, and the hot path takes no page fault. One MADV_POPULATE_WRITE per
 * chunk costs less than faulting each page by a store; before Linux 5.14
 * (EINVAL) the pages are touched, which loses nothing: the bytes beyond the
 * write position were never written (faulted only grows). -1 when /dev/shm
 * has no memory left for them: the event is dropped (and counted) rather
 * than the thread killed by SIGBUS on its next store. */
static int fault_ring(struct ward__trace_slot_state *s, uint64_t upto)
{
        uint64_t size = s->t.mask + 1;
        if (upto <= s->faulted) {
                return 0;
        }
        uint64_t end = (upto + FAULT_CHUNK - 1) & ~(uint64_t)(FAULT_CHUNK - 1);
        end = end < size ? end : size;
        int r, saved = errno; /* the traced program's */
        do {
                r = madvise(s->t.ring + s->faulted, end - s->faulted, MADV_POPULATE_WRITE);
        } while (r != 0 && errno == EINTR);
        int unsupported = r != 0 && errno == EINVAL;
        errno = saved;
        if (r != 0 && !unsupported) {
                return -1;
        }
        for (uint64_t off = s->faulted; r != 0 && off < end; off += WARD__TRACE_PAGE) {
                __atomic_store_n(&s->t.ring[off], 0, __ATOMIC_RELAXED);
        }
        s->faulted = end;
        return 0;
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
                __atomic_store_n(&h->tid, (uint32_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
                __atomic_store_n(&h->dropped, 0, __ATOMIC_RELAXED);
                uint64_t start = __atomic_load_n(&h->read, __ATOMIC_ACQUIRE); /* == write */
                s->lost_pending = 0;
                s->t = (struct ward__trace_thread){.ring = ring,
                                                   .mask = tr->opts.buffer_size - 1,
                                                   .write = start,
                                                   .limit = 0, /* computed by try_room */
                                                   .shared_write = &h->write};
                pthread_setspecific(exit_key, (void *)(uintptr_t)(i + 1));
                unsigned seen = atomic_load_explicit(&tr->slots_seen, memory_order_relaxed);
                while (seen < i + 1 && !atomic_compare_exchange_weak_explicit(
                                           &tr->slots_seen, &seen, i + 1, memory_order_release,
                                           memory_order_relaxed)) {
                }
                ward__trace_wake_idle(tr, ward__trace_lane_of(tr, i)); /* it has no timer */
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

static uint64_t min_u64(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

/* next_limit: how far the producer may write before it comes back here:
 * while the reader is a ring behind, within this lap (records never cross the
 * ring's end), within the resident part, and up to the watermark or, past it,
 * an eighth of the ring further (the flusher may have been awake at the
 * first check; asking again is cheap, the fast path's compare is the same). */
static uint64_t next_limit(const struct ward__trace_slot_state *s, uint64_t r, uint64_t w)
{
        uint64_t size = s->t.mask + 1, lap = w & ~s->t.mask;
        uint64_t mark = r + WARD__TRACE_WATERMARK(size);
        uint64_t limit = min_u64(r + size, lap + size);
        limit = min_u64(limit, lap + s->faulted);
        return min_u64(limit, w < mark ? mark : w + size / 8);
}

/* try_room: lay out [PAD][LOST] so that need more bytes fit at write without
 * crossing the ring's end, with those bytes resident. 0 on success (limit
 * updated), -1 when full (or the bytes cannot be made resident). Over the
 * watermark, full or not, the flusher is woken if it sleeps. */
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
        if (w - r >= WARD__TRACE_WATERMARK(size)) {
                ward__trace_kick(tr, ward__trace_lane_of(tr, i));
        }
        if (w + pad + lost + need - r > size || fault_ring(s, pad ? size : off + lost + need) < 0) {
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
        t->limit = next_limit(s, r, w);
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
