/* The tracer's process state, shared by its files (start, threads, sites,
 * flush). One per process; reset in a fork child. */
#ifndef WARD_TRACE_TRACER_H
#define WARD_TRACE_TRACER_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/layout.h"

/* What the flusher did (ward__trace_get_stats; for tests and benchmarks). */
struct ward__trace_stats {
        uint64_t kicks;         /* futex wakes that producers made */
        uint64_t wakeups_kick;  /* the flusher woke for a kick */
        uint64_t wakeups_timer; /* the flusher woke at its timer */
        uint64_t passes;        /* flush passes of the flusher thread */
};

/* The flusher is one thread per lane, up to one per CPU: slot i is written
 * by lane i % nlanes only, so two busy threads are written in parallel and
 * one fast thread never waits for a flusher busy with another's ring. */
#define WARD__TRACE_LANES_MAX 4

struct ward__tracer;

/* A flusher lane: its thread, its flush lock, and how it is woken. It sleeps
 * on kick_seq (a futex word) with sleeping set; kick_pending lets one
 * producer per sleep make the futex call (flusher.c). */
struct ward__trace_lane {
        struct ward__tracer *tr;
        uint32_t index;
        pthread_t thread;
        atomic_int running;  /* its thread is started (lane 0 starts lanes > 0) */
        int start_failed;    /* lane 0's: do not try again */
        atomic_int flushing; /* one flush of this lane at a time (thread or signal handler) */
        atomic_uint kick_seq;
        atomic_int sleeping;
        atomic_int kick_pending;
        atomic_int idle; /* asleep with no slot taken, until a claim */
};

/* Per slot, in process memory: the producer's state and the flusher's file. */
struct ward__trace_slot_state {
        struct ward__trace_thread t; /* the owning thread's producer state */
        uint64_t lost_pending;       /* producer: drops not yet recorded in the ring */
        uint64_t faulted;            /* producer: ring bytes [0, faulted) are resident */
        int fd;                      /* the current trace file, -1 when none */
        uint32_t file_tid;           /* the thread the open file belongs to */
        uint32_t seq;                /* rotation number of the open file */
        uint64_t file_bytes;
        uint64_t lost_seen;  /* flusher: drops the producer recorded in the ring */
        uint64_t sync;       /* flusher: the open file's time base for packed events */
        uint32_t since_sync; /* packed events since it was written */
        uint8_t site_written[WARD__TRACE_MAX_SITES / 8 + 1]; /* by id (1..max): in the open file */
};

/* Descriptors of deleted trace files waiting to be closed (reaper.c). */
#define WARD__TRACE_REAP_MAX 64

/* The reaper thread and what is handed to it: fds[i] is a descriptor + 1,
 * 0 when empty. */
struct ward__trace_reaper {
        pthread_t thread;
        atomic_int running;
        atomic_int stop;
        int start_failed; /* lane 0's: do not try again */
        atomic_uint seq;  /* futex word: bumped at each hand-over */
        atomic_int fds[WARD__TRACE_REAP_MAX];
};

struct ward__tracer {
        int pid;      /* the process that started tracing (fork check) */
        int fd;       /* the buffers file */
        uint8_t *map; /* all of it */
        size_t map_size;
        struct ward__trace_shm *shm;
        struct ward__trace_slot_state *slots;
        uint32_t site_off[WARD__TRACE_MAX_SITES + 1]; /* id -> offset in the dictionary */
        pthread_mutex_t lock;                         /* slot claims, site registration */
        atomic_int stop;                              /* the flushers are to stop */
        atomic_int
            rotation_near;      /* a file is past half its rotate_bytes: lane 0 starts the reaper */
        uint32_t nlanes;        /* flusher threads; slot i is lane i % nlanes's */
        atomic_uint slots_seen; /* 1 + the highest slot ever claimed: walks stop there */
        struct ward__trace_lane lanes[WARD__TRACE_LANES_MAX];
        struct ward__trace_reaper reaper;
        struct ward__trace_stats stats;
        struct ward_trace_options opts;
        char dir[PATH_MAX];
        char name[64];
        char host[64]; /* host name and boot id, for file headers (core/host.h) */
        char boot_id[40];
        char shm_path[64];
        int last_level;           /* the level last seen in the shared header */
        uint64_t dropped_retired; /* drops of threads whose slots were freed */
};

/* ward__trace_slots_seen: how far a walk of the slots need go: slots are
 * claimed lowest first, and one never claimed holds nothing (a walk of all
 * 256 slot headers, each on a page of its own, cost the flusher as much as
 * half its writing). Any thread. */
static inline uint32_t ward__trace_slots_seen(struct ward__tracer *tr)
{
        return atomic_load_explicit(&tr->slots_seen, memory_order_acquire);
}

/* The tracer of this process, or NULL when tracing is not started here. */
extern struct ward__tracer *ward__tracer;

/* ward__trace_restart_in_child (start.c): called by the first event of a fork
 * child whose parent traced (thread.c). Returns the new tracer or NULL. */
struct ward__tracer *ward__trace_restart_in_child(void);

/* ward__trace_slot_hdr / ring: slot i's shared header and ring. */
struct ward__trace_slot *ward__trace_slot_hdr(struct ward__tracer *tr, uint32_t i);
uint8_t *ward__trace_slot_ring(struct ward__tracer *tr, uint32_t i);

/* ward__trace_register_site: give site an id and copy it into the shared
 * dictionary (once). Returns the id, or 0 when the dictionary is full. */
uint32_t ward__trace_register_site(struct ward__tracer *tr, struct ward__trace_site *site);

/* ward__trace_register_known_sites: list again, with their ids, the sites
 * this process registered before (in a fork child's new dictionary). */
void ward__trace_register_known_sites(struct ward__tracer *tr);

/* ward__trace_lane_of: the lane that writes slot i's ring. */
static inline uint32_t ward__trace_lane_of(const struct ward__tracer *tr, uint32_t i)
{
        return i % tr->nlanes;
}

/* ward__trace_flush_pass: of lane's slots, write at most quantum bytes of each slot's pending
 * records (up to where its write position was when the pass reached it) to
 * its file; free the slots of exited threads once drained. With final
 * (tracing stops), drops that live threads have not yet recorded in their
 * rings are recorded in their files. *more is set when a slot has records
 * left. Async-signal-safe; returns the number of events written, or -EBUSY
 * when another flush of the lane is running. */
int ward__trace_flush_pass(struct ward__tracer *tr, uint32_t lane, int final, uint64_t quantum,
                           int *more);

/* ward__trace_flush_all: ward__trace_flush_pass of every lane with no
 * quantum, trying a lane that is busy up to tries times (yielding between;
 * tries < 0: until it is not). Returns the events written, or -EBUSY when
 * a lane stayed busy (the lanes before it were flushed). */
int ward__trace_flush_all(struct ward__tracer *tr, int final, int tries);

/* The watermark: a ring this full (w - read >= ring size / 2) wakes the
 * flusher. */
#define WARD__TRACE_WATERMARK(ring_size) ((ring_size) / 2)

/* ward__trace_kick: wake lane's flusher if it sleeps; at most one futex wake
 * per sleep, whoever calls. A producer calls it from its slow path when its
 * ring is over the watermark, after publishing its write position. */
void ward__trace_kick(struct ward__tracer *tr, uint32_t lane);

/* ward__trace_wake_idle: wake lane's flusher if it sleeps idle (none of its
 * slots was taken: no timer). A thread calls it after claiming a slot of
 * the lane. */
void ward__trace_wake_idle(struct ward__tracer *tr, uint32_t lane);

/* ward__trace_get_stats: what the flusher of this process did so far.
 * -ENOTCONN when tracing is not started. */
int ward__trace_get_stats(struct ward__trace_stats *out);

/* ward__trace_calibrate: fill tsc_hz in the shared header from the time since
 * tracing started. Async-signal-safe. */
void ward__trace_calibrate(struct ward__tracer *tr);

/* ward__trace_flusher_start / stop: the background threads, one per lane. */
int ward__trace_flusher_start(struct ward__tracer *tr);
void ward__trace_flusher_stop(struct ward__tracer *tr);

/* ward__trace_reap: close fd, the last descriptor of a deleted trace file,
 * on the reaper thread (freeing its blocks takes milliseconds); closed here
 * when the reaper is not running or has no room. Takes fd; fd < 0 is
 * ignored. Async-signal-safe. */
void ward__trace_reap(struct ward__tracer *tr, int fd);

/* ward__trace_thread_start: start one of the tracer's own threads (a
 * flusher, the reaper) running fn(arg): with none of the program's signals
 * but a fault's, and SCHED_BATCH, which keeps its fair share of the CPU but
 * does not preempt the program's threads when it wakes. The program's
 * threads then run when they are due, instead of falling behind and
 * emitting their backlog in one burst that a ring cannot hold
 * (docs/trace.md, "Keeping up"); when SCHED_BATCH is refused, the thread
 * runs as it is. 0 or -errno of pthread_create. */
int ward__trace_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* ward__trace_futex_wake: wake one waiter on word; errno is kept (producers
 * call it from the traced program's code). Async-signal-safe. */
void ward__trace_futex_wake(atomic_uint *word);

/* ward__trace_reaper_start / stop: the reaper thread; stop closes what is
 * left. -errno of pthread_create. */
int ward__trace_reaper_start(struct ward__tracer *tr);
void ward__trace_reaper_stop(struct ward__tracer *tr);

/* ward__trace_reaper_forget: in a fork child, where the thread is gone:
 * close what was handed over (the parent's reaper closes its own). */
void ward__trace_reaper_forget(struct ward__tracer *tr);

#endif
